//! `trove assess`: the customer programme's maturity self-assessment: the questions, a
//! person's answers of the month, and the scores per area over time.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use trove_app::{
    AREAS, App, AssessmentTrend, LOW_SCORE, answers_from_toml, parse_answers, questions,
};

use crate::Format;
use crate::db::DbUrl;
use crate::workflow::Session;

/// `trove assess ...`.
#[derive(Debug, Subcommand)]
pub enum AssessCommand {
    /// Print the questions, numbered, by area.
    Questions,
    /// Record your answers of this month (--as; --now on a rehearsal database): a second set
    /// in the same month replaces the first.
    Answer {
        /// An answer, NUMBER=1..5 or ID=1..5 (`3=4`, `clarity-3=4`); repeat for several.
        #[arg(long = "answer")]
        answers: Vec<String>,
        /// A TOML file of answers, one `ID = 1..5` (or `"NUMBER" = 1..5`) per line.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Scores per area and month, averaged over the people who answered (with their count).
    Show {
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
}

impl AssessCommand {
    /// Whether the command records anything.
    pub fn changes(&self) -> bool {
        matches!(self, AssessCommand::Answer { .. })
    }
}

/// Runs `trove assess`.
pub fn run(url: Option<&DbUrl>, session: &Session, command: AssessCommand) -> Result<ExitCode> {
    match command {
        AssessCommand::Questions => print_questions(),
        AssessCommand::Answer { answers, file } => {
            let url = url.context("a database is needed")?;
            let actor = session.actor()?;
            let mut given = Vec::new();
            if let Some(file) = &file {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                given.extend(answers_from_toml(&file.display().to_string(), &text)?);
            }
            for raw in &answers {
                let (question, value) = raw.split_once('=').with_context(|| {
                    format!("--answer {raw:?}: write NUMBER=ANSWER, e.g. --answer 3=4")
                })?;
                given.push((
                    question.to_owned(),
                    value.to_owned(),
                    format!("--answer {raw}"),
                ));
            }
            let parsed = parse_answers(&given)?;
            let app = App::new(url.open()?);
            let month = app.answer_assessment(actor, session.clock, &parsed)?;
            println!(
                "recorded {} answers of {actor} for {month} (of {} questions; answering again this month replaces them)",
                parsed.len(),
                questions().len()
            );
        }
        AssessCommand::Show { format } => {
            let url = url.context("a database is needed")?;
            let trend = App::new(url.open()?).assessment_trend()?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&trend)?),
                Format::Human => print_trend(&trend),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_questions() {
    let all = questions();
    for area in AREAS {
        println!(
            "{} ({}; id {})",
            area.name,
            area.group.to_lowercase(),
            area.id
        );
        for question in all.iter().filter(|q| q.area == area.id) {
            println!(
                "  {:>2}. [{}] {}",
                question.number, question.id, question.text
            );
        }
    }
    println!(
        "Answer each 1 (not true at all) to 5 (completely true): trove assess answer --as EMAIL --answer 1=4 --answer 2=3 ..."
    );
}

fn print_trend(trend: &AssessmentTrend) {
    if trend.months.is_empty() {
        println!(
            "no answers yet: `trove assess questions`, then `trove assess answer --as EMAIL ...`"
        );
        return;
    }
    let mut table = Table::new();
    let mut header = vec!["area".to_owned()];
    header.extend(
        trend
            .months
            .iter()
            .map(|m| format!("{} (n={})", m.month, m.people)),
    );
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
    for (index, area) in AREAS.iter().enumerate() {
        let mut row = vec![Cell::new(area.name)];
        for month in &trend.months {
            let score = &month.areas[index];
            let text = score.mean.map_or_else(
                || "–".to_owned(),
                |mean| {
                    let low = if mean < LOW_SCORE { " low" } else { "" };
                    format!("{mean:.2} (n={}){low}", score.people)
                },
            );
            row.push(Cell::new(text).set_alignment(CellAlignment::Right));
        }
        table.add_row(row);
    }
    println!("{table}");
    let low = trend.low_areas();
    if !low.is_empty() {
        println!("Low areas (below {LOW_SCORE}) in the latest month, and what to do next:");
        for (area, mean) in low {
            println!(
                "  {} ({mean:.2}): {} Trove: {} ({}).",
                area.name, area.next_step, area.helps.1, area.helps.0
            );
        }
    }
}
