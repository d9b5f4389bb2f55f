//! Public feedback forms: what an admin created (the question, the scale, where the answers
//! go), and the import run that records each form's answers of a day.

use serde::Serialize;

/// The score scale a form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormScale {
    /// Net Promoter, 0 to 10.
    Nps,
    /// Satisfaction, 1 to 5.
    Csat,
    /// Effort, 1 to 7 (7: very easy).
    Ces,
    /// No score: a comment only.
    None,
}

impl FormScale {
    const ALL: [Self; 4] = [Self::Nps, Self::Csat, Self::Ces, Self::None];

    /// The name stored and typed (`nps`, `csat`, `ces`, `none`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nps => "nps",
            Self::Csat => "csat",
            Self::Ces => "ces",
            Self::None => "none",
        }
    }

    /// Parses the name.
    pub fn parse(raw: &str) -> Option<Self> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.as_str() == wanted)
    }

    /// The lowest and highest answer, or `None` for a form without a score.
    pub fn range(self) -> Option<(u8, u8)> {
        match self {
            Self::Nps => Some((0, 10)),
            Self::Csat => Some((1, 5)),
            Self::Ces => Some((1, 7)),
            Self::None => None,
        }
    }
}

/// A stored feedback form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormRecord {
    /// The unguessable id in its public path (`/f/{id}`).
    pub id: String,
    /// The key its page's time stamps are signed with (hex); never shown.
    #[serde(skip)]
    pub secret: String,
    /// The heading of its page.
    pub title: String,
    /// The question the score (or, without one, the comment) answers.
    pub question: String,
    /// The source its answers are stored under.
    pub source: String,
    /// The touchpoint its answers concern.
    pub touchpoint: String,
    /// The business unit its answers concern, if one.
    pub business_unit: Option<String>,
    /// The score it asks for.
    pub scale: FormScale,
    /// Who created it (e-mail).
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
    /// When it was closed (unix seconds); a closed form takes no answers.
    pub closed_at: Option<i64>,
}

/// The `file` an import run of form `id`'s answers of `day` is recorded with.
pub fn form_run_file(id: &str, day: &str) -> String {
    format!("web form {id}, {day}")
}
