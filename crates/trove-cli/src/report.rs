//! `trove report monthly` and `trove report list` (beside the announcements' progress
//! reports of `trove report N`): the monthly review of a business unit (or of every unit), and the list of
//! the reports kept.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use trove_app::App;
use trove_app::report::MonthlyReport;
use trove_app::report_text;

/// `trove report list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
}

/// How the list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// JSON.
    Json,
}

/// The report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A standalone web page (print it on A4, read it on a phone).
    Html,
    /// Markdown.
    Md,
    /// One figure per row: section, subject, measure, value.
    Csv,
    /// Every figure, for scripts (`schema_version` 1; shape in trove-app/src/report.rs).
    Json,
    /// PDF (made from the JSON by typst).
    Pdf,
}

impl ReportFormat {
    fn extension(self) -> &'static str {
        match self {
            ReportFormat::Html => "html",
            ReportFormat::Md => "md",
            ReportFormat::Csv => "csv",
            ReportFormat::Json => "json",
            ReportFormat::Pdf => "pdf",
        }
    }
}

/// Arguments of `trove report monthly`.
#[derive(Debug, Args)]
pub struct MonthlyArgs {
    /// The business unit (`trove summary --by business-unit` lists them).
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    business_unit: Option<String>,
    /// Every unit's report, one file each in the folder --out names.
    #[arg(long)]
    all: bool,
    /// The month, YYYY-MM (default: the month before this one).
    #[arg(long)]
    month: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    format: ReportFormat,
    /// Write to this file (with --all: this folder) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// What handling one contact costs, e.g. "6.50 USD", for the annuity ledger
    /// (default: 5.00 USD, and the report says it used the default).
    #[arg(long)]
    cost_per_contact: Option<String>,
}

/// Reports show the workflow's records: once the workflow has people, the reader must be one
/// of them (`--as`), as for every workflow read. A database of feedback alone needs no one.
pub fn check_reader(app: &App, session: &crate::workflow::Session) -> Result<()> {
    let state = app.workflow()?;
    if !state.users.is_empty() {
        app.user(&state, session.actor()?)?;
    }
    Ok(())
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// The month before the current one, `YYYY-MM`.
fn last_month() -> String {
    use trove_analytics::trend::{PeriodKind, period_index, period_label};
    period_label(
        period_index(now(), PeriodKind::Month) - 1,
        PeriodKind::Month,
    )
}

/// `trove report monthly`: makes, keeps and writes the report(s).
pub fn monthly(app: &App, args: &MonthlyArgs) -> Result<ExitCode> {
    if args.format == ReportFormat::Pdf && args.out.is_none() {
        bail!("a PDF is not for the terminal: name the file with --out FILE");
    }
    let month = args.month.clone().unwrap_or_else(last_month);
    let cost = args
        .cost_per_contact
        .as_deref()
        .map(trove_app::parse_cost)
        .transpose()?;
    let units = match &args.business_unit {
        Some(unit) => vec![unit.clone()],
        None => app.business_units()?,
    };
    if args.all {
        let folder = args
            .out
            .as_deref()
            .context("--all writes one file per unit: name a folder with --out")?;
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
        for unit in &units {
            let report = make(app, unit, &month, cost)?;
            let path = folder.join(format!(
                "{}-{}.{}",
                file_stem(unit),
                report.month,
                args.format.extension()
            ));
            write(&path, &render(&report, args.format)?)?;
            eprintln!("{unit}: {}", path.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(unit) = units.first() else {
        bail!("no business unit to report on");
    };
    let report = make(app, unit, &month, cost)?;
    let bytes = render(&report, args.format)?;
    match &args.out {
        Some(path) => {
            write(path, &bytes)?;
            eprintln!("{unit} {}: {}", report.month, path.display());
        }
        None => std::io::stdout()
            .write_all(&bytes)
            .context("cannot write to standard output")?,
    }
    if report.annuity.cost_source == "default" {
        eprintln!(
            "annuity at the default cost per contact, {} (give another with --cost-per-contact)",
            report.annuity.cost_per_contact.text
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Makes the report and keeps it.
fn make(
    app: &App,
    unit: &str,
    month: &str,
    cost: Option<trove_domain::Money>,
) -> Result<MonthlyReport> {
    let report = app.monthly_report(unit, month, cost, now())?;
    app.keep_report(&report)?;
    Ok(report)
}

/// The report in `format`, as the bytes of its file.
pub fn render(report: &MonthlyReport, format: ReportFormat) -> Result<Vec<u8>> {
    Ok(match format {
        ReportFormat::Html => trove_web::report_html(report)?.into_bytes(),
        ReportFormat::Md => report_text::markdown(report).into_bytes(),
        ReportFormat::Csv => report_text::csv(report).into_bytes(),
        ReportFormat::Json => (serde_json::to_string_pretty(report)? + "\n").into_bytes(),
        ReportFormat::Pdf => trove_app::report_pdf(report)?,
    })
}

/// A unit's name as a file name: letters and digits kept, the rest `-`.
fn file_stem(unit: &str) -> String {
    let stem: String = unit
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    stem.trim_matches('-').to_owned()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// `trove report list`.
pub fn list(app: &App, args: &ListArgs) -> Result<ExitCode> {
    let format = args.format;
    let heads = app.kept_reports()?;
    if format == ListFormat::Json {
        let rows: Vec<serde_json::Value> = heads
            .iter()
            .map(|h| {
                serde_json::json!({
                    "business_unit": h.business_unit,
                    "month": h.month,
                    "generated_at": h.generated_at,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if heads.is_empty() {
        println!("no report kept yet: `trove report monthly --business-unit UNIT --month YYYY-MM`");
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<24} {:<8} generated", "business unit", "month");
    for h in &heads {
        let at = jiff::Timestamp::from_second(h.generated_at).map_or_else(
            |_| h.generated_at.to_string(),
            |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        );
        println!("{:<24} {:<8} {at}", h.business_unit, h.month);
    }
    Ok(ExitCode::SUCCESS)
}

/// `trove report recipients ...`.
#[derive(Debug, Subcommand)]
pub enum RecipientsCommand {
    /// Add a recipient of a unit's monthly review (admins): a person of Trove (named as in
    /// their record) or any address.
    Add {
        /// The address.
        address: String,
        /// The business unit whose report they receive.
        #[arg(
            long,
            required_unless_present = "all_units",
            conflicts_with = "all_units"
        )]
        business_unit: Option<String>,
        /// Every unit's report (the same as --business-unit '*').
        #[arg(long)]
        all_units: bool,
        /// The name to address a plain address by.
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a recipient of a unit's report (admins).
    Remove {
        /// The address.
        address: String,
        /// The business unit (`*` for the every-unit record).
        #[arg(
            long,
            required_unless_present = "all_units",
            conflicts_with = "all_units"
        )]
        business_unit: Option<String>,
        /// The every-unit record.
        #[arg(long)]
        all_units: bool,
    },
    /// The recipients by unit, and the day of the month reports are sent from.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// From which day of the following month (1-28) a month's reports are sent (admins;
    /// default 2).
    Day {
        /// The day.
        day: u8,
    },
}

/// The unit a recipient command names.
fn recipient_unit(business_unit: &Option<String>, all_units: bool) -> String {
    match business_unit {
        Some(unit) if !all_units => unit.clone(),
        _ => trove_store::EVERY_UNIT.to_owned(),
    }
}

/// `trove report recipients ...`.
pub fn recipients(
    app: &App,
    session: &crate::workflow::Session,
    command: &RecipientsCommand,
) -> Result<ExitCode> {
    let unit_text = |unit: &str| {
        if unit == trove_store::EVERY_UNIT {
            "every unit's".to_owned()
        } else {
            format!("{unit}'s")
        }
    };
    match command {
        RecipientsCommand::Add {
            address,
            business_unit,
            all_units,
            name,
        } => {
            let unit = recipient_unit(business_unit, *all_units);
            let added =
                app.add_report_recipient(session.actor()?, &unit, address, name.as_deref(), now())?;
            println!(
                "{address} {} {} monthly review",
                if added {
                    "now receives"
                } else {
                    "already receives"
                },
                unit_text(&unit)
            );
        }
        RecipientsCommand::Remove {
            address,
            business_unit,
            all_units,
        } => {
            let unit = recipient_unit(business_unit, *all_units);
            if !app.remove_report_recipient(session.actor()?, &unit, address)? {
                bail!(
                    "{address} is not a recipient of {} report (`trove report recipients list`)",
                    unit_text(&unit)
                );
            }
            println!(
                "{address} no longer receives {} monthly review",
                unit_text(&unit)
            );
        }
        RecipientsCommand::List { format } => {
            check_reader(app, session)?;
            let recipients = app.report_recipients()?;
            let day = app.report_send_day()?;
            if *format == ListFormat::Json {
                let rows: Vec<serde_json::Value> = recipients
                    .iter()
                    .map(|r| serde_json::to_value(r).unwrap_or_default())
                    .collect();
                let all = serde_json::json!({ "send_day": day, "recipients": rows });
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "a month's reports are sent from day {day} of the following month (`trove send due`)"
            );
            if recipients.is_empty() {
                println!(
                    "no recipient yet: `trove report recipients add ADDRESS --business-unit UNIT --as ADMIN`"
                );
            }
            for r in &recipients {
                println!(
                    "{:<24} {:<32} {}",
                    r.business_unit,
                    r.address,
                    r.name.as_deref().unwrap_or("")
                );
            }
        }
        RecipientsCommand::Day { day } => {
            app.set_report_send_day(session.actor()?, *day)?;
            println!("a month's reports are sent from day {day} of the following month");
        }
    }
    Ok(ExitCode::SUCCESS)
}
