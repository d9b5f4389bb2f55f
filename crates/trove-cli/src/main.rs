//! `trove`: the command line. It parses arguments, opens the store the `--db` URL names and
//! calls `trove-app`; it holds no logic of its own beyond presenting results.

mod analytics;
mod analyze;
mod artifact;
mod assess;
mod bench;
mod bench_analyze;
mod bench_classify;
mod bench_clickhouse;
mod bench_items;
mod bench_reads;
mod bench_tag;
mod classify;
mod cues;
mod db;
mod demo;
mod discover;
mod embed;
mod eval;
mod eval_discovery;
mod export;
mod form;
mod import;
mod imports;
mod loops;
mod mail;
mod moments;
mod narratives;
mod output;
mod password;
mod report;
mod sample;
mod sentiment;
mod serve;
mod summary;
mod taxonomy;
mod tokens;
mod webhooks;
mod workflow;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::db::{Access, DbUrl};

/// Trove finds the customer problems that keep coming back, and runs the work that removes them.
#[derive(Debug, Parser)]
#[command(name = "trove", version, long_about = None)]
struct Cli {
    /// The database: an SQLite file (PATH or sqlite://PATH) or a PostgreSQL URL (postgres://...).
    /// Default: sqlite://trove.db in the current folder (trove-demo.db for `trove demo`).
    #[arg(long, global = true, env = "TROVE_DB")]
    db: Option<String>,

    /// Act as this person (their e-mail): the workflow commands check what their role allows.
    #[arg(long = "as", global = true, env = "TROVE_USER")]
    actor: Option<String>,

    /// Pretend it is this day (2026-03-15) or instant (RFC 3339): reads look as of then;
    /// changes may pretend it only on a rehearsal database (the demo's, or `trove rehearsal
    /// on`), everywhere else they carry the real time and --now is refused.
    #[arg(long, global = true, env = "TROVE_NOW")]
    now: Option<String>,

    /// An analytics backend beside the database, for companies that outgrow one machine:
    /// clickhouse://HOST:PORT/DATABASE (?cluster=NAME: a cluster's shards). The analysis reads
    /// their items and tallies there; the facts are synced after each import or tagging.
    #[arg(long, global = true, env = "TROVE_ANALYTICS")]
    analytics: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a demo company (an insurer with a year and a half of feedback) and load it.
    Demo(demo::DemoArgs),
    /// Import feedback from a CSV or JSON Lines file (or customers: `trove import customers FILE`).
    Import(Box<import::ImportArgs>),
    /// Load or show the customer journey and the departments.
    Journey {
        #[command(subcommand)]
        command: JourneyCommand,
    },
    /// Count what is stored, by channel, stage, business unit and month, with the overall scores.
    Summary(summary::SummaryArgs),
    /// Repeat contacts as moments of truth: customers who had to contact the company 3 times
    /// within 30 days (or another count), the rate per month, and what those contacts were about.
    Moments(moments::MomentsArgs),
    /// The customers' stories in call notes, chats, e-mails and tickets: "trying to ... because
    /// ... expected ... but ... now ...", counted per theme (or item by item from a CSV file).
    Narratives(narratives::NarrativesArgs),
    /// List recent imports and how they ended (`trove imports delete RUN` undoes one).
    Imports(imports::ImportsArgs),
    /// Apply pending database migrations (opening the database does this too).
    Migrate,
    /// Load, export or measure the taxonomy of themes.
    Taxonomy {
        #[command(subcommand)]
        command: taxonomy::TaxonomyCommand,
    },
    /// Tag stored items with the current taxonomy (`trove tag --all`).
    Tag(taxonomy::TagArgs),
    /// Find the chronic issues (persistence, spread, impact, spikes, key drivers) and record
    /// the run; `trove analyze --list` lists the recorded runs.
    Analyze(Box<analyze::AnalyzeArgs>),
    /// The ranked chronic issues (and spikes), each with its explanation.
    Issues(Box<analyze::IssuesArgs>),
    /// A theme's share of items per period, as a chart.
    Trend(Box<analyze::TrendArgs>),
    /// Test whether a fixed theme stopped recurring after the fix date.
    Verify(Box<analyze::VerifyArgs>),
    /// Key drivers of a score (NPS, CSAT or CES): Shapley value of R² with support, direction
    /// and a bootstrap interval.
    Drivers(Box<analyze::DriversArgs>),
    /// NPS, CSAT and CES per group or period, with intervals and significance tests.
    Scores(analyze::ScoresArgs),
    /// Train a classifier (or a sentiment model, --target sentiment) on labelled texts and
    /// measure it on held-out ones.
    Eval(Box<eval::EvalArgs>),
    /// Train a classifier on feedback already coded (a labelled CSV) and save it in the store
    /// as a new version, with its held-out accuracy and macro-F1 (--target sentiment: a
    /// sentiment model, measured against the lexicon).
    Train(Box<classify::TrainArgs>),
    /// Label stored items with the newest trained model; its labels are stored as themes
    /// (origin `model`) beside the rule tags.
    Classify(classify::ClassifyArgs),
    /// List the trained models, their versions and training metrics.
    Models(classify::ModelsArgs),
    /// Expectations (unmet / validated) and do more / do less / keep doing, counted per clause
    /// overall and per theme, with example clauses.
    Cues(Box<cues::CuesArgs>),
    /// Find groups of similar comments among the items no theme matched, each with a name,
    /// its size, its trend and sample verbatims; the run is stored (`trove discover show ID`
    /// lists a cluster's members, `trove taxonomy add-from-cluster ID` promotes one).
    Discover(Box<discover::DiscoverArgs>),
    /// Compute and store each item's sentence embedding (once per model; `trove discover`
    /// with the same model then embeds only new items).
    Embed(embed::EmbedArgs),
    #[command(flatten)]
    Workflow(workflow::WorkflowCommand),
    /// Public feedback forms (admins): create, list, close, and their QR code and poster.
    Form(form::FormArgs),
    /// Files attached to a touchpoint or an item (letters, bills, screenshots, call
    /// recordings), shown under their stage in the room: add, list, get, remove.
    Artifact(artifact::ArtifactArgs),
    /// Serve the Customer Room on the web (sign in with a password: `trove user password`).
    Serve(serve::ServeArgs),
    /// Export every item of a drill-down filter, one row each with its themes, sentiment,
    /// scores and attributes, as CSV (Excel-safe) or an Excel workbook.
    Export(Box<export::ExportArgs>),
    /// API tokens for /api/v1/: create (shown once), list, revoke, rotate.
    Token {
        #[command(subcommand)]
        command: tokens::TokenCommand,
    },
    /// Webhooks (admins): subscribe URLs to events, the delivery log, one delivery pass.
    Webhook {
        #[command(subcommand)]
        command: webhooks::WebhookCommand,
    },
    /// Stratified survey samples: draw one (recorded as a wave), list waves, estimate a wave's
    /// weighted NPS, record opt-outs.
    Sample(Box<sample::SampleArgs>),
    /// The programme's maturity self-assessment: questions, answers, scores over time.
    Assess {
        #[command(subcommand)]
        command: assess::AssessCommand,
    },
    /// E-mail: the SMTP server (set once), the cadence of department streams.
    Mail {
        #[command(subcommand)]
        command: mail::MailCommand,
    },
    /// Send the e-mail that is due (`trove send due`, for cron) and read the log of sendings.
    Send {
        #[command(subcommand)]
        command: mail::SendCommand,
    },
    /// The analytics backend (--analytics): sync the facts now, prepare a cluster's shard.
    Analytics {
        #[command(subcommand)]
        command: analytics::AnalyticsCommand,
    },
    /// Measure Trove's speed and memory on generated data.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum JourneyCommand {
    /// Load stages, touchpoints and departments from a TOML file (an admin, --as, once the
    /// workflow has people).
    Load {
        /// The journey file.
        file: std::path::PathBuf,
    },
    /// Print the stored journey as TOML.
    Show,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables and sentences for a person.
    Human,
    /// One JSON document, for scripts.
    Json,
}

fn main() -> ExitCode {
    exit_quietly_on_a_closed_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `trove summary | head` closes our standard output early; `println!` then panics. Stop
/// quietly instead, with the status a process killed by SIGPIPE has (128 + 13), as other
/// Unix tools do.
fn exit_quietly_on_a_closed_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
}

/// What a command does with the database (see [`db::Access`]); `None`: it opens none.
fn access(command: &Command) -> Option<Access> {
    Some(match command {
        Command::Narratives(args) if !args.reads_database() => return None,
        Command::Narratives(_) => Access::ReadItems,
        Command::Bench { .. }
        | Command::Analytics {
            command: analytics::AnalyticsCommand::PrepareShard { .. },
        }
        | Command::Eval(_)
        | Command::Assess {
            command: assess::AssessCommand::Questions,
        } => return None,
        Command::Sample(args) if !args.changes() => Access::Read,
        Command::Assess { command } if !command.changes() => Access::Read,
        Command::Summary(_)
        | Command::Analytics { .. }
        | Command::Moments(_)
        | Command::Analyze(_)
        | Command::Issues(_)
        | Command::Trend(_)
        | Command::Verify(_)
        | Command::Drivers(_)
        | Command::Scores(_)
        | Command::Cues(_)
        | Command::Discover(_)
        | Command::Embed(_)
        | Command::Export(_)
        | Command::Tag(_)
        | Command::Classify(_) => Access::ReadItems,
        Command::Imports(args) if !args.deletes() => Access::Read,
        Command::Form(args) if !args.changes() => Access::Read,
        Command::Artifact(args) if !args.changes() => Access::Read,
        // Serving a mistyped path must not create an empty database.
        Command::Models(_)
        | Command::Serve(_)
        | Command::Token { .. }
        | Command::Webhook { .. }
        | Command::Journey {
            command: JourneyCommand::Show,
        } => Access::Read,
        _ => Access::Write,
    })
}

fn run(cli: Cli) -> Result<ExitCode> {
    analytics::configure(cli.analytics.as_deref())?;
    // An empty TROVE_DB reaches us as no value at all: it must not mean the default.
    let raw_db = match (&cli.db, std::env::var_os("TROVE_DB")) {
        (None, Some(set)) if set.is_empty() => Some(String::new()),
        (given, _) => given.clone(),
    };
    let default = match cli.command {
        Command::Demo(_) => "sqlite://trove-demo.db",
        _ => "sqlite://trove.db",
    };
    let db = || DbUrl::parse(raw_db.as_deref().unwrap_or(default));
    if let Some(access) = access(&cli.command)
        && let Some(code) = db()?.check(access)?
    {
        return Ok(code);
    }
    let changes_analysed_data = changes_analysed_data(&cli.command);
    let code = match cli.command {
        Command::Demo(args) => demo::run(&db()?, &args),
        Command::Import(args) => import::run(&db()?, &args),
        Command::Journey { command } => journey(&db()?, command, cli.actor.as_deref()),
        Command::Summary(args) => summary::run(&db()?, &args),
        Command::Moments(args) => moments::run(&db()?, &args),
        Command::Narratives(args) if !args.reads_database() => narratives::run(None, &args),
        Command::Narratives(args) => narratives::run(Some(&db()?), &args),
        Command::Imports(args) => imports::run(&db()?, &args),
        Command::Bench { command } => bench::run(&command),
        Command::Analytics { command } => analytics::run(&command, db),
        Command::Taxonomy { command } => taxonomy::run(&db()?, command),
        Command::Tag(args) => taxonomy::tag(&db()?, &args),
        Command::Analyze(args) => analyze::analyze(&db()?, &args),
        Command::Issues(args) => analyze::issues(&db()?, &args),
        Command::Trend(args) => analyze::trend(&db()?, &args),
        Command::Verify(args) => analyze::verify(&db()?, &args),
        Command::Drivers(args) => analyze::drivers(&db()?, &args),
        Command::Scores(args) => analyze::scores(&db()?, &args),
        Command::Eval(args) => eval::run(&args),
        Command::Train(args) => classify::train(&db()?, &args),
        Command::Classify(args) => classify::classify(&db()?, &args),
        Command::Models(args) => classify::models(&db()?, &args),
        Command::Cues(args) => cues::run(&db()?, &args),
        Command::Discover(args) => discover::run(&db()?, &args),
        Command::Embed(args) => embed::run(&db()?, &args),
        Command::Workflow(command) => {
            let session = workflow::Session::new(cli.actor.clone(), cli.now.as_deref())?;
            workflow::run(&db()?, &session, command)
        }
        Command::Serve(args) => serve::run(&db()?, &args),
        Command::Form(args) => form::run(&db()?, &args, cli.actor.as_deref()),
        Command::Artifact(args) => artifact::run(&db()?, &args, cli.actor.as_deref()),
        Command::Token { command } => tokens::run(&db()?, cli.actor.as_deref(), command),
        Command::Export(args) => export::run(&db()?, &args),
        Command::Webhook { command } => {
            let clock = workflow::Session::new(None, cli.now.as_deref())?.clock;
            webhooks::run(&db()?, cli.actor.as_deref(), clock, command)
        }
        Command::Sample(args) => {
            let session = workflow::Session::new(cli.actor.clone(), cli.now.as_deref())?;
            sample::run(&db()?, &args, &session)
        }
        Command::Assess { command } => {
            let session = workflow::Session::new(cli.actor.clone(), cli.now.as_deref())?;
            let url = match command {
                assess::AssessCommand::Questions => None,
                _ => Some(db()?),
            };
            assess::run(url.as_ref(), &session, command)
        }
        Command::Mail { command } => {
            let session = workflow::Session::new(cli.actor.clone(), cli.now.as_deref())?;
            mail::mail(&db()?, &session, command)
        }
        Command::Send { command } => {
            let session = workflow::Session::new(cli.actor.clone(), cli.now.as_deref())?;
            mail::send(&db()?, &session, command)
        }
        Command::Migrate => {
            let url = db()?;
            // Opening applies what is pending; a second call reports that nothing is left.
            let store = url.open()?;
            store.migrate()?;
            println!("{url} is up to date ({} backend)", store.backend());
            Ok(ExitCode::SUCCESS)
        }
    }?;
    if changes_analysed_data {
        analytics::sync_after_change(&db()?)?;
        // The next read is then served at once (a refusal or a partial import included: only
        // what is stale is computed).
        analytics::app(&db()?)?.refresh_analyses()?;
    }
    Ok(code)
}

/// Whether a command may change what an analysis reads: the kept results are then brought up
/// to date before it ends.
fn changes_analysed_data(command: &Command) -> bool {
    match command {
        Command::Demo(_) | Command::Import(_) | Command::Tag(_) | Command::Classify(_) => true,
        Command::Taxonomy { command } => matches!(
            command,
            taxonomy::TaxonomyCommand::Load { .. } | taxonomy::TaxonomyCommand::AddFromCluster(_)
        ),
        Command::Imports(args) => args.deletes(),
        Command::Journey { command } => !matches!(command, JourneyCommand::Show),
        _ => false,
    }
}

fn journey(url: &DbUrl, command: JourneyCommand, actor: Option<&str>) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    match command {
        JourneyCommand::Load { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let journey = trove_app::parse_journey(&file.display().to_string(), &text)
                .map_err(anyhow::Error::msg)?;
            app.load_journey(actor.map(|a| a.trim().to_lowercase()).as_deref(), &journey)?;
            let touchpoints: usize = journey.stages().iter().map(|s| s.touchpoints.len()).sum();
            println!(
                "loaded {} stages, {touchpoints} touchpoints and {} departments into {url}",
                journey.stages().len(),
                journey.departments().len()
            );
        }
        JourneyCommand::Show => match app.store().journey()? {
            Some(journey) => print!("{}", trove_app::journey_to_toml(&journey)),
            None => {
                eprintln!(
                    "no journey is loaded in {url}: load one with `trove journey load FILE.toml`"
                );
                return Ok(ExitCode::FAILURE);
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
