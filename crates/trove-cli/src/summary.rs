//! `trove summary`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use trove_store::{Dimension, FeedbackFilter};

use crate::Format;
use crate::db::DbUrl;
use crate::output;

/// Arguments of `trove summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// The dimensions a summary counts by.
pub const DIMENSIONS: [Dimension; 4] = [
    Dimension::Channel,
    Dimension::JourneyStage,
    Dimension::BusinessUnit,
    Dimension::Month,
];

/// `trove summary --format json`: the summary and when it was counted (unix seconds).
#[derive(serde::Serialize)]
struct AsOf<'a> {
    #[serde(flatten)]
    summary: &'a trove_app::Summary,
    computed_at: i64,
}

pub fn run(url: &DbUrl, args: &SummaryArgs) -> Result<ExitCode> {
    let app = crate::analytics::app(url)?;
    let filter = FeedbackFilter {
        source: args.source.clone(),
        ..Default::default()
    };
    let summary = app.current_summary(&filter, &DIMENSIONS)?;
    match args.format {
        Format::Json => {
            let json = AsOf {
                summary: &summary.value,
                computed_at: summary.computed_at,
            };
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Format::Human => {
            output::print_summary(&summary.value);
            println!("{}", output::as_of(summary.computed_at));
        }
    }
    Ok(ExitCode::SUCCESS)
}
