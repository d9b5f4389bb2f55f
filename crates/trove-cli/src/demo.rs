//! `trove demo`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Args;
use trove_analytics::analysis::AnalysisParams;
use trove_demo::DemoConfig;
use trove_store::{FeedbackFilter, ThemeOrigin};

use crate::db::DbUrl;
use crate::output::{self, Bar, thousands};
use crate::summary::DIMENSIONS;

/// Arguments of `trove demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed makes the same company.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    seed: u64,
    /// Customers to invent.
    #[arg(long, default_value_t = DemoConfig::default().customers)]
    customers: usize,
    /// Feedback items to invent.
    #[arg(long, default_value_t = DemoConfig::default().feedback)]
    feedback: usize,
    /// Load the company's data only, as earlier Trove did: no people, no loop, no recorded
    /// analysis (the server then prints its one-time setup link for a first admin of your own).
    #[arg(long)]
    data_only: bool,
    /// Then serve the Customer Room on the demo (as `trove serve`), printing the address and
    /// the demo sign-in.
    #[arg(long)]
    serve: bool,
    /// The address `--serve` listens on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    listen: String,
}

pub fn run(url: &DbUrl, args: &DemoArgs) -> Result<ExitCode> {
    let app = trove_app::App::new(url.open()?);
    let config = DemoConfig {
        seed: args.seed,
        customers: args.customers,
        feedback: args.feedback,
        ..DemoConfig::default()
    };
    let started = std::time::Instant::now();
    let bar = Bar::new(false);
    let report = app.load_demo(&config, &bar)?;
    bar.finish();
    println!(
        "Made {} (seed {}): {} departments, a journey of {} stages and {} touchpoints ({} moments of truth), {} themes.",
        report.company,
        args.seed,
        report.departments,
        report.stages,
        report.touchpoints,
        report.moments_of_truth,
        report.themes
    );
    println!(
        "Stored {} customers ({} new) and {} feedback items ({} new, {} already there) into {url} in {:.1} s.",
        thousands(report.customers.inserted + report.customers.updated),
        thousands(report.customers.inserted),
        thousands(report.feedback.inserted + report.feedback.duplicates),
        thousands(report.feedback.inserted),
        thousands(report.feedback.duplicates),
        started.elapsed().as_secs_f64()
    );
    println!("\nPlanted for Trove to find:\n{}", report.truth);
    let summary = app.summary(&FeedbackFilter::default(), &DIMENSIONS)?;
    println!();
    output::print_summary(&summary);
    if let Some(tagged) = report.tagged {
        println!(
            "\nTagged {} items with the demo taxonomy (taxonomy version {}): {} carry a theme.",
            thousands(tagged.items),
            tagged.version,
            thousands(tagged.tagged)
        );
    }
    let (room, analysis, recorded) = if args.data_only {
        let analysis = app.analyze(
            &FeedbackFilter::default(),
            ThemeOrigin::Any,
            &AnalysisParams::default(),
        )?;
        (None, Arc::new(analysis), String::new())
    } else {
        let room = app.seed_demo_room(report.truth.end)?;
        // Recorded last, so that the room reads it (the issue's own run is older).
        let (run, current) = app.analyze_and_record(
            &FeedbackFilter::default(),
            ThemeOrigin::Any,
            &AnalysisParams::default(),
        )?;
        (
            room,
            current.analysis,
            format!(" (recorded: analysis run {run})"),
        )
    };
    let (first, last) = &analysis.window_labels;
    println!("\nChronic issues from {first} to {last}, ranked by what they cost{recorded}:");
    crate::analyze::print_ranking(&analysis, false, 10);
    crate::analyze::print_alerts(&analysis, 5);
    let db = match url {
        DbUrl::Sqlite(path) => format!(" --db {}", path.display()),
        DbUrl::Postgres(_) => String::new(),
    };
    let next = [
        (
            format!("trove issues{db}"),
            "the ranked chronic issues (--format json|csv)",
        ),
        (
            format!("trove trend claim-payout-delay{db}"),
            "one theme, month by month",
        ),
        (
            format!("trove verify document-upload-broken --fixed-on 2026-03-15{db}"),
            "did the fix work?",
        ),
        (
            format!("trove drivers{db}"),
            "what drives the score: support, direction, intervals",
        ),
        (
            format!("trove scores --by business-unit{db}"),
            "NPS, CSAT, CES with significance tests",
        ),
        (
            "trove import FILE --mapping M.toml".to_owned(),
            "your own feedback (see README.md)",
        ),
    ];
    let width = next
        .iter()
        .map(|(command, _)| command.len())
        .max()
        .unwrap_or(0);
    println!("\nNext:");
    for (command, what) in next {
        println!("  {command:<width$}  {what}");
    }
    let sign_in = if args.data_only {
        None
    } else {
        print_people(&app, room.as_ref(), &db)?
    };
    if args.serve {
        println!();
        return crate::serve::serve(
            url,
            &crate::serve::ServeArgs::plain(&args.listen),
            sign_in.as_deref(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the demo's people and loop (with the password, the only time it is shown); on a
/// database whose people existed already, says how to set a password. Returns the sign-in
/// line for the server's banner.
fn print_people(
    app: &trove_app::App,
    room: Option<&trove_app::DemoRoom>,
    db: &str,
) -> Result<Option<String>> {
    let Some(room) = room else {
        let state = app.workflow()?;
        if let Some(admin) = state.admins().next() {
            println!(
                "\nThe people of this database were made before; their passwords are unchanged (not shown again).\n\
                 A new one: trove user password {email} --as {email}{db}",
                email = admin.email
            );
        }
        return Ok(None);
    };
    println!(
        "\nThe loop under way: issue {} ({}) with its five whys, actions in {}, {} commitment{} missed, \
         announcement {} to {} customers, {} follow-up cases.",
        room.issue,
        room.issue_title,
        room.action_departments.join(", "),
        room.missed,
        if room.missed == 1 { "" } else { "s" },
        room.announcement,
        thousands(room.recipients),
        room.cases
    );
    println!("\nPeople (all sign in with the demo password below):");
    for person in &room.people {
        println!(
            "  {:<32} {:<8} {:<16} {}",
            person.email,
            person.role.as_str(),
            person.department.as_deref().unwrap_or("-"),
            person.name
        );
    }
    println!(
        "Demo password: {}   (random for this database, shown only now)",
        room.password
    );
    Ok(room.people.first().map(|admin| {
        format!(
            "Sign in as {} (or anyone above) with the demo password {}",
            admin.email, room.password
        )
    }))
}
