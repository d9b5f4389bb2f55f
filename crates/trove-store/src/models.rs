//! Classifiers trained from labelled feedback, stored with a version and their training metrics.

use serde::Serialize;

/// A trained model about to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModel {
    /// The model's name (`default` unless the user names it); versions count per name.
    pub name: String,
    /// When it was trained (unix seconds).
    pub created_at: i64,
    /// The labelled file it was trained on, as the user named it.
    pub labels_file: String,
    /// Its training metrics, as JSON.
    pub metrics: String,
    /// The serialised model, stored and read back byte for byte.
    pub model: Vec<u8>,
}

/// A stored model without its bytes, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSummary {
    /// The model's name.
    pub name: String,
    /// Its version (1, 2, ... per name).
    pub version: i64,
    /// When it was trained (unix seconds).
    pub created_at: i64,
    /// The labelled file it was trained on.
    pub labels_file: String,
    /// Its training metrics, as JSON.
    pub metrics: String,
    /// The size of the serialised model in bytes.
    pub bytes: u64,
}

/// A stored model with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredModel {
    /// Everything but the bytes.
    pub summary: ModelSummary,
    /// The serialised model, exactly as saved.
    pub model: Vec<u8>,
}
