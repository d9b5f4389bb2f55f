//! The planted truth: what the generator put into the feedback, for tests and demos to check
//! analyses against. None of it is written into the items themselves.

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use trove_domain::{Channel, Label, Slug, ThemeId};

/// How a theme behaves over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ThemeKind {
    /// A steady problem, every month, across channels, units, touchpoints and many customers.
    Chronic,
    /// A one-off burst in `start..=end` (mostly one channel and one business unit), near zero
    /// otherwise.
    Spike {
        /// First day of the burst.
        start: Date,
        /// Last day of the burst.
        end: Date,
        /// The channel most of the burst comes through.
        channel: Channel,
        /// The business unit most of the burst is about.
        business_unit: Label,
    },
    /// Steady like a chronic problem until `fix_date`; from that day on its rate is
    /// `remaining` times what it was.
    Fixed {
        /// The day the fix shipped.
        fix_date: Date,
        /// The fraction of the rate left after the fix.
        remaining: f64,
    },
    /// A smaller steady problem.
    Background,
    /// Praise.
    Positive,
}

/// One planted theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeTruth {
    /// Stable id (also the id of the matching [`trove_domain::Theme`]).
    pub id: ThemeId,
    /// Display name.
    pub name: Label,
    /// The group theme it hangs under.
    pub parent: ThemeId,
    /// The journey stage it belongs to.
    pub stage: Slug,
    /// Touchpoints where it shows up, the most common first (some may lie in other stages).
    pub touchpoints: Vec<Slug>,
    /// Departments that contribute to it.
    pub departments: Vec<Slug>,
    /// How it behaves over time.
    pub kind: ThemeKind,
    /// Expected share of the regular items (all but a spike's burst) whose main theme it is,
    /// before any fix; see [`ThemeTruth::share_on`].
    pub share: f64,
    /// Average shift of the NPS answer (0-10 scale) of items about it.
    pub nps_effect: f64,
    /// Seed phrases a taxonomy could start from; customers use many more.
    pub keywords: Vec<String>,
}

impl ThemeTruth {
    /// Expected share, on `date`, of the regular items whose main theme this is. Seasonality
    /// changes volumes, never this share; only a fix does. A spike's burst comes on top of
    /// the regular items (see [`Truth::burst_items`]).
    pub fn share_on(&self, date: Date) -> f64 {
        match self.kind {
            ThemeKind::Fixed {
                fix_date,
                remaining,
            } if date >= fix_date => self.share * remaining,
            _ => self.share,
        }
    }

    /// True for themes that hurt (everything but praise).
    pub fn is_negative(&self) -> bool {
        !matches!(self.kind, ThemeKind::Positive)
    }
}

/// Everything planted in a demo company. `Display` writes a short plain-text summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// First day of the feedback period.
    pub start: Date,
    /// Last day of the feedback period.
    pub end: Date,
    /// Every leaf theme, in a fixed order.
    pub themes: Vec<ThemeTruth>,
    /// Share of regular items that are score-only survey answers (empty text, no theme).
    pub score_only_share: f64,
    /// Share of themed items that also mention a second theme.
    pub second_theme_share: f64,
    /// Items of the spike's burst, on top of the regular items.
    pub burst_items: usize,
    /// Monthly volume factors, January first (the weekday pattern comes on top).
    pub month_factors: [f64; 12],
    /// Weekday volume factors, Monday first.
    pub weekday_factors: [f64; 7],
}

impl Truth {
    /// The theme with this id.
    pub fn theme(&self, id: &str) -> Option<&ThemeTruth> {
        self.themes.iter().find(|t| t.id.as_str() == id)
    }

    /// The chronic themes.
    pub fn chronic(&self) -> impl Iterator<Item = &ThemeTruth> {
        self.themes
            .iter()
            .filter(|t| matches!(t.kind, ThemeKind::Chronic))
    }

    /// The one-off spike theme.
    pub fn spike(&self) -> Option<&ThemeTruth> {
        self.themes
            .iter()
            .find(|t| matches!(t.kind, ThemeKind::Spike { .. }))
    }

    /// The theme that was fixed mid-period.
    pub fn fixed(&self) -> Option<&ThemeTruth> {
        self.themes
            .iter()
            .find(|t| matches!(t.kind, ThemeKind::Fixed { .. }))
    }
}

impl fmt::Display for Truth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |share: f64| share * 100.0;
        writeln!(f, "Feedback from {} to {}.", self.start, self.end)?;
        writeln!(
            f,
            "Chronic issues (steady every month, across channels, units and touchpoints):"
        )?;
        for theme in self.chronic() {
            let departments: Vec<&str> = theme.departments.iter().map(Slug::as_str).collect();
            writeln!(
                f,
                "  {:<22} {} - {:.1}% of items, stage {}, departments {}",
                theme.id.as_str(),
                theme.name,
                pct(theme.share),
                theme.stage,
                departments.join(", ")
            )?;
        }
        for theme in &self.themes {
            match &theme.kind {
                ThemeKind::Spike {
                    start,
                    end,
                    channel,
                    business_unit,
                } => writeln!(
                    f,
                    "One-off spike: {} ({}) - {} items from {start} to {end}, mostly {channel} about {business_unit}",
                    theme.id, theme.name, self.burst_items
                )?,
                ThemeKind::Fixed {
                    fix_date,
                    remaining,
                } => writeln!(
                    f,
                    "Fixed: {} ({}) - {:.1}% of items until {fix_date}, then {:.0}% of that",
                    theme.id,
                    theme.name,
                    pct(theme.share),
                    pct(*remaining)
                )?,
                _ => {}
            }
        }
        let names = |positive: bool| {
            let kind = |t: &&ThemeTruth| {
                if positive {
                    t.kind == ThemeKind::Positive
                } else {
                    t.kind == ThemeKind::Background
                }
            };
            self.themes
                .iter()
                .filter(kind)
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(f, "Background issues: {}", names(false))?;
        writeln!(f, "Praise: {}", names(true))?;
        let (low, high) = self
            .month_factors
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), m| (lo.min(*m), hi.max(*m)));
        write!(
            f,
            "Seasonality: monthly volume x{low:.2} to x{high:.2}, weekends about half a weekday; theme shares unchanged. \
             {:.0}% of items are score-only survey answers.",
            pct(self.score_only_share)
        )
    }
}
