//! The Customer Room's first view: the journey's stages in order and, under each, its ranked
//! chronic issues as the latest recorded analysis run found them. Nothing is recomputed here:
//! the room reads what `trove analyze` recorded, and says when.

use std::collections::HashMap;

use serde::Deserialize;
use trove_store::{StoreError, StoreResult};

use crate::App;

/// The room as of the latest recorded analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// The journey's stages, left to right, each with its chronic issues.
    pub stages: Vec<RoomStage>,
    /// Chronic issues of themes placed at no stage (or at one the journey no longer has).
    pub unplaced: Vec<RoomIssue>,
    /// The analysis run read, if one is recorded.
    pub run: Option<RoomRun>,
}

/// Which recorded analysis the room shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRun {
    /// The run's id.
    pub id: i64,
    /// When it ran (unix seconds).
    pub created_at: i64,
    /// Items in its window.
    pub items: u64,
    /// The window's first and last periods.
    pub window: (String, String),
}

/// A journey stage's column.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomStage {
    /// The stage's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its chronic issues, by rank.
    pub issues: Vec<RoomIssue>,
}

/// A chronic issue as the run ranked it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomIssue {
    /// The theme's id.
    pub theme: String,
    /// The theme's name (its id when the taxonomy has none).
    pub name: String,
    /// Its rank among all chronic issues (1 is worst).
    pub rank: usize,
    /// Items mentioning it in the window.
    pub volume: u64,
    /// Points of NPS lost by the customers who mention it, if measured.
    pub nps_impact: Option<f64>,
    /// Why it ranks where it does, in a sentence.
    pub explanation: String,
}

/// The parts of a recorded analysis the room reads (the record holds more).
#[derive(Deserialize)]
struct RecordedAnalysis {
    window_labels: (String, String),
    themes: Vec<RecordedTheme>,
}

#[derive(Deserialize)]
struct RecordedTheme {
    theme: String,
    chronic: bool,
    rank: Option<usize>,
    volume: u64,
    nps_impact: Option<f64>,
    explanation: String,
}

impl App {
    /// The room: the stored journey's stages with the chronic issues of the latest recorded
    /// analysis run placed under the stage of their theme (or of its nearest parent that has
    /// one). Without a journey there are no columns; without a run, no issues.
    pub fn room(&self) -> StoreResult<Room> {
        let journey = self.store().journey()?;
        let mut stages: Vec<RoomStage> = journey
            .iter()
            .flat_map(|j| j.stages())
            .map(|stage| RoomStage {
                id: stage.id.as_str().to_owned(),
                name: stage.name.as_str().to_owned(),
                issues: Vec::new(),
            })
            .collect();
        let mut unplaced = Vec::new();
        let Some(summary) = self.store().analysis_runs(1)?.into_iter().next() else {
            return Ok(Room {
                stages,
                unplaced,
                run: None,
            });
        };
        let Some(run) = self.store().analysis_run(summary.id)? else {
            return Ok(Room {
                stages,
                unplaced,
                run: None,
            });
        };
        let recorded: RecordedAnalysis = serde_json::from_str(&run.result).map_err(|e| {
            StoreError::database(
                "reading the latest analysis run (was it written by a newer Trove?)",
                e,
            )
        })?;
        let placement = ThemePlacement::load(self)?;
        let mut chronic: Vec<&RecordedTheme> = recorded
            .themes
            .iter()
            .filter(|t| t.chronic && t.rank.is_some())
            .collect();
        chronic.sort_by_key(|t| t.rank);
        for theme in chronic {
            let issue = RoomIssue {
                theme: theme.theme.clone(),
                name: placement.name(&theme.theme),
                rank: theme.rank.unwrap_or(usize::MAX),
                volume: theme.volume,
                nps_impact: theme.nps_impact,
                explanation: theme.explanation.clone(),
            };
            let stage = placement.stage(&theme.theme);
            match stages.iter_mut().find(|s| Some(s.id.as_str()) == stage) {
                Some(column) => column.issues.push(issue),
                None => unplaced.push(issue),
            }
        }
        Ok(Room {
            stages,
            unplaced,
            run: Some(RoomRun {
                id: summary.id,
                created_at: summary.created_at,
                items: summary.items,
                window: recorded.window_labels,
            }),
        })
    }
}

/// Each theme's name, stage and parent, from the stored theme records.
struct ThemePlacement {
    themes: HashMap<String, (String, Option<String>, Option<String>)>,
}

impl ThemePlacement {
    fn load(app: &App) -> StoreResult<Self> {
        let themes = app
            .store()
            .theme_records()?
            .into_iter()
            .map(|stored| {
                let t = stored.theme;
                (
                    t.id.as_str().to_owned(),
                    (
                        t.name.as_str().to_owned(),
                        t.stage.map(|s| s.as_str().to_owned()),
                        t.parent.map(|p| p.as_str().to_owned()),
                    ),
                )
            })
            .collect();
        Ok(Self { themes })
    }

    fn name(&self, theme: &str) -> String {
        self.themes
            .get(theme)
            .map_or_else(|| theme.to_owned(), |(name, _, _)| name.clone())
    }

    /// The theme's stage, or its nearest ancestor's (a cycle guard stops at the depth of the
    /// whole taxonomy).
    fn stage(&self, theme: &str) -> Option<&str> {
        let mut current = theme;
        for _ in 0..=self.themes.len() {
            let (_, stage, parent) = self.themes.get(current)?;
            if let Some(stage) = stage {
                return Some(stage);
            }
            current = parent.as_deref()?;
        }
        None
    }
}
