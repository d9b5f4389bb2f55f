//! The accountability loop's commands: people, issues, five whys, actions, the one-page plan
//! and its leading indicator, commitments, department streams and the audit trail. Each
//! change runs as the person `--as` names, through `App::act` and the rules there.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use jiff::civil::Date;
use trove_app::{App, Clock};
use trove_domain::Slug;
use trove_workflow::model::{Direction, Role, Status, Why};
use trove_workflow::views::{self, Standing};
use trove_workflow::{Change, Workflow, ids};

use crate::db::DbUrl;

/// Who acts and when: every workflow command's context.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in person's e-mail (`--as` or TROVE_USER).
    pub actor: Option<String>,
    /// The clock changes are recorded by: the real one, or `--now` (rehearsal databases only).
    pub clock: Clock,
    /// Now, unix seconds (`--now` or TROVE_NOW, else the clock).
    pub now: i64,
}

impl Session {
    /// Reads `--now` (a day like 2026-03-15 or an RFC 3339 instant): a pretended time, which
    /// changes may use on a rehearsal database only (reads may look as of any time).
    pub fn new(actor: Option<String>, now: Option<&str>) -> Result<Self> {
        let clock = match now {
            None => Clock::Real,
            Some(raw) => Clock::Rehearsed(match raw.parse::<jiff::Timestamp>() {
                Ok(ts) => ts.as_second(),
                Err(_) => start_of(parse_date("--now", raw)?),
            }),
        };
        Ok(Self {
            actor: actor.map(|a| a.trim().to_lowercase()),
            clock,
            now: clock.now(),
        })
    }

    /// Today, in UTC.
    pub fn today(&self) -> Date {
        Workflow::day_of(self.now)
    }

    /// The signed-in person, required for anything beyond adding the first admin.
    pub fn actor(&self) -> Result<&str> {
        self.actor.as_deref().context(
            "say who you are: --as EMAIL (or set TROVE_USER); `trove user list` shows the people",
        )
    }
}

/// Midnight UTC of a day, unix seconds.
pub fn start_of(day: Date) -> i64 {
    day.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(0, |z| z.timestamp().as_second())
}

/// Parses a day like 2026-03-15, naming the option.
pub fn parse_date(option: &str, raw: &str) -> Result<Date> {
    raw.parse()
        .with_context(|| format!("{option}: {raw:?} is not a date like 2026-03-15"))
}

pub(crate) fn date_arg(raw: &str) -> Result<Date, String> {
    raw.parse()
        .map_err(|_| format!("{raw:?} is not a date like 2026-03-15"))
}

pub(crate) fn slug_arg(raw: &str) -> Result<Slug, String> {
    Slug::parse("id", raw).map_err(|e| e.to_string())
}

/// Page formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PageFormat {
    /// Markdown.
    Md,
    /// A standalone HTML page.
    Html,
}

impl PageFormat {
    /// The page in this format (`title` heads the HTML page).
    pub fn render(self, doc: &trove_workflow::doc::Doc, title: &str) -> String {
        match self {
            PageFormat::Md => doc.markdown(),
            PageFormat::Html => doc.html(title),
        }
    }
}

/// List formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// Lines for a person.
    Human,
    /// JSON, for scripts.
    Json,
}

/// The workflow commands (flattened into `trove`'s own).
#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// People and their roles and departments.
    User {
        /// What to do.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Departments beyond the journey's (the journey's come from `trove journey load`).
    Department {
        /// What to do.
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Issues: the workflow objects, opened from chronic themes.
    Issue {
        /// What to do.
        #[command(subcommand)]
        command: IssueCommand,
    },
    /// Five-whys chains: from the customers' symptom to a root cause.
    Why {
        /// What to do.
        #[command(subcommand)]
        command: WhyCommand,
    },
    /// Actions of a plan: what, who, by when.
    Action {
        /// What to do.
        #[command(subcommand)]
        command: ActionCommand,
    },
    /// The one-page action plan and its leading indicator.
    Plan {
        /// What to do.
        #[command(subcommand)]
        command: PlanCommand,
    },
    /// Workflow metrics (the leading indicators' time series).
    Metrics {
        /// What to do.
        #[command(subcommand)]
        command: MetricsCommand,
    },
    /// Every commitment (due dates, promised reports) and where it stands.
    Commitments(CommitmentsArgs),
    /// A department's stream: its issues, open actions, missed commitments, fresh verbatims.
    Stream(StreamArgs),
    /// The audit trail of a record (`issue:3`, `action:7`, `case:2`, `announcement:1`...).
    Audit(AuditArgs),
    /// Follow-up cases with individual customers: the queue, or create and work cases.
    Followups(Box<crate::loops::FollowupsArgs>),
    /// Announce to customers what is being done, with a promised progress report.
    Announce(Box<crate::loops::AnnounceArgs>),
    /// The "you said, we did" progress report of an announcement: shown (nothing recorded), or
    /// `publish`ed (the promise recorded as kept).
    Report(crate::loops::ReportArgs),
    /// The lesson bank: record lessons, search them.
    Lessons {
        /// What to do.
        #[command(subcommand)]
        command: crate::loops::LessonCommand,
    },
    /// Recognition of prevention work, judged against published criteria.
    Recognition {
        /// What to do.
        #[command(subcommand)]
        command: crate::loops::RecognitionCommand,
    },
    /// Whether this database is a rehearsal (where --now may pretend another time), or mark it
    /// as one for good (admins).
    Rehearsal {
        /// `on`: mark it (without: say whether it is one).
        #[command(subcommand)]
        command: Option<RehearsalCommand>,
    },
}

/// `trove rehearsal ...`
#[derive(Debug, Subcommand)]
pub enum RehearsalCommand {
    /// Mark this database as a rehearsal, for good: changes may then be made as of another
    /// time (--now), and every page of it is a rehearsal's.
    On {
        /// Why (a training, a dry run...).
        #[arg(long)]
        reason: String,
    },
}

/// `trove user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person (the first one, an admin, needs no --as).
    Add {
        /// E-mail (their id).
        email: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// Role: admin, analyst, lead, member or viewer.
        #[arg(long)]
        role: Role,
        /// A department they belong to (repeat for several).
        #[arg(long = "department", value_parser = slug_arg)]
        departments: Vec<Slug>,
    },
    /// Change a person's role and departments.
    Change {
        /// E-mail.
        email: String,
        /// The new role.
        #[arg(long)]
        role: Role,
        /// Their departments (all of them).
        #[arg(long = "department", value_parser = slug_arg)]
        departments: Vec<Slug>,
    },
    /// List the people.
    List,
    /// Set a person's password for `trove serve` (themselves or an admin, --as): typed at
    /// the terminal without echo, or read from standard input.
    Password {
        /// E-mail.
        email: String,
        /// Read the password from the first line of standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `trove department ...`
#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Add a department (admins only).
    Add {
        /// Its id.
        #[arg(value_parser = slug_arg)]
        id: Slug,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// List the departments: the journey's and those added here.
    List,
}

/// `trove issue ...`
#[derive(Debug, Subcommand)]
pub enum IssueCommand {
    /// Open an issue from a theme of the analysis (its figures become the plan's pain).
    Open(Box<OpenArgs>),
    /// List the issues.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: ListFormat,
    },
    /// Replace an issue's themes and departments.
    Scope {
        /// The issue.
        issue: u32,
        /// A theme (repeat; all of them).
        #[arg(long = "theme", value_parser = slug_arg, required = true)]
        themes: Vec<Slug>,
        /// The lead department.
        #[arg(long, value_parser = slug_arg)]
        lead: Slug,
        /// A contributing department (repeat; the lead is added when missing).
        #[arg(long = "department", value_parser = slug_arg)]
        departments: Vec<Slug>,
    },
    /// Move an issue to its next status.
    Move {
        /// The issue.
        issue: u32,
        /// The status: acknowledged, root_cause_found, action_planned, fixing, verifying,
        /// resolved, recurred.
        status: Status,
        /// Why.
        #[arg(long)]
        note: Option<String>,
    },
    /// Test whether the issue's theme stopped recurring after the fix, and record the result.
    Verify {
        /// The issue.
        issue: u32,
        /// The day the fix went live.
        #[arg(long, value_parser = date_arg)]
        fixed_on: Date,
        /// Periods compared on each side.
        #[arg(long, default_value_t = 3)]
        periods: usize,
    },
    /// Resolve an issue: needs a verification that says verified. With --override REASON it
    /// asks to resolve without one instead; another person, an admin, approves
    /// (`trove issue approve`).
    Resolve {
        /// Ask to resolve without verification, for this reason.
        #[arg(long = "override")]
        override_reason: Option<String>,
        /// The issue.
        issue: u32,
    },
    /// Approve a requested resolution without verification and resolve the issue (an admin
    /// other than the one who asked).
    Approve {
        /// The issue.
        issue: u32,
    },
}

/// `trove issue open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The theme (its id).
    #[arg(long)]
    theme: String,
    /// Title (default: the theme's name).
    #[arg(long)]
    title: Option<String>,
    /// The lead department (default: the theme's first contributing department).
    #[arg(long, value_parser = slug_arg)]
    lead: Option<Slug>,
    /// A contributing department (repeat; default: the theme's, from the taxonomy).
    #[arg(long = "department", value_parser = slug_arg)]
    departments: Vec<Slug>,
    /// The analysis that measures the pain (as `trove issues` takes it).
    #[command(flatten)]
    scope: crate::analyze::Scope,
}

/// `trove why ...`
#[derive(Debug, Subcommand)]
pub enum WhyCommand {
    /// Record a five-whys chain for an issue.
    Add {
        /// The issue.
        issue: u32,
        /// What customers experience.
        #[arg(long)]
        symptom: String,
        /// One why, in order (repeat; the last is the root cause). Evidence after " | ",
        /// comma-separated: `--why "approvals wait | item 1234, metric queue-age"`.
        #[arg(long = "why", required = true)]
        whys: Vec<String>,
        /// A participant of the workshop (repeat).
        #[arg(long = "participant", required = true)]
        participants: Vec<String>,
        /// The workshop's day (default: today).
        #[arg(long, value_parser = date_arg)]
        on: Option<Date>,
    },
}

/// `trove action ...`
#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Plan an action against a root cause.
    Add {
        /// The issue.
        issue: u32,
        /// The five-whys chain whose root cause it removes.
        #[arg(long)]
        root_cause: u32,
        /// What will be done.
        #[arg(long)]
        what: String,
        /// The owning department.
        #[arg(long, value_parser = slug_arg)]
        department: Slug,
        /// The owner's e-mail.
        #[arg(long)]
        owner: String,
        /// Due date.
        #[arg(long, value_parser = date_arg)]
        due: Date,
        /// What customers are told about it (needed before it can be announced).
        #[arg(long)]
        public: Option<String>,
    },
    /// Set what customers are told about an action (announcements use these words).
    Edit {
        /// The action.
        action: u32,
        /// The customer-facing wording.
        #[arg(long)]
        public: String,
    },
    /// Report progress.
    Progress {
        /// The action.
        action: u32,
        /// Percent complete.
        #[arg(long)]
        percent: u8,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark an action done. Its commitment counts the day this is recorded; --on keeps the
    /// day the work was done beside it.
    Done {
        /// The action.
        action: u32,
        /// The day the work was done (default: today; never after today).
        #[arg(long, value_parser = date_arg)]
        on: Option<Date>,
    },
    /// Move an action's due date, with a reason (the old date stays in its history).
    Replan {
        /// The action.
        action: u32,
        /// The new due date.
        #[arg(long, value_parser = date_arg)]
        due: Date,
        /// Why.
        #[arg(long)]
        reason: String,
    },
}

/// `trove plan ...`
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Set the leading indicator: the metric at the decision point that stops bad output.
    Indicator {
        /// The issue.
        issue: u32,
        /// The metric's id (as in `trove metrics import`).
        #[arg(long, value_parser = slug_arg)]
        metric: Slug,
        /// What it measures.
        #[arg(long)]
        name: String,
        /// Unit.
        #[arg(long)]
        unit: String,
        /// Which way is better: up or down.
        #[arg(long)]
        direction: Direction,
        /// Target.
        #[arg(long, allow_negative_numbers = true)]
        target: f64,
    },
    /// Print the one-page plan.
    Show {
        /// The issue.
        issue: u32,
        /// Format.
        #[arg(long, value_enum, default_value = "md")]
        format: PageFormat,
        /// Write to this file instead of printing.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `trove metrics ...`
#[derive(Debug, Subcommand)]
pub enum MetricsCommand {
    /// Import values from CSV (`metric,day,value`): each new or changed value is recorded in
    /// the log with the one it replaces (the metric's issues' departments, analysts, admins).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// Print a metric's values.
    Show {
        /// The metric.
        metric: String,
    },
}

/// `trove commitments`.
#[derive(Debug, Args)]
pub struct CommitmentsArgs {
    /// Only the missed ones.
    #[arg(long)]
    missed: bool,
    /// Only this department's.
    #[arg(long, value_parser = slug_arg)]
    department: Option<Slug>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ListFormat,
}

/// `trove stream`.
#[derive(Debug, Args)]
pub struct StreamArgs {
    /// The department.
    #[arg(value_parser = slug_arg)]
    department: Slug,
    /// Verbatims received since this day.
    #[arg(long, value_parser = date_arg)]
    since: Date,
    /// How many verbatims.
    #[arg(long, default_value_t = 10)]
    verbatims: usize,
    /// Format.
    #[arg(long, value_enum, default_value = "md")]
    format: PageFormat,
    /// Write to this file instead of printing.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `trove audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The record: issue:N, chain:N, action:N, case:N, announcement:N, lesson:N,
    /// submission:N, user:EMAIL.
    record: String,
}

/// Runs a workflow command.
pub fn run(url: &DbUrl, session: &Session, command: WorkflowCommand) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    match command {
        WorkflowCommand::User { command } => user(&app, session, command),
        WorkflowCommand::Department { command } => department(&app, session, command),
        WorkflowCommand::Issue { command } => issue(&app, session, command),
        WorkflowCommand::Why { command } => why(&app, session, command),
        WorkflowCommand::Action { command } => action(&app, session, command),
        WorkflowCommand::Plan { command } => plan(&app, session, command),
        WorkflowCommand::Metrics { command } => metrics(&app, session, command),
        WorkflowCommand::Commitments(args) => commitments(&app, session, &args),
        WorkflowCommand::Stream(args) => stream(&app, session, &args),
        WorkflowCommand::Audit(args) => audit(&app, session, &args),
        WorkflowCommand::Followups(args) => crate::loops::followups(&app, session, &args),
        WorkflowCommand::Announce(args) => crate::loops::announce(&app, session, &args),
        WorkflowCommand::Report(args) => crate::loops::report(&app, session, &args),
        WorkflowCommand::Lessons { command } => crate::loops::lessons(&app, session, &command),
        WorkflowCommand::Recognition { command } => {
            crate::loops::recognition(&app, session, &command)
        }
        WorkflowCommand::Rehearsal { command } => rehearsal(&app, session, command),
    }
}

fn rehearsal(app: &App, session: &Session, command: Option<RehearsalCommand>) -> Result<ExitCode> {
    match command {
        Some(RehearsalCommand::On { reason }) => {
            session.actor()?;
            act_one(
                app,
                session,
                Change::RehearsalMarked {
                    reason: reason.clone(),
                },
            )?;
            println!("this database is now a rehearsal ({reason}): --now may pretend other times");
        }
        None => match read(app, session)?.rehearsal {
            Some(r) => println!(
                "a rehearsal database since {} ({}, by {}): --now may pretend other times",
                jiff::Timestamp::from_second(r.at)?.strftime("%Y-%m-%d"),
                r.reason,
                r.by
            ),
            None => println!(
                "not a rehearsal: every change is recorded at the real time (--now is refused)"
            ),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Makes changes as the session's person; prints nothing.
pub fn act(
    app: &App,
    session: &Session,
    build: impl Fn(&Workflow) -> Result<Vec<Change>, trove_app::WorkflowError>,
) -> Result<Workflow> {
    Ok(app.act(session.actor.as_deref(), session.clock, build)?)
}

/// Makes one change that does not depend on the state.
pub fn act_one(app: &App, session: &Session, change: Change) -> Result<Workflow> {
    act(app, session, |_| Ok(vec![change.clone()]))
}

/// Reading needs a signed-in person too (any role).
pub fn read(app: &App, session: &Session) -> Result<Workflow> {
    let state = app.workflow()?;
    app.user(&state, session.actor()?)?;
    Ok(state)
}

/// Writes a page to a file or stdout.
pub fn emit(text: &str, out: Option<&PathBuf>) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn user(app: &App, session: &Session, command: UserCommand) -> Result<ExitCode> {
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            departments,
        } => {
            let email = email.trim().to_lowercase();
            act(app, session, |state| {
                app.check_departments(state, &departments)?;
                Ok(vec![Change::UserAdded {
                    email: email.clone(),
                    name: name.clone(),
                    role,
                    departments: departments.clone(),
                }])
            })?;
            println!("added {email} ({})", role.as_str());
        }
        UserCommand::Change {
            email,
            role,
            departments,
        } => {
            let email = email.trim().to_lowercase();
            act(app, session, |state| {
                app.check_departments(state, &departments)?;
                Ok(vec![Change::UserChanged {
                    email: email.clone(),
                    role,
                    departments: departments.clone(),
                }])
            })?;
            println!("{email} is now {}", role.as_str());
        }
        UserCommand::Password {
            email,
            password_stdin,
        } => {
            let email = email.trim().to_lowercase();
            let password = crate::password::read(password_stdin)?;
            app.set_password(session.actor()?, &email, &password)?;
            println!("set the password of {email} (their sessions were ended)");
        }
        UserCommand::List => {
            for u in read(app, session)?.users.values() {
                let departments: Vec<&str> = u.departments.iter().map(Slug::as_str).collect();
                println!(
                    "{:<28} {:<8} {:<20} {}",
                    u.email,
                    u.role.as_str(),
                    u.name,
                    departments.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn department(app: &App, session: &Session, command: DepartmentCommand) -> Result<ExitCode> {
    match command {
        DepartmentCommand::Add { id, name } => {
            act_one(
                app,
                session,
                Change::DepartmentAdded {
                    id: id.clone(),
                    name: name.clone(),
                },
            )?;
            println!("added department {} ({name})", id.as_str());
        }
        DepartmentCommand::List => {
            let state = read(app, session)?;
            for (id, name) in app.departments(&state)? {
                println!("{:<20} {name}", id.as_str());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn issue(app: &App, session: &Session, command: IssueCommand) -> Result<ExitCode> {
    match command {
        IssueCommand::Scope {
            issue,
            themes,
            lead,
            mut departments,
        } => {
            if !departments.contains(&lead) {
                departments.insert(0, lead.clone());
            }
            act(app, session, |state| {
                app.check_departments(state, &departments)?;
                Ok(vec![Change::IssueScoped {
                    issue,
                    themes: themes.clone(),
                    lead: lead.clone(),
                    departments: departments.clone(),
                }])
            })?;
            println!(
                "issue {issue} now covers {} themes, led by {}",
                themes.len(),
                lead.as_str()
            );
        }
        IssueCommand::Open(args) => {
            let (run, current) = app.analyze_and_record(
                &args.scope.filter()?,
                args.scope.themes.into(),
                &args.scope.params()?,
            )?;
            let analysis = &current.analysis;
            let (name, theme_departments, pain) =
                app.issue_seed(&args.theme, analysis, Some(run))?;
            let departments = if args.departments.is_empty() {
                theme_departments
            } else {
                args.departments.clone()
            };
            let Some(lead) = args.lead.clone().or_else(|| departments.first().cloned()) else {
                bail!(
                    "theme {} names no departments: give --lead and --department",
                    args.theme
                );
            };
            let mut departments = departments;
            if !departments.contains(&lead) {
                departments.insert(0, lead.clone());
            }
            let theme = Slug::parse("theme", &args.theme)?;
            let title = args.title.clone().unwrap_or(name);
            let state = act(app, session, |state| {
                app.check_departments(state, &departments)?;
                Ok(vec![Change::IssueOpened {
                    issue: ids::issue(state),
                    title: title.clone(),
                    themes: vec![theme.clone()],
                    lead: lead.clone(),
                    departments: departments.clone(),
                    pain: Some(pain.clone()),
                }])
            })?;
            let issue = state.issues.values().next_back().context("opened")?;
            println!(
                "opened issue {}: {} (lead {}, with {}; {} items from {} customers in {}, NPS impact {})",
                issue.id,
                issue.title,
                issue.lead.as_str(),
                issue
                    .departments
                    .iter()
                    .map(Slug::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                pain.volume,
                pain.customers,
                pain.window,
                pain.nps_impact.map_or("-".into(), |n| format!("{n:+.1}"))
            );
        }
        IssueCommand::List { format } => {
            let state = read(app, session)?;
            match format {
                ListFormat::Json => {
                    let issues: Vec<_> = state.issues.values().collect();
                    println!("{}", serde_json::to_string_pretty(&issues)?);
                }
                ListFormat::Human => {
                    for i in state.issues.values() {
                        let actions = state.actions_of(i.id).count();
                        println!(
                            "{:>3}  {:<17} {:<40} lead {:<12} {} actions",
                            i.id,
                            i.status.as_str(),
                            trove_domain::safe::printable(&i.title),
                            i.lead.as_str(),
                            actions
                        );
                    }
                }
            }
        }
        IssueCommand::Move {
            issue,
            status,
            note,
        } => {
            act_one(
                app,
                session,
                Change::IssueMoved {
                    issue,
                    to: status,
                    note,
                },
            )?;
            println!("issue {issue} is now {}", status.as_str());
        }
        IssueCommand::Verify {
            issue,
            fixed_on,
            periods,
        } => verify(app, session, issue, fixed_on, periods)?,
        IssueCommand::Resolve {
            issue,
            override_reason: Some(reason),
        } => {
            act_one(app, session, Change::OverrideRequested { issue, reason })?;
            println!(
                "asked to resolve issue {issue} without verification; another admin approves with `trove issue approve {issue}`"
            );
        }
        IssueCommand::Resolve {
            issue,
            override_reason: None,
        } => {
            act_one(
                app,
                session,
                Change::IssueMoved {
                    issue,
                    to: Status::Resolved,
                    note: None,
                },
            )?;
            println!("issue {issue} is resolved");
        }
        IssueCommand::Approve { issue } => {
            let approver = session.actor()?.to_owned();
            act(app, session, |state| {
                let request = state
                    .issues
                    .get(&issue)
                    .and_then(|i| i.override_request.clone())
                    .ok_or_else(|| {
                        trove_app::WorkflowError::Invalid(format!(
                            "nobody asked to resolve issue {issue} without verification"
                        ))
                    })?;
                Ok(vec![
                    Change::ResolutionOverridden {
                        issue,
                        reason: request.reason.clone(),
                        approved_by: approver.clone(),
                    },
                    Change::IssueMoved {
                        issue,
                        to: Status::Resolved,
                        note: Some(request.reason),
                    },
                ])
            })?;
            println!("issue {issue} is resolved without verification, approved by {approver}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(app: &App, session: &Session, issue: u32, fixed_on: Date, periods: usize) -> Result<()> {
    let recorded = app.verify_issue(session.actor()?, session.clock, issue, fixed_on, periods)?;
    let v = &recorded.test;
    println!(
        "issue {issue}: {} (rate ratio {:.3}, 95% CI {:.3}-{:.3}; {} items before, {} after)",
        recorded.verdict, v.rate_ratio, v.ci_low, v.ci_high, v.count_before, v.count_after
    );
    Ok(())
}

/// `--why "text | evidence, evidence"`.
fn parse_why(raw: &str) -> Why {
    match raw.split_once(" | ") {
        Some((text, evidence)) => Why {
            text: text.trim().to_owned(),
            evidence: evidence
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        None => Why {
            text: raw.trim().to_owned(),
            evidence: Vec::new(),
        },
    }
}

fn why(app: &App, session: &Session, command: WhyCommand) -> Result<ExitCode> {
    let WhyCommand::Add {
        issue,
        symptom,
        whys,
        participants,
        on,
    } = command;
    let whys: Vec<Why> = whys.iter().map(|w| parse_why(w)).collect();
    let state = act(app, session, |state| {
        Ok(vec![Change::WhysRecorded {
            chain: ids::chain(state),
            issue,
            symptom: symptom.clone(),
            whys: whys.clone(),
            workshop_on: on.unwrap_or(session.today()),
            participants: participants.clone(),
        }])
    })?;
    let chain = state.chains.values().next_back().context("recorded")?;
    println!(
        "recorded chain {} for issue {issue}: root cause \"{}\"",
        chain.id,
        chain.root_cause()
    );
    Ok(ExitCode::SUCCESS)
}

fn action(app: &App, session: &Session, command: ActionCommand) -> Result<ExitCode> {
    match command {
        ActionCommand::Add {
            issue,
            root_cause,
            what,
            department,
            owner,
            due,
            public,
        } => {
            let owner = owner.trim().to_lowercase();
            let state = act(app, session, |state| {
                Ok(vec![Change::ActionPlanned {
                    action: ids::action(state),
                    issue,
                    chain: root_cause,
                    what: what.clone(),
                    department: department.clone(),
                    owner: owner.clone(),
                    due,
                    public: public.clone(),
                }])
            })?;
            let action = state.actions.values().next_back().context("planned")?;
            println!(
                "planned action {} for issue {issue}: {} ({}, {owner}, due {due})",
                action.id,
                action.what,
                department.as_str()
            );
        }
        ActionCommand::Progress {
            action,
            percent,
            note,
        } => {
            act_one(
                app,
                session,
                Change::ActionProgressed {
                    action,
                    percent,
                    note,
                },
            )?;
            println!("action {action} is {percent}% done");
        }
        ActionCommand::Edit { action, public } => {
            act_one(
                app,
                session,
                Change::ActionWorded {
                    action,
                    public: public.clone(),
                },
            )?;
            println!("action {action} is told to customers as: {public}");
        }
        ActionCommand::Done { action, on } => {
            let on = on.unwrap_or(session.today());
            let state = act_one(app, session, Change::ActionDone { action, on })?;
            let record = state.actions.get(&action).context("done")?;
            let met = record.met_on().unwrap_or(on);
            let standing = views::commitments(&state, met)
                .into_iter()
                .find(|c| c.promise == views::Promise::Action(action))
                .map_or("", |c| c.standing.as_str());
            if met == on {
                println!(
                    "action {action} done on {on} (due {}: {standing})",
                    record.due
                );
            } else {
                println!(
                    "action {action} done on {on} as claimed, recorded {met} (due {}: {standing}, counted from the day recorded)",
                    record.due
                );
            }
        }
        ActionCommand::Replan {
            action,
            due,
            reason,
        } => {
            act_one(
                app,
                session,
                Change::ActionReplanned {
                    action,
                    due,
                    reason: reason.clone(),
                },
            )?;
            println!("action {action} is now due {due} ({reason})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn plan(app: &App, session: &Session, command: PlanCommand) -> Result<ExitCode> {
    match command {
        PlanCommand::Indicator {
            issue,
            metric,
            name,
            unit,
            direction,
            target,
        } => {
            act_one(
                app,
                session,
                Change::IndicatorSet {
                    issue,
                    metric: metric.clone(),
                    name: name.clone(),
                    unit: unit.clone(),
                    direction,
                    target,
                },
            )?;
            println!(
                "issue {issue} watches {} ({name}), target {target} {unit}",
                metric.as_str()
            );
        }
        PlanCommand::Show { issue, format, out } => {
            let state = read(app, session)?;
            let Some(record) = state.issues.get(&issue) else {
                bail!("there is no issue {issue}");
            };
            let series = match &record.indicator {
                Some(indicator) => state.metric_series(indicator.metric.as_str()),
                None => Vec::new(),
            };
            let doc = views::plan_page(&state, record, &series, session.today());
            let text = format.render(&doc, &format!("Issue {issue}: {}", record.title));
            emit(&text, out.as_ref())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn metrics(app: &App, session: &Session, command: MetricsCommand) -> Result<ExitCode> {
    match command {
        MetricsCommand::Import { file } => {
            let name = file.display().to_string();
            let reader =
                std::fs::File::open(&file).with_context(|| format!("cannot read {name}"))?;
            let report = app.import_metrics(session.actor()?, session.clock, &name, reader)?;
            println!(
                "{} values recorded ({} new, {} changed, each with the value it replaces; {} unchanged) for {}",
                report.inserted + report.updated,
                report.inserted,
                report.updated,
                report.unchanged,
                report.metrics.join(", ")
            );
            for error in &report.errors {
                eprintln!("{error}");
            }
            if !report.errors.is_empty() {
                eprintln!(
                    "{} rows rejected; the valid ones were kept",
                    report.errors.len()
                );
                return Ok(ExitCode::from(2));
            }
        }
        MetricsCommand::Show { metric } => {
            for (day, value) in read(app, session)?.metric_series(&metric) {
                println!("{day}  {value}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn commitments(app: &App, session: &Session, args: &CommitmentsArgs) -> Result<ExitCode> {
    let state = read(app, session)?;
    let all: Vec<_> = views::commitments(&state, session.today())
        .into_iter()
        .filter(|c| !args.missed || c.standing == Standing::Missed)
        .filter(|c| args.department.is_none() || c.department == args.department)
        .collect();
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&all)?),
        ListFormat::Human => {
            if all.is_empty() {
                println!("no commitments{}", if args.missed { " missed" } else { "" });
            }
            for c in &all {
                let late = if c.days_late > 0 {
                    format!(" ({} days late)", c.days_late)
                } else {
                    String::new()
                };
                let replanned = if c.replanned > 0 {
                    format!(", re-planned {}x", c.replanned)
                } else {
                    String::new()
                };
                let claimed = match (c.claimed_on, c.met_on) {
                    (Some(claimed), Some(met)) => {
                        format!(" (claims done {claimed}, recorded {met})")
                    }
                    _ => String::new(),
                };
                println!(
                    "{:<8} {}  issue {:<3} {:<12} {:<22} {}{late}{replanned}{claimed}",
                    c.standing.as_str(),
                    c.due,
                    c.issue.map_or("-".into(), |i| i.to_string()),
                    c.department.as_ref().map_or("analysts", Slug::as_str),
                    c.owner.as_deref().unwrap_or("-"),
                    c.what
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stream(app: &App, session: &Session, args: &StreamArgs) -> Result<ExitCode> {
    let state = read(app, session)?;
    // The department's themes: those of the issues it contributes to.
    let themes: Vec<Slug> = state
        .issues
        .values()
        .filter(|i| i.departments.contains(&args.department))
        .flat_map(|i| i.themes.iter().cloned())
        .collect();
    let verbatims = app.verbatims(&themes, (start_of(args.since), session.now), args.verbatims)?;
    let doc = views::stream_page(
        &state,
        &args.department,
        args.since,
        session.today(),
        &verbatims,
    );
    let text = args
        .format
        .render(&doc, &format!("{} stream", args.department.as_str()));
    emit(&text, args.out.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

fn audit(app: &App, session: &Session, args: &AuditArgs) -> Result<ExitCode> {
    let state = read(app, session)?;
    let trail = state.audit(&args.record);
    if trail.is_empty() {
        bail!(
            "no change touches {:?} (records look like issue:3, action:7)",
            args.record
        );
    }
    for event in trail {
        let at = jiff::Timestamp::from_second(event.at)?;
        println!(
            "#{:<5} {}  {:<24} {}",
            event.seq,
            at.strftime("%Y-%m-%d %H:%M"),
            event.actor,
            serde_json::to_string(&event.change)?
        );
    }
    Ok(ExitCode::SUCCESS)
}
