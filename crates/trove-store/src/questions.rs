//! The question a source's text answers (a mapping's `question` and `question_kind`), kept per
//! source so that re-tagging reads each source's answers as the import did.

use serde::Serialize;

/// A source's question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceQuestion {
    /// The source.
    pub source: String,
    /// The question as the survey asked it ("What could we improve?").
    pub question: String,
    /// Its kind: `improve`, `praise` or `open`.
    pub kind: String,
    /// When it was last set (unix seconds).
    pub updated_at: i64,
}
