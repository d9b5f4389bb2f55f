//! Artifacts: files attached to a touchpoint (what customers physically receive: a letter, a
//! bill, a packing slip, a screenshot) or to one feedback item (a call recording, a photo the
//! customer sent). The store keeps the bytes beside their description, so a backup of the
//! database is a backup of the room.

use serde::Serialize;

/// What an artifact is attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ArtifactTarget {
    /// A touchpoint of the journey, by id.
    Touchpoint(String),
    /// One feedback item, by its stored id.
    Item(i64),
}

/// An artifact to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    /// What it is attached to.
    pub target: ArtifactTarget,
    /// Its file name as shown (no path).
    pub name: String,
    /// Its media type, as detected from its content (`image/png`, `audio/mpeg`...).
    pub media_type: String,
    /// A note on what it shows ("the claim acknowledgement letter, March 2026").
    pub note: Option<String>,
    /// The BLAKE3 hash of its content (hex), so the same file attached twice is found.
    pub content_hash: String,
    /// Its bytes.
    pub content: Vec<u8>,
    /// Who attached it (e-mail).
    pub added_by: String,
    /// When (unix seconds).
    pub added_at: i64,
}

/// A stored artifact without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Its id.
    pub id: i64,
    /// What it is attached to.
    pub target: ArtifactTarget,
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its note.
    pub note: Option<String>,
    /// The BLAKE3 hash of its content (hex).
    pub content_hash: String,
    /// Its size in bytes.
    pub size: u64,
    /// Who attached it.
    pub added_by: String,
    /// When (unix seconds).
    pub added_at: i64,
}

impl ArtifactTarget {
    /// The two columns a backend stores: the touchpoint, or the item.
    pub fn columns(&self) -> (Option<&str>, Option<i64>) {
        match self {
            Self::Touchpoint(touchpoint) => (Some(touchpoint), None),
            Self::Item(id) => (None, Some(*id)),
        }
    }

    /// The target of a stored row's two columns (exactly one is set: the schema checks it).
    pub fn from_columns(touchpoint: Option<String>, item: Option<i64>) -> Option<Self> {
        match (touchpoint, item) {
            (Some(touchpoint), None) => Some(Self::Touchpoint(touchpoint)),
            (None, Some(id)) => Some(Self::Item(id)),
            _ => None,
        }
    }
}
