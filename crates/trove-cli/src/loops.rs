//! Closing the loop with customers and with the organisation: follow-up cases (the micro
//! loop), announcements and their "you said, we did" reports (the macro loop), the lesson bank
//! and recognition of prevention work.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use jiff::civil::Date;
use trove_app::App;
use trove_domain::Slug;
use trove_domain::safe::{csv_cell, printable};
use trove_workflow::model::{Audience, CRITERIA, CaseStatus};
use trove_workflow::{Change, ids, views};

use crate::workflow::{
    ListFormat, PageFormat, Session, act, act_one, emit, parse_date, read, slug_arg, start_of,
};

/// `trove followups`: the queue, or a subcommand.
#[derive(Debug, Args)]
pub struct FollowupsArgs {
    /// Create or work cases (without one: print the queue).
    #[command(subcommand)]
    command: Option<FollowupCommand>,
    /// Only this owner's cases.
    #[arg(long)]
    owner: Option<String>,
    /// Only this department's cases.
    #[arg(long, value_parser = slug_arg)]
    department: Option<Slug>,
    /// Closed cases too.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ListFormat,
}

/// `trove followups ...`
#[derive(Debug, Subcommand)]
pub enum FollowupCommand {
    /// Open a case for every negative item (detractor, CSAT 1-2, CES 1-3, or negative words
    /// when unscored) about the themes since a day that has none yet.
    Create(Box<CreateArgs>),
    /// Open one case by hand.
    Open(Box<OpenCaseArgs>),
    /// Take a case: it becomes yours (a lead hands it to someone of the department with --to).
    Take {
        /// The case.
        case: u32,
        /// The new owner (default: you).
        #[arg(long)]
        to: Option<String>,
    },
    /// Record a contact with the customer.
    Contact {
        /// The case.
        case: u32,
        /// What was said.
        #[arg(long)]
        note: String,
    },
    /// Close a case with its outcome.
    Close {
        /// The case.
        case: u32,
        /// What came of it.
        #[arg(long)]
        outcome: String,
        /// Resolved in the first contact.
        #[arg(long)]
        first_contact: bool,
    },
}

/// `trove followups create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The issue whose themes count (and that the cases belong to).
    #[arg(long)]
    issue: Option<u32>,
    /// A theme (repeat); with neither --issue nor --theme, every negative item counts.
    #[arg(long = "theme", value_parser = slug_arg)]
    themes: Vec<Slug>,
    /// Items received from this day until now.
    #[arg(long)]
    since: String,
    /// The department that owns the cases.
    #[arg(long, value_parser = slug_arg)]
    department: Slug,
    /// The person who owns them.
    #[arg(long)]
    owner: Option<String>,
    /// Service level: hours to close each case.
    #[arg(long, default_value_t = 48)]
    sla_hours: i64,
}

/// `trove followups open`.
#[derive(Debug, Args)]
pub struct OpenCaseArgs {
    /// Why the customer should hear from us.
    #[arg(long)]
    reason: String,
    /// The customer's id.
    #[arg(long)]
    customer: Option<String>,
    /// The feedback item it answers.
    #[arg(long)]
    feedback: Option<i64>,
    /// The issue it belongs to.
    #[arg(long)]
    issue: Option<u32>,
    /// The department that owns it.
    #[arg(long, value_parser = slug_arg)]
    department: Slug,
    /// The person who owns it.
    #[arg(long)]
    owner: Option<String>,
    /// Service level: hours to close it.
    #[arg(long, default_value_t = 48)]
    sla_hours: i64,
}

/// `trove announce`.
#[derive(Debug, Args)]
pub struct AnnounceArgs {
    /// The issues it is about.
    #[arg(required = true)]
    issues: Vec<u32>,
    /// Who gets it: raised (the customers who raised the themes), everyone, or segment:NAME.
    #[arg(long, default_value = "raised")]
    audience: String,
    /// The promised date of the progress report.
    #[arg(long)]
    report_due: String,
    /// A message template ({themes}, {issues}, {actions}, {report_due} are filled in).
    #[arg(long)]
    template: Option<PathBuf>,
    /// The folder to write recipients.csv and message.txt into.
    #[arg(long)]
    out: PathBuf,
}

/// `trove report`: shows the report; `trove report publish` records it as kept.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    /// `publish`: record the report as published (the promise kept) and write it.
    #[command(subcommand)]
    command: Option<ReportCommand>,
    #[command(flatten)]
    page: ReportPage,
}

/// `trove report publish`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Record the report as published to the customers (the promised date kept, or kept
    /// late) and write it.
    Publish(ReportPage),
    /// One business unit's monthly review (or every unit's, with --all), kept in the database
    /// (12 months per unit) and written as HTML, Markdown, CSV or JSON.
    Monthly(Box<crate::report::MonthlyArgs>),
    /// The monthly reviews kept, by unit, newest month first.
    List(crate::report::ListArgs),
    /// Who receives each unit's monthly review by e-mail once the month has closed (admins
    /// add and remove; `trove send due` sends).
    Recipients {
        #[command(subcommand)]
        command: crate::report::RecipientsCommand,
    },
}

/// Which report, and how to write it.
#[derive(Debug, Args)]
pub struct ReportPage {
    /// The announcement.
    #[arg(required = true)]
    announcement: Option<u32>,
    /// Format.
    #[arg(long, value_enum, default_value = "md")]
    format: PageFormat,
    /// Write to this file instead of printing.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `trove lessons ...`
#[derive(Debug, Subcommand)]
pub enum LessonCommand {
    /// Record a lesson.
    Add(Box<LessonArgs>),
    /// Find lessons by words, best match first.
    Search {
        /// The words.
        #[arg(required = true)]
        words: Vec<String>,
    },
}

/// `trove lessons add`.
#[derive(Debug, Args)]
pub struct LessonArgs {
    /// The issue it comes from.
    #[arg(long)]
    issue: Option<u32>,
    /// Title.
    #[arg(long)]
    title: String,
    /// What happened.
    #[arg(long)]
    what_happened: String,
    /// The root cause (default: the issue's first five-whys root cause).
    #[arg(long)]
    root_cause: Option<String>,
    /// What worked.
    #[arg(long)]
    what_worked: String,
    /// What others can reuse.
    #[arg(long)]
    reuse: String,
}

/// `trove recognition ...`
#[derive(Debug, Subcommand)]
pub enum RecognitionCommand {
    /// Submit a team's prevention work.
    Submit {
        /// The team.
        #[arg(long, value_parser = slug_arg)]
        department: Slug,
        /// Title.
        #[arg(long)]
        title: String,
        /// What they did.
        #[arg(long)]
        description: String,
        /// The issue.
        #[arg(long)]
        issue: Option<u32>,
    },
    /// Judge a submission: one score 1-5 per published criterion, comma-separated.
    Judge {
        /// The submission.
        submission: u32,
        /// Scores, e.g. 5,4,3,4.
        #[arg(long, value_delimiter = ',')]
        scores: Vec<u8>,
        /// Comment.
        #[arg(long)]
        comment: String,
    },
    /// The criteria and the submissions with their scores, best first.
    List,
}

/// `trove followups`.
pub fn followups(app: &App, session: &Session, args: &FollowupsArgs) -> Result<ExitCode> {
    match &args.command {
        Some(FollowupCommand::Create(create)) => create_cases(app, session, create),
        Some(FollowupCommand::Open(open)) => {
            let owner = open.owner.as_ref().map(|o| o.trim().to_lowercase());
            let state = act(app, session, |state| {
                Ok(vec![Change::CaseOpened {
                    case: ids::case(state),
                    customer: open.customer.clone(),
                    feedback_id: open.feedback,
                    issue: open.issue,
                    reason: open.reason.clone(),
                    department: open.department.clone(),
                    owner: owner.clone(),
                    due_at: session.now + open.sla_hours * 3600,
                }])
            })?;
            let id = state.cases.keys().next_back().copied().unwrap_or_default();
            println!("opened case {id} for {}", open.department.as_str());
            Ok(ExitCode::SUCCESS)
        }
        Some(FollowupCommand::Take { case, to }) => {
            let owner = match to {
                Some(to) => to.trim().to_lowercase(),
                None => session.actor()?.to_owned(),
            };
            act_one(
                app,
                session,
                Change::CaseTaken {
                    case: *case,
                    owner: owner.clone(),
                },
            )?;
            println!("case {case} is now {owner}'s");
            Ok(ExitCode::SUCCESS)
        }
        Some(FollowupCommand::Contact { case, note }) => {
            act_one(
                app,
                session,
                Change::CaseUpdated {
                    case: *case,
                    status: CaseStatus::Contacted,
                    outcome: None,
                    first_contact_resolution: None,
                    note: Some(note.clone()),
                },
            )?;
            println!("case {case}: contact recorded");
            Ok(ExitCode::SUCCESS)
        }
        Some(FollowupCommand::Close {
            case,
            outcome,
            first_contact,
        }) => {
            act_one(
                app,
                session,
                Change::CaseUpdated {
                    case: *case,
                    status: CaseStatus::Closed,
                    outcome: Some(outcome.clone()),
                    first_contact_resolution: Some(*first_contact),
                    note: None,
                },
            )?;
            println!("case {case} closed: {outcome}");
            Ok(ExitCode::SUCCESS)
        }
        None => queue(app, session, args),
    }
}

fn create_cases(app: &App, session: &Session, args: &CreateArgs) -> Result<ExitCode> {
    let since = start_of(parse_date("--since", &args.since)?);
    let owner = args.owner.as_ref().map(|o| o.trim().to_lowercase());
    // The build may run again when someone else writes first: count its last run.
    let created = std::cell::Cell::new(0);
    act(app, session, |state| {
        let mut themes = args.themes.clone();
        if let Some(issue) = args.issue {
            let record = state.issues.get(&issue).ok_or_else(|| {
                trove_app::WorkflowError::Invalid(format!("there is no issue {issue}"))
            })?;
            themes.extend(record.themes.iter().cloned());
        }
        let items = app.detractors_without_case(state, &themes, (since, session.now))?;
        let first = ids::case(state);
        created.set(items.len());
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, (feedback_id, customer))| Change::CaseOpened {
                case: first + i as u32,
                customer,
                feedback_id: Some(feedback_id),
                issue: args.issue,
                reason: "negative feedback (detractor, low score or negative words)".into(),
                department: args.department.clone(),
                owner: owner.clone(),
                due_at: session.now + args.sla_hours * 3600,
            })
            .collect())
    })?;
    println!(
        "opened {} follow-up cases for {} (due within {} h)",
        created.get(),
        args.department.as_str(),
        args.sla_hours
    );
    Ok(ExitCode::SUCCESS)
}

fn queue(app: &App, session: &Session, args: &FollowupsArgs) -> Result<ExitCode> {
    let state = read(app, session)?;
    let owner = args.owner.as_ref().map(|o| o.trim().to_lowercase());
    let queue = views::queue(&state, session.now, |c| {
        (args.all || c.status != CaseStatus::Closed)
            && owner.as_ref().is_none_or(|o| c.owner.as_ref() == Some(o))
            && args.department.as_ref().is_none_or(|d| &c.department == d)
    });
    if args.format == ListFormat::Json {
        println!("{}", serde_json::to_string_pretty(&queue)?);
        return Ok(ExitCode::SUCCESS);
    }
    for case in &queue.cases {
        let due = jiff::Timestamp::from_second(case.due_at)?;
        let breach = if case.breached(session.now) {
            "  SLA BREACHED"
        } else {
            ""
        };
        println!(
            "{:>4}  {:<9} due {}  {:<10} {:<22} item {}{breach}",
            case.id,
            case.status.as_str(),
            due.strftime("%Y-%m-%d %H:%M"),
            printable(case.customer.as_deref().unwrap_or("-")),
            case.owner.as_deref().unwrap_or(case.department.as_str()),
            case.feedback_id.map_or("-".into(), |f| f.to_string())
        );
    }
    println!(
        "{} cases: {} open, {} closed ({} at first contact), {} breached the service level",
        queue.cases.len(),
        queue.open,
        queue.closed,
        queue.first_contact,
        queue.breached
    );
    Ok(ExitCode::SUCCESS)
}

fn audience(raw: &str) -> Result<Audience> {
    Ok(match raw {
        "raised" => Audience::RaisedIt,
        "everyone" => Audience::Everyone,
        _ => match raw.strip_prefix("segment:") {
            Some(segment) if !segment.is_empty() => Audience::Segment(segment.to_owned()),
            _ => bail!("--audience {raw:?}: use raised, everyone or segment:NAME"),
        },
    })
}

/// `trove announce`: the recipient list and the message, recorded with its report date.
pub fn announce(app: &App, session: &Session, args: &AnnounceArgs) -> Result<ExitCode> {
    let audience = audience(&args.audience)?;
    let report_due: Date = parse_date("--report-due", &args.report_due)?;
    let template = match &args.template {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        None => views::DEFAULT_TEMPLATE.to_owned(),
    };
    let state = read(app, session)?;
    let mut issues = Vec::new();
    for id in &args.issues {
        issues.push(
            state
                .issues
                .get(id)
                .with_context(|| format!("there is no issue {id}"))?,
        );
    }
    let themes: Vec<Slug> = issues
        .iter()
        .flat_map(|i| i.themes.iter().cloned())
        .collect();
    let message =
        views::announcement_message(&state, &issues, &template, report_due, session.today());
    let trove_app::Reach {
        recipients,
        without_email,
        told_us,
    } = app.audience(&audience, &themes)?;
    let state = act(app, session, |state| {
        Ok(vec![Change::Announced {
            announcement: ids::announcement(state),
            issues: args.issues.clone(),
            audience: audience.clone(),
            message: message.clone(),
            recipients: recipients.len() as u64,
            told_us: Some(told_us),
            report_due,
        }])
    })?;
    let id = state
        .announcements
        .keys()
        .next_back()
        .copied()
        .unwrap_or_default();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Customers wrote these cells: a spreadsheet must read them as text, never as formulas.
    let mut csv = csv::Writer::from_path(args.out.join("recipients.csv"))?;
    csv.write_record(["email", "name", "customer_id"])?;
    for r in &recipients {
        csv.write_record([&r.email, &r.name, &r.customer_id].map(|c| csv_cell(c).into_owned()))?;
    }
    csv.flush()?;
    std::fs::write(args.out.join("message.txt"), &message)?;
    println!(
        "announcement {id} to {}: {} recipients ({without_email} without an e-mail left out; \
         {told_us} customers raised its themes); progress report promised by {report_due}; \
         wrote {}/recipients.csv and message.txt",
        audience.describe(),
        recipients.len(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `trove report [publish]`: the "you said, we did" report; only `publish` records the
/// promise as kept (showing it records nothing).
pub fn report(app: &App, session: &Session, args: &ReportArgs) -> Result<ExitCode> {
    let (page, publish) = match &args.command {
        Some(ReportCommand::Monthly(monthly)) => {
            crate::report::check_reader(app, session)?;
            return crate::report::monthly(app, monthly);
        }
        Some(ReportCommand::List(list)) => {
            crate::report::check_reader(app, session)?;
            return crate::report::list(app, list);
        }
        Some(ReportCommand::Recipients { command }) => {
            return crate::report::recipients(app, session, command);
        }
        Some(ReportCommand::Publish(page)) => (page, true),
        None => (&args.page, false),
    };
    let id = page.announcement.context("name the announcement")?;
    let state = read(app, session)?;
    let Some(announcement) = state.announcements.get(&id) else {
        bail!("there is no announcement {id}");
    };
    let series: Vec<(String, Vec<(String, f64)>)> = announcement
        .issues
        .iter()
        .filter_map(|i| state.issues.get(i)?.indicator.as_ref())
        .map(|ind| {
            let metric = ind.metric.as_str();
            (metric.to_owned(), state.metric_series(metric))
        })
        .collect();
    let doc = views::progress_report(&state, announcement, &series, session.today());
    let text = page.format.render(&doc, "You said, we did");
    if publish {
        act_one(
            app,
            session,
            Change::ProgressReported {
                announcement: id,
                on: session.today(),
            },
        )?;
    }
    emit(&text, page.out.as_ref())?;
    if publish {
        eprintln!("announcement {id}: progress report recorded as published");
    } else if announcement.reported_on.is_none() {
        eprintln!(
            "announcement {id}: not published yet; `trove report publish {id}` records it as kept"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `trove lessons ...`
pub fn lessons(app: &App, session: &Session, command: &LessonCommand) -> Result<ExitCode> {
    match command {
        LessonCommand::Add(args) => {
            let state = act(app, session, |state| {
                let root_cause = args
                    .root_cause
                    .clone()
                    .or_else(|| {
                        let issue = args.issue?;
                        state
                            .chains_of(issue)
                            .next()
                            .map(|c| c.root_cause().to_owned())
                    })
                    .unwrap_or_default();
                Ok(vec![Change::LessonRecorded {
                    lesson: ids::lesson(state),
                    issue: args.issue,
                    title: args.title.clone(),
                    what_happened: args.what_happened.clone(),
                    root_cause,
                    what_worked: args.what_worked.clone(),
                    reuse: args.reuse.clone(),
                }])
            })?;
            let lesson = state.lessons.values().next_back().context("recorded")?;
            println!("recorded lesson {}: {}", lesson.id, lesson.title);
        }
        LessonCommand::Search { words } => {
            let state = read(app, session)?;
            let found = views::search_lessons(&state, &words.join(" "));
            if found.is_empty() {
                println!("no lesson mentions {}", words.join(" "));
            }
            for (score, lesson) in found {
                println!(
                    "lesson {} ({score} of the words){}: {}\n  root cause: {}\n  what worked: {}\n  reuse: {}",
                    lesson.id,
                    lesson
                        .issue
                        .map_or(String::new(), |i| format!(", issue {i}")),
                    printable(&lesson.title),
                    printable(&lesson.root_cause),
                    printable(&lesson.what_worked),
                    printable(&lesson.reuse)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `trove recognition ...`
pub fn recognition(app: &App, session: &Session, command: &RecognitionCommand) -> Result<ExitCode> {
    match command {
        RecognitionCommand::Submit {
            department,
            title,
            description,
            issue,
        } => {
            let state = act(app, session, |state| {
                Ok(vec![Change::RecognitionSubmitted {
                    submission: ids::submission(state),
                    department: department.clone(),
                    title: title.clone(),
                    description: description.clone(),
                    issue: *issue,
                }])
            })?;
            let id = state
                .submissions
                .keys()
                .next_back()
                .copied()
                .unwrap_or_default();
            println!("submission {id} from {}: {title}", department.as_str());
        }
        RecognitionCommand::Judge {
            submission,
            scores,
            comment,
        } => {
            act_one(
                app,
                session,
                Change::RecognitionJudged {
                    submission: *submission,
                    scores: scores.clone(),
                    comment: comment.clone(),
                },
            )?;
            println!("judged submission {submission}");
        }
        RecognitionCommand::List => {
            let state = read(app, session)?;
            println!("Criteria (each scored 1-5):");
            for (i, criterion) in CRITERIA.iter().enumerate() {
                println!("  {}. {criterion}", i + 1);
            }
            let mut all: Vec<_> = state.submissions.values().collect();
            all.sort_by(|a, b| {
                b.mean_total()
                    .unwrap_or(0.0)
                    .total_cmp(&a.mean_total().unwrap_or(0.0))
            });
            for s in all {
                println!(
                    "submission {} ({}): {}: {}",
                    s.id,
                    s.department.as_str(),
                    s.title,
                    s.mean_total().map_or("not judged yet".into(), |m| format!(
                        "mean total {m:.1} of {} from {} judges",
                        CRITERIA.len() * 5,
                        s.judgements.len()
                    ))
                );
                for j in &s.judgements {
                    println!("    {}: {:?} {}", j.judge, j.scores, printable(&j.comment));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
