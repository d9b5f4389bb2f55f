//! Trove's vocabulary: feedback items, customers, the customer journey, themes and scores.
//!
//! Every value here is valid by construction: constrained values are newtypes with private
//! fields, built only by parsing (`FromStr`, `TryFrom`, `new`), so code that holds one never
//! checks it again. This crate does no IO, has no async and knows no database: every other
//! Trove crate depends on it, and it depends on none of them.

mod customer;
mod error;
mod feedback;
mod journey;
mod label;
mod money;
mod question;
pub mod safe;
mod score;
mod theme;

pub use customer::{Customer, CustomerId};
pub use error::DomainError;
pub use feedback::{
    Attributes, Channel, ExternalId, FeedbackItem, FeedbackText, ReceivedAt, StoredFeedback,
};
pub use journey::{Department, Journey, Stage, Touchpoint};
pub use label::{Label, Slug};
pub use money::{Currency, Money};
pub use question::QuestionKind;
pub use score::{Ces, Csat, Nps, ScoreTally, Scores};
pub use theme::{Theme, ThemeId, ThemeKind};
