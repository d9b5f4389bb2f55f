//! `trove import` and `trove import customers`.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use trove_app::{App, ImportOptions, ImportReport, SanityStop};
use trove_domain::{Channel, Label};
use trove_ingest::{CustomerMapping, Format as InputFormat, Mapping, ReadOptions, TextEncoding};
use trove_store::ImportStatus;

use crate::Format;
use crate::db::DbUrl;
use crate::output::{Bar, thousands};

/// Arguments of `trove import`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    customers: Option<ImportCommand>,

    /// The file to import (CSV or other delimited text, JSON Lines, or a workbook: .xlsx,
    /// .xlsm, .xls, .ods); `-` reads standard input.
    #[arg(required = true)]
    file: Option<PathBuf>,

    /// A TOML column mapping (see mappings/ for examples); flags below override it.
    #[arg(long)]
    mapping: Option<PathBuf>,

    /// The source name (with each item's id, the dedup key). Default: the file's name without extension.
    #[arg(long)]
    source: Option<String>,

    /// The channel of every item: survey, ticket, call, chat, email, social, review, return,
    /// employee_note, web_form.
    #[arg(long)]
    channel: Option<String>,

    #[command(flatten)]
    columns: ColumnFlags,

    #[command(flatten)]
    common: CommonFlags,
}

/// Flags naming the input column of a field, for files without a mapping file.
#[derive(Debug, Args)]
struct ColumnFlags {
    /// Column of the item's id (without it, a content hash is the id).
    #[arg(long)]
    id_column: Option<String>,
    /// Column of the received time.
    #[arg(long)]
    time_column: Option<String>,
    /// Layout of the time column: strftime ("%d/%m/%Y %H:%M") or Excel-style
    /// ("dd/mm/yyyy hh:mm"); default: detected, day or month first as the whole column shows.
    #[arg(long)]
    time_format: Option<String>,
    /// UTC offset of times written without one, e.g. -05:00 (default +00:00).
    #[arg(long, conflicts_with = "timezone")]
    time_offset: Option<String>,
    /// IANA time zone of times written without an offset, e.g. America/Chicago (daylight
    /// saving included).
    #[arg(long)]
    timezone: Option<String>,
    /// Column of the text.
    #[arg(long)]
    text_column: Option<String>,
    /// Column of an NPS answer (0-10).
    #[arg(long)]
    nps_column: Option<String>,
    /// Column of a CSAT answer (1-5).
    #[arg(long)]
    csat_column: Option<String>,
    /// Column of a CES answer (1-7).
    #[arg(long)]
    ces_column: Option<String>,
    /// Column of the customer id.
    #[arg(long)]
    customer_column: Option<String>,
    /// Column of the business unit.
    #[arg(long)]
    business_unit_column: Option<String>,
    /// Column of themes the source already coded (repeatable).
    #[arg(long)]
    theme_column: Vec<String>,
    /// CSV delimiter (one character, e.g. ';'; `tab` for tabs); default: sniffed among
    /// comma, semicolon, tab and pipe.
    #[arg(long)]
    delimiter: Option<String>,
    /// Input format, when the file name does not tell (csv, jsonl or workbook).
    #[arg(long)]
    input_format: Option<String>,
    /// Overwrite the stored items of the same source and id from the file (fixing what an
    /// earlier import stored wrong), instead of skipping them as duplicates.
    #[arg(long)]
    replace: bool,
}

/// Flags shared by feedback and customer imports.
#[derive(Debug, Args)]
struct CommonFlags {
    /// The file's text encoding: utf-8, utf-16, windows-1252 (latin1)... Default: UTF-8, or
    /// what the file's byte-order mark says.
    #[arg(long)]
    encoding: Option<String>,
    /// The workbook sheet to read (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Keep personal data (e-mail addresses, phone, card and bank account numbers, SSNs and
    /// National Insurance numbers) in text and attributes (masked by default).
    #[arg(long)]
    keep_pii: bool,
    /// Stop after more than N rejected rows (rows stored before stay stored).
    #[arg(long)]
    max_errors: Option<u64>,
    /// Import even when more than half of the first 1,000 rows are rejected (by default such
    /// a file is refused before anything is stored).
    #[arg(long)]
    allow_mostly_bad: bool,
    /// Write the rejected rows to this file, with a last `trove_error` column, for correction.
    #[arg(long)]
    rejected: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import customers (id, name, email, segment, business_unit, region, lifetime_value,
    /// currency, first_seen, churned, or the columns a mapping names).
    Customers {
        /// The customers file; `-` reads standard input.
        file: PathBuf,
        /// A TOML customer mapping.
        #[arg(long)]
        mapping: Option<PathBuf>,
        #[command(flatten)]
        common: CommonFlags,
    },
}

pub fn run(url: &DbUrl, args: &ImportArgs) -> Result<ExitCode> {
    if let Some(ImportCommand::Customers {
        file,
        mapping,
        common,
    }) = &args.customers
    {
        return customers(url, file, mapping.as_deref(), common);
    }
    let Some(file) = &args.file else {
        bail!("name the file to import")
    };
    // The input first: a missing file must not be reported as a mapping problem, nor
    // leave an empty database behind.
    let (reader, label, size) = open_input(file)?;
    let mapping = feedback_mapping(args, file)?;
    let app = App::new(url.open()?);
    let options = ImportOptions {
        replace: args.columns.replace,
        ..options(&args.common)
    };
    let bar = Bar::new(true);
    if let Some(size) = size {
        trove_app::Progress::set_total(&bar, size);
    }
    let started = Instant::now();
    let rejected = rejected_output(&args.common)?;
    let report = app.import_feedback(reader, &label, &mapping, &options, &bar, rejected)?;
    bar.finish();
    print_report(&report, &args.common, started, "items", "duplicates")
}

fn options(common: &CommonFlags) -> ImportOptions {
    ImportOptions {
        read: ReadOptions {
            mask_pii: !common.keep_pii,
            ..ReadOptions::default()
        },
        max_errors: common.max_errors,
        sanity_stop: (!common.allow_mostly_bad).then(SanityStop::default),
        ..ImportOptions::default()
    }
}

fn rejected_output(common: &CommonFlags) -> Result<Option<BufWriter<File>>> {
    common
        .rejected
        .as_ref()
        .map(|path| {
            File::create(path)
                .map(BufWriter::new)
                .with_context(|| format!("cannot create {}", path.display()))
        })
        .transpose()
}

/// The reader, the name used in messages, and the size when known.
pub(crate) fn open_input(file: &Path) -> Result<(Box<dyn Read>, String, Option<u64>)> {
    if file.as_os_str() == "-" {
        return Ok((Box::new(std::io::stdin().lock()), "stdin".into(), None));
    }
    let opened = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = opened.metadata().ok().map(|m| m.len());
    let label = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok((Box::new(opened), label, size))
}

/// The mapping file (if any) with the flags applied over it.
fn feedback_mapping(args: &ImportArgs, file: &Path) -> Result<Mapping> {
    let mut mapping = match &args.mapping {
        Some(path) => Mapping::load(path)?,
        None => {
            let source = match &args.source {
                Some(source) => source.clone(),
                None => file
                    .file_stem()
                    .filter(|_| file.as_os_str() != "-")
                    .map_or_else(|| "stdin".into(), |s| s.to_string_lossy().into_owned()),
            };
            let Some(channel) = &args.channel else {
                bail!(
                    "say which channel the file comes from with --channel (e.g. --channel survey), or give a --mapping"
                )
            };
            Mapping::new(
                Label::parse("--source", &source)?,
                channel.parse::<Channel>()?,
            )
        }
    };
    if let Some(source) = &args.source {
        mapping.source = Label::parse("--source", source)?;
    }
    if let Some(channel) = &args.channel {
        mapping.channel = Some(channel.parse()?);
        mapping.channel_column = None;
    }
    let flags = &args.columns;
    let named = [
        ("id", &flags.id_column),
        ("time", &flags.time_column),
        ("text", &flags.text_column),
        ("nps", &flags.nps_column),
        ("csat", &flags.csat_column),
        ("ces", &flags.ces_column),
        ("customer", &flags.customer_column),
        ("business_unit", &flags.business_unit_column),
    ];
    for (field, column) in named {
        if let Some(column) = column {
            mapping.columns.set(field, column.clone())?;
        }
    }
    mapping
        .themes
        .columns
        .extend(flags.theme_column.iter().cloned());
    if let Some(format) = &flags.time_format {
        mapping.time.format = Some(format.clone());
        mapping.time.dates = None;
    }
    if let Some(offset) = &flags.time_offset {
        mapping.time.default_offset =
            Some(trove_ingest::parse_offset(offset).map_err(anyhow::Error::msg)?);
        mapping.time.timezone = None;
    }
    if let Some(zone) = &flags.timezone {
        mapping.time.timezone = Some(zone.clone());
        mapping.time.default_offset = None;
    }
    if let Some(delimiter) = &flags.delimiter {
        mapping.delimiter =
            Some(trove_ingest::parse_delimiter(delimiter).map_err(anyhow::Error::msg)?);
    }
    if let Some(format) = &flags.input_format {
        mapping.format = Some(match format.as_str() {
            "csv" => InputFormat::Csv,
            "jsonl" | "ndjson" => InputFormat::Jsonl,
            "workbook" | "xlsx" | "xls" | "ods" => InputFormat::Workbook,
            other => bail!("--input-format {other}: expected csv, jsonl or workbook"),
        });
    }
    if let Some(encoding) = encoding_flag(&args.common)? {
        mapping.encoding = Some(encoding);
    }
    if let Some(sheet) = &args.common.sheet {
        mapping.sheet = Some(sheet.clone());
    }
    mapping.validate()?;
    Ok(mapping)
}

fn encoding_flag(common: &CommonFlags) -> Result<Option<TextEncoding>> {
    common
        .encoding
        .as_deref()
        .map(|label| TextEncoding::parse(label).map_err(|e| anyhow::anyhow!("--encoding: {e}")))
        .transpose()
}

fn customers(
    url: &DbUrl,
    file: &Path,
    mapping: Option<&Path>,
    common: &CommonFlags,
) -> Result<ExitCode> {
    let (reader, label, _) = open_input(file)?;
    let mut mapping = match mapping {
        Some(path) => CustomerMapping::load(path)?,
        None => CustomerMapping::default(),
    };
    if let Some(encoding) = encoding_flag(common)? {
        mapping.encoding = Some(encoding);
    }
    if let Some(sheet) = &common.sheet {
        mapping.sheet = Some(sheet.clone());
    }
    let app = App::new(url.open()?);
    let started = Instant::now();
    let rejected = rejected_output(common)?;
    let report = app.import_customers(reader, &label, &mapping, &options(common), rejected)?;
    print_report(&report, common, started, "customers", "updated")
}

fn print_report(
    report: &ImportReport,
    common: &CommonFlags,
    started: Instant,
    noun: &str,
    repeated: &str,
) -> Result<ExitCode> {
    let code = if report.status == ImportStatus::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if common.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(code);
    }
    let seconds = started.elapsed().as_secs_f64();
    // A rate means something only for a file that took a while.
    let rate = if seconds >= 1.0 {
        format!(
            ", {} rows/s",
            thousands((report.rows as f64 / seconds) as u64)
        )
    } else {
        String::new()
    };
    let replaced = if report.replaced > 0 {
        format!(", {} replaced", thousands(report.replaced))
    } else {
        String::new()
    };
    println!(
        "{}: {} rows read: {} {noun} imported{replaced}, {} {repeated}, {} rejected ({seconds:.1} s{rate}; import run {})",
        report.file,
        thousands(report.rows),
        thousands(report.imported),
        thousands(report.duplicates),
        thousands(report.rejected),
        report.import_run,
    );
    for note in &report.notes {
        eprintln!("  note: {note}");
    }
    if report.status == ImportStatus::Refused {
        return print_refusal(report);
    }
    for error in &report.errors {
        let column = error
            .column
            .as_ref()
            .map(|c| format!("column {c}: "))
            .unwrap_or_default();
        eprintln!("  {}:{}: {column}{}", error.file, error.line, error.reason);
    }
    let unlisted = report
        .errors_total
        .saturating_sub(report.errors.len() as u64);
    if unlisted > 0 {
        eprintln!("  ... and {} more rejected rows", thousands(unlisted));
    }
    if let Some(path) = &common.rejected
        && report.rejected > 0
    {
        eprintln!("rejected rows written to {} for correction", path.display());
    }
    if let Some(why) = &report.aborted_because {
        eprintln!(
            "import stopped early: {why}; fix the file and run the same command again to complete it"
        );
    }
    Ok(code)
}

/// Why a mostly bad file was refused: its commonest reasons, each with a first example.
fn print_refusal(report: &ImportReport) -> Result<ExitCode> {
    if let Some(why) = &report.aborted_because {
        eprintln!("import refused: {why}");
    }
    eprintln!("the commonest reasons:");
    for reason in &report.top_reasons {
        eprintln!(
            "  {} rows: {}\n    e.g. {}:{}: {}\n    {}",
            thousands(reason.rows),
            reason.reason,
            reason.example.file,
            reason.example.line,
            reason.example.reason,
            reason.example_row
        );
    }
    Ok(ExitCode::FAILURE)
}

/// The mapping of the file `trove bench import` generates.
pub fn bench_mapping() -> Mapping {
    let mut mapping = Mapping::new(
        Label::parse("source", "bench").unwrap_or_else(|_| unreachable!("a valid literal")),
        Channel::Survey,
    );
    for (field, column) in [
        ("id", "id"),
        ("time", "created"),
        ("customer", "customer"),
        ("business_unit", "unit"),
        ("nps", "nps"),
        ("text", "comment"),
    ] {
        let _ = mapping.columns.set(field, column);
    }
    mapping.time.format = Some("%Y-%m-%d %H:%M:%S %z".into());
    mapping
}
