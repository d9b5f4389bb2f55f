//! `trove form`: public feedback forms (admins only): create, list, close, and print their QR
//! code or an A4 poster.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::{App, NewForm};
use trove_store::{FormRecord, FormScale};

use crate::Format;
use crate::db::DbUrl;

/// Arguments of `trove form`.
#[derive(Debug, Args)]
pub struct FormArgs {
    #[command(subcommand)]
    command: FormCommand,
}

#[derive(Debug, Subcommand)]
enum FormCommand {
    /// Create a form; prints its id and its public path `/f/ID` (no sign-in needed there).
    Create {
        /// The source its answers are stored under.
        #[arg(long)]
        source: String,
        /// The touchpoint they concern (a journey touchpoint id, when a journey is loaded).
        #[arg(long)]
        touchpoint: String,
        /// The business unit they concern.
        #[arg(long)]
        business_unit: Option<String>,
        /// The score asked for.
        #[arg(long, value_enum)]
        score: Scale,
        /// The question the score (or, with `--score none`, the comment) answers.
        #[arg(long)]
        question: String,
        /// The page's heading (default "Tell us how we did").
        #[arg(long)]
        title: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// List the forms, newest first.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Close a form: its page answers "not found" from now on; its answers stay stored.
    Close {
        /// The form's id.
        id: String,
    },
    /// Write the QR code of a form's link.
    Qr {
        /// The form's id.
        id: String,
        /// The image format.
        #[arg(long, value_enum, default_value_t = QrFormat::Svg)]
        format: QrFormat,
        /// Where `trove serve` is reached from outside, e.g. `https://feedback.example.com`.
        #[arg(long)]
        base_url: String,
        /// The file to write (default: standard output; a PNG needs a file).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Write a printable A4 poster (HTML: print it from a browser) with the form's title,
    /// question and QR code.
    Poster {
        /// The form's id.
        id: String,
        /// Where `trove serve` is reached from outside, e.g. `https://feedback.example.com`.
        #[arg(long)]
        base_url: String,
        /// The HTML file to write.
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// The score scales, as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scale {
    /// Net Promoter, 0 to 10.
    Nps,
    /// Satisfaction, 1 to 5.
    Csat,
    /// Effort, 1 to 7 (7: very easy).
    Ces,
    /// No score: a comment only.
    None,
}

impl From<Scale> for FormScale {
    fn from(scale: Scale) -> Self {
        match scale {
            Scale::Nps => Self::Nps,
            Scale::Csat => Self::Csat,
            Scale::Ces => Self::Ces,
            Scale::None => Self::None,
        }
    }
}

/// QR image formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum QrFormat {
    /// Scalable vector graphics.
    Svg,
    /// A PNG image, 10 pixels per module.
    Png,
}

impl FormArgs {
    /// Whether this changes the database.
    pub fn changes(&self) -> bool {
        matches!(
            self.command,
            FormCommand::Create { .. } | FormCommand::Close { .. }
        )
    }
}

fn actor(actor: Option<&str>) -> Result<&str> {
    actor.context("say who you are: --as EMAIL (an admin; or set TROVE_USER)")
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub fn run(url: &DbUrl, args: &FormArgs, as_email: Option<&str>) -> Result<ExitCode> {
    let app = App::new(url.open()?);
    let actor = actor(as_email)?;
    match &args.command {
        FormCommand::Create {
            source,
            touchpoint,
            business_unit,
            score,
            question,
            title,
            format,
        } => {
            let new = NewForm {
                source: source.clone(),
                touchpoint: touchpoint.clone(),
                business_unit: business_unit.clone(),
                scale: (*score).into(),
                question: question.clone(),
                title: title.clone(),
            };
            let form = app.create_form(actor, &new, now())?;
            if *format == Format::Json {
                println!("{}", serde_json::to_string_pretty(&listed(&form))?);
            } else {
                println!("created form {}", form.id);
                println!("public path: /f/{}", form.id);
                println!(
                    "its QR code: trove form qr {} --base-url https://YOUR-SERVER",
                    form.id
                );
            }
        }
        FormCommand::List { format } => {
            let forms = app.forms(actor)?;
            if *format == Format::Json {
                let listed: Vec<_> = forms.iter().map(listed).collect();
                println!("{}", serde_json::to_string_pretty(&listed)?);
            } else if forms.is_empty() {
                println!("no forms yet: `trove form create` makes one");
            } else {
                print_table(&forms);
            }
        }
        FormCommand::Close { id } => {
            let form = app.close_form(actor, id, now())?;
            println!(
                "closed form {} ({}): /f/{} answers \"not found\" from now on",
                form.id, form.title, form.id
            );
        }
        FormCommand::Qr {
            id,
            format,
            base_url,
            output,
        } => {
            let form = app.form_for_admin(actor, id)?;
            let link = trove_app::form_url(base_url, &form.id)?;
            match (format, output) {
                (QrFormat::Svg, None) => print!("{}", trove_app::qr_svg(&link)?),
                (QrFormat::Svg, Some(path)) => write(path, trove_app::qr_svg(&link)?.as_bytes())?,
                (QrFormat::Png, Some(path)) => write(path, &trove_app::qr_png(&link, 10)?)?,
                (QrFormat::Png, None) => bail!("a PNG is no text for a terminal: give -o FILE.png"),
            }
            note_closed(&form);
        }
        FormCommand::Poster {
            id,
            base_url,
            output,
        } => {
            let form = app.form_for_admin(actor, id)?;
            let link = trove_app::form_url(base_url, &form.id)?;
            write(output, trove_app::poster_html(&form, &link)?.as_bytes())?;
            note_closed(&form);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn note_closed(form: &FormRecord) {
    if form.closed_at.is_some() {
        eprintln!(
            "note: form {} is closed: its link answers \"not found\"",
            form.id
        );
    }
}

/// A form as listed: everything but its secret, with its path.
fn listed(form: &FormRecord) -> serde_json::Value {
    let mut value = serde_json::to_value(form).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("path".into(), format!("/f/{}", form.id).into());
    }
    value
}

fn print_table(forms: &[FormRecord]) {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "id",
        "status",
        "title",
        "score",
        "source",
        "touchpoint",
        "unit",
        "created",
    ]);
    for form in forms {
        let day = |at: i64| {
            jiff::Timestamp::from_second(at)
                .map_or(at.to_string(), |t| t.strftime("%Y-%m-%d").to_string())
        };
        table.add_row([
            form.id.clone(),
            form.closed_at
                .map_or("open".to_owned(), |at| format!("closed {}", day(at))),
            form.title.clone(),
            form.scale.as_str().to_owned(),
            form.source.clone(),
            form.touchpoint.clone(),
            form.business_unit.clone().unwrap_or_default(),
            format!("{} by {}", day(form.created_at), form.created_by),
        ]);
    }
    println!("{table}");
}
