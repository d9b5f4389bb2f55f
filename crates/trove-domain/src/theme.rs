use serde::{Deserialize, Serialize};

use crate::{Label, Slug};

/// A theme's stable id; it survives renames and taxonomy versions so trends stay comparable.
pub type ThemeId = Slug;

/// A theme of the taxonomy, as a plain record (the taxonomy engine builds on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    /// Stable id.
    pub id: ThemeId,
    /// Display name.
    pub name: Label,
    /// The parent theme, for hierarchies such as Billing > Unexpected fee.
    pub parent: Option<ThemeId>,
}

/// What a theme is about: a problem to fix (the default), or something that is not an issue.
/// Only problems are ranked as issues and carry revenue at risk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeKind {
    /// Something customers complain about.
    #[default]
    Problem,
    /// Something customers like.
    Praise,
    /// An idea or a request for something new.
    Suggestion,
    /// A question customers ask.
    Question,
}

impl ThemeKind {
    /// True for [`ThemeKind::Problem`] (for `skip_serializing_if`).
    pub fn is_problem(&self) -> bool {
        *self == Self::Problem
    }
}
