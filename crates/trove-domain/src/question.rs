//! The kind of question a source's free text answers.

use serde::{Deserialize, Serialize};

/// What kind of question a source's text answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Asks what to improve ("What could we improve?").
    Improve,
    /// Asks what was good ("What did you like most?").
    Praise,
    /// Any other question, or a comment box.
    Open,
}

impl QuestionKind {
    /// `improve`, `praise` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Improve => "improve",
            Self::Praise => "praise",
            Self::Open => "open",
        }
    }

    /// The kind named `improve`, `praise` or `open`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "improve" => Some(Self::Improve),
            "praise" => Some(Self::Praise),
            "open" => Some(Self::Open),
            _ => None,
        }
    }
}
