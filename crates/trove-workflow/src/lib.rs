//! Trove's accountability loop: the records that turn a chronic issue into removed root
//! causes and customers who hear about it (issues, five whys, one-page action plans,
//! commitments, follow-up cases, announcements, lessons, recognition), the rules on who may
//! change what, and the pages people read.
//!
//! Every change is a [`Change`]: [`rules::check`] accepts or refuses it (naming the rule), the
//! store appends it to an append-only log, and [`Workflow`] is the fold of that log. So the
//! audit trail cannot drift from the records: it *is* them ([`Workflow::audit`]). This crate
//! is pure: no storage, no clock; the application layer supplies both.

mod change;
pub mod doc;
pub mod model;
pub mod rules;
mod state;
pub mod views;

pub use change::{Change, Event};
pub use rules::{Refusal, check};
pub(crate) use state::next_id;
pub use state::{Rehearsal, Workflow};

/// The next free numbers of each record kind, for changes that create one.
pub mod ids {
    use crate::Workflow;

    /// The next issue number.
    pub fn issue(state: &Workflow) -> u32 {
        crate::next_id(&state.issues)
    }
    /// The next five-whys chain number.
    pub fn chain(state: &Workflow) -> u32 {
        crate::next_id(&state.chains)
    }
    /// The next action number.
    pub fn action(state: &Workflow) -> u32 {
        crate::next_id(&state.actions)
    }
    /// The next case number.
    pub fn case(state: &Workflow) -> u32 {
        crate::next_id(&state.cases)
    }
    /// The next announcement number.
    pub fn announcement(state: &Workflow) -> u32 {
        crate::next_id(&state.announcements)
    }
    /// The next lesson number.
    pub fn lesson(state: &Workflow) -> u32 {
        crate::next_id(&state.lessons)
    }
    /// The next recognition submission number.
    pub fn submission(state: &Workflow) -> u32 {
        crate::next_id(&state.submissions)
    }
}
