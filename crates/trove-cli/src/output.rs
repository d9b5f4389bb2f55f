//! Presenting results to a person: tables, figures, progress bars.

use std::io::IsTerminal;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trove_analytics::scores::{Estimate, ScoreKind};
use trove_app::Summary;

/// `1234567` as `1,234,567`.
pub use trove_analytics::chronic::thousands;

/// A progress bar on a terminal's standard error, hidden otherwise.
pub struct Bar(ProgressBar);

impl Bar {
    /// A bar counting `unit` (e.g. "bytes" or "items").
    pub fn new(bytes: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let template = if bytes {
            "{bar:40.cyan/blue} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
        } else {
            "{bar:40.cyan/blue} {human_pos}/{human_len} ({per_sec}, {eta} left)"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl trove_app::Progress for Bar {
    fn set_total(&self, total: u64) {
        self.0.set_length(total);
    }
    fn set_done(&self, done: u64) {
        self.0.set_position(done);
    }
}

fn estimate(value: Option<Estimate>, unit: &str) -> String {
    match value {
        Some(e) => format!(
            "{:.1}{unit} (95% CI {:.1} to {:.1}, n = {})",
            e.value,
            e.ci_low,
            e.ci_high,
            thousands(e.n)
        ),
        None => "no answers".into(),
    }
}

/// A group's headline figure of `kind`: "+12.3" for NPS, "74.1%" for the shares.
fn score_cell(kind: ScoreKind, tally: &trove_domain::ScoreTally) -> String {
    kind.estimate(tally).map_or_else(
        || "–".into(),
        |e| match kind {
            ScoreKind::Nps => format!("{:+.1}", e.value),
            ScoreKind::Csat | ScoreKind::Ces => format!("{:.1}%", e.value),
        },
    )
}

/// The column header of `kind`'s headline figure.
fn score_header(kind: ScoreKind) -> &'static str {
    match kind {
        ScoreKind::Nps => "NPS",
        ScoreKind::Csat => "CSAT top-2",
        ScoreKind::Ces => "CES 5-7",
    }
}

/// Prints a summary as tables; each score present (NPS, CSAT, CES) gets its columns.
pub fn print_summary(summary: &Summary) {
    println!(
        "{} feedback items, {} customers, {} themes, {} journey stages",
        thousands(summary.feedback),
        thousands(summary.customers),
        summary.themes,
        summary.stages
    );
    println!("NPS  {}", estimate(summary.nps, ""));
    println!("CSAT {}", estimate(summary.csat, "% top-2-box"));
    println!("CES  {}", estimate(summary.ces, "% answering 5-7"));
    if let Some(mean) = summary.ces_mean {
        println!(
            "CES  mean {:.2} (95% CI {:.2} to {:.2}, n = {})",
            mean.value,
            mean.ci_low,
            mean.ci_high,
            thousands(mean.n)
        );
    }
    let present: Vec<ScoreKind> = ScoreKind::ALL
        .into_iter()
        .filter(|k| k.answers(&summary.tally) > 0)
        .collect();
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    for dimension in &summary.by {
        let mut header = vec![
            dimension.dimension.as_str().to_owned(),
            "items".into(),
            "share".into(),
        ];
        for kind in &present {
            header.push(format!("{} answers", kind.name()));
            header.push(score_header(*kind).to_owned());
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
        for group in &dimension.groups {
            let share = 100.0 * group.tally.items as f64 / summary.feedback.max(1) as f64;
            let mut row = vec![
                // Group names come from the customers' data: no escape sequences.
                Cell::new(trove_domain::safe::printable(
                    group.key.as_deref().unwrap_or("(none)"),
                )),
                right(thousands(group.tally.items)),
                right(format!("{share:.1}%")),
            ];
            for kind in &present {
                row.push(right(thousands(kind.answers(&group.tally))));
                row.push(right(score_cell(*kind, &group.tally)));
            }
            table.add_row(row);
        }
        println!("\n{table}");
    }
}

/// "as of 2026-03-15 09:30:12 UTC": when a kept result was computed (unix seconds).
pub fn as_of(computed_at: i64) -> String {
    jiff::Timestamp::from_second(computed_at).map_or_else(
        |_| format!("as of {computed_at} (unix seconds)"),
        |t| format!("as of {} UTC", t.strftime("%Y-%m-%d %H:%M:%S")),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(14_485), "14,485");
        assert_eq!(super::thousands(1_000_000), "1,000,000");
    }
}
