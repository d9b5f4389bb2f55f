//! `trove export`: every item of a drill-down filter, one row each with its themes,
//! sentiment, scores and attributes, as CSV (Excel-safe) or an Excel workbook; the same
//! rows as the drill-down page's downloads and `GET /api/v1/items/export`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use trove_app::{App, ExportFormat, ItemsRequest};

use crate::db::DbUrl;

/// The file formats of `trove export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    /// CSV, UTF-8 with a byte order mark; cells a spreadsheet would run as formulas are
    /// prefixed with `'`.
    Csv,
    /// An Excel workbook (.xlsx).
    Xlsx,
}

/// Arguments of `trove export`: the drill-down's filters (`/items?...`).
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The file format.
    #[arg(long, value_enum)]
    format: FileFormat,
    /// Where to write (`-`: standard output). The file appears whole or not at all.
    #[arg(long)]
    out: PathBuf,
    /// First day (YYYY-MM-DD, UTC).
    #[arg(long)]
    from: Option<String>,
    /// Day after the last (YYYY-MM-DD, exclusive).
    #[arg(long)]
    to: Option<String>,
    /// A theme's id (its descendants count too; an item counts once).
    #[arg(long)]
    theme: Option<String>,
    /// A journey stage's id (the stage its themes are placed at).
    #[arg(long)]
    stage: Option<String>,
    /// A touchpoint.
    #[arg(long)]
    touchpoint: Option<String>,
    /// A business unit.
    #[arg(long)]
    business_unit: Option<String>,
    /// A channel (survey, ticket, review, ...).
    #[arg(long)]
    channel: Option<String>,
    /// A customer segment.
    #[arg(long)]
    segment: Option<String>,
    /// A source.
    #[arg(long)]
    source: Option<String>,
    /// promoter, passive or detractor.
    #[arg(long)]
    band: Option<String>,
    /// negative, neutral or positive.
    #[arg(long)]
    sentiment: Option<String>,
    /// yes (suggestions only) or no (the other items).
    #[arg(long)]
    suggestion: Option<String>,
    /// Which themes count: any (default), rule, source or model.
    #[arg(long)]
    origin: Option<String>,
}

impl ExportArgs {
    /// The drill-down request of the flags, refused naming the flag.
    fn request(&self) -> Result<ItemsRequest> {
        let given = [
            ("from", &self.from),
            ("to", &self.to),
            ("theme", &self.theme),
            ("stage", &self.stage),
            ("touchpoint", &self.touchpoint),
            ("bu", &self.business_unit),
            ("channel", &self.channel),
            ("segment", &self.segment),
            ("source", &self.source),
            ("band", &self.band),
            ("sentiment", &self.sentiment),
            ("suggestion", &self.suggestion),
            ("origin", &self.origin),
        ];
        let pairs: Vec<(String, String)> = given
            .iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| ((*name).to_owned(), v.clone())))
            .collect();
        ItemsRequest::parse(&pairs).map_err(|e| {
            let flag = if e.field == "bu" {
                "business-unit"
            } else {
                &e.field
            };
            anyhow::anyhow!("--{flag}: {}", e.message)
        })
    }
}

/// Runs `trove export`.
pub fn run(url: &DbUrl, args: &ExportArgs) -> Result<ExitCode> {
    let request = args.request()?;
    let format = match args.format {
        FileFormat::Csv => ExportFormat::Csv,
        FileFormat::Xlsx => ExportFormat::Xlsx,
    };
    let app = App::new(url.open()?);
    if args.out.as_os_str() == "-" {
        let mut out = BufWriter::new(std::io::stdout());
        let rows = app.export_items(&request, format, &mut out)?;
        out.flush()?;
        eprintln!("{rows} items exported");
        return Ok(ExitCode::SUCCESS);
    }
    if args.out.is_dir() {
        bail!("--out {}: is a folder; name a file", args.out.display());
    }
    // Written beside the target and renamed when complete: a failure leaves no half file.
    let name = args
        .out
        .file_name()
        .with_context(|| format!("--out {}: name a file", args.out.display()))?;
    let mut hidden = std::ffi::OsString::from(".");
    hidden.push(name);
    hidden.push(".partial");
    let partial = args.out.with_file_name(hidden);
    let written = write_file(&app, &request, format, &partial);
    let rows = match written {
        Ok(rows) => rows,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &args.out)
        .with_context(|| format!("--out {}: cannot write it", args.out.display()))?;
    eprintln!(
        "{rows} items exported to {} ({})",
        args.out.display(),
        format.extension()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_file(
    app: &App,
    request: &ItemsRequest,
    format: ExportFormat,
    path: &std::path::Path,
) -> Result<u64> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("{}: cannot write it", path.display()))?;
    let mut writer = BufWriter::new(file);
    let rows = app.export_items(request, format, &mut writer)?;
    writer
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    Ok(rows)
}
