//! `trove artifact`: files attached to a touchpoint (letters, bills, screenshots) or to one
//! feedback item (call recordings), shown under their stage in the room.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::{App, Attachment};
use trove_store::{Artifact, ArtifactTarget};

use crate::Format;
use crate::db::DbUrl;

/// Arguments of `trove artifact`.
#[derive(Debug, Args)]
pub struct ArtifactArgs {
    #[command(subcommand)]
    command: ArtifactCommand,
}

/// What a file is attached to, as typed: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
struct TargetArgs {
    /// A journey touchpoint's id (what customers receive there: a letter, a bill...).
    #[arg(long)]
    touchpoint: Option<String>,
    /// A feedback item's id (a call recording, a photo the customer sent).
    #[arg(long)]
    item: Option<i64>,
}

impl TargetArgs {
    fn target(&self) -> Option<ArtifactTarget> {
        match (&self.touchpoint, self.item) {
            (Some(touchpoint), _) => Some(ArtifactTarget::Touchpoint(touchpoint.clone())),
            (None, Some(item)) => Some(ArtifactTarget::Item(item)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ArtifactCommand {
    /// Attach a file (admins and analysts). Its type is read from its content: PNG, JPEG,
    /// GIF or WebP images up to 5 MiB, PDF up to 10 MiB, MP3, WAV, Ogg or M4A up to 25 MiB.
    Add {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
        /// What it shows.
        #[arg(long)]
        note: Option<String>,
    },
    /// List the files (those of one touchpoint or item, or all).
    List {
        #[command(flatten)]
        target: TargetArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Write a file's bytes out (if your role may fetch it).
    Get {
        /// The file's id.
        id: i64,
        /// Where to write it.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Remove a file (admins and analysts).
    Remove {
        /// The file's id.
        id: i64,
    },
}

impl ArtifactArgs {
    /// Whether this changes the database.
    pub fn changes(&self) -> bool {
        matches!(
            self.command,
            ArtifactCommand::Add { .. } | ArtifactCommand::Remove { .. }
        )
    }
}

pub fn run(url: &DbUrl, args: &ArtifactArgs, as_email: Option<&str>) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    let actor = as_email.context("say who you are: --as EMAIL (or set TROVE_USER)")?;
    let role = app.user(&app.workflow()?, actor)?.role;
    match &args.command {
        ArtifactCommand::Add { file, target, note } => {
            let Some(target) = target.target() else {
                bail!("say what the file is attached to: --touchpoint ID or --item ID");
            };
            let content =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let attachment = Attachment {
                target,
                name: file.display().to_string(),
                note: note.clone(),
                content,
            };
            let artifact =
                app.attach_artifact(actor, attachment, jiff::Timestamp::now().as_second())?;
            println!(
                "attached file {} ({}, {}, {} bytes) to {}",
                artifact.id,
                artifact.name,
                artifact.media_type,
                artifact.size,
                described(&artifact.target)
            );
        }
        ArtifactCommand::List { target, format } => {
            let artifacts = app.artifacts_for(role, target.target().as_ref())?;
            if *format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&artifacts)?);
            } else if artifacts.is_empty() {
                println!("no files attached: `trove artifact add FILE --touchpoint ID` adds one");
            } else {
                print_table(&artifacts);
            }
        }
        ArtifactCommand::Get { id, output } => {
            let (artifact, content) = app.artifact_content(role, *id)?;
            std::fs::write(output, &content)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!(
                "wrote {} ({}, {} bytes) to {}",
                artifact.name,
                artifact.media_type,
                content.len(),
                output.display()
            );
        }
        ArtifactCommand::Remove { id } => {
            app.remove_artifact(actor, *id)?;
            println!("removed file {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn described(target: &ArtifactTarget) -> String {
    match target {
        ArtifactTarget::Touchpoint(touchpoint) => format!("touchpoint {touchpoint}"),
        ArtifactTarget::Item(item) => format!("item {item}"),
    }
}

fn print_table(artifacts: &[Artifact]) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "id",
        "attached to",
        "name",
        "type",
        "bytes",
        "note",
        "added by",
    ]);
    for artifact in artifacts {
        table.add_row([
            artifact.id.to_string(),
            described(&artifact.target),
            artifact.name.clone(),
            artifact.media_type.clone(),
            artifact.size.to_string(),
            artifact.note.clone().unwrap_or_default(),
            artifact.added_by.clone(),
        ]);
    }
    println!("{table}");
}
