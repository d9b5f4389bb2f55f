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
