//! Survey samples and the maturity self-assessment: the waves of customers invited to a survey
//! (so a later draw can leave recent invitees alone), customers who asked not to be surveyed,
//! and the programme's self-assessment answers, one set per person and month.

use serde::{Deserialize, Serialize};

use crate::StoreResult;

/// A wave of survey invitations to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewWave {
    /// When it was drawn (unix seconds).
    pub drawn_at: i64,
    /// Who drew it (e-mail), if known.
    pub drawn_by: Option<String>,
    /// The draw's seed (as text: a `u64` does not fit every database's integer).
    pub seed: String,
    /// Customers invited within this many days before a draw are not drawn again.
    pub quarantine_days: i64,
    /// An invitee's feedback within this many days after the draw counts as their answer.
    pub answer_window_days: i64,
    /// The allocation (method, strata, table) as JSON, as the sampler wrote it.
    pub allocation: String,
}

/// One invited customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    /// The customer's id.
    pub customer_id: String,
    /// Their stratum (`segment=SMB · region=North`).
    pub stratum: String,
    /// The design weight `N_h / n_h` of their stratum.
    pub weight: f64,
}

/// A stored wave, without its invitations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    /// Its number.
    pub id: i64,
    /// When it was drawn (unix seconds).
    pub drawn_at: i64,
    /// Who drew it.
    pub drawn_by: Option<String>,
    /// The seed.
    pub seed: String,
    /// The quarantine it was drawn with (days).
    pub quarantine_days: i64,
    /// The answer window (days).
    pub answer_window_days: i64,
    /// The allocation, as JSON.
    pub allocation: String,
    /// How many customers it invited.
    pub invited: u64,
}

/// One answer of the self-assessment to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentAnswer {
    /// The question's id (`clarity-1`).
    pub question: String,
    /// Its area's id (`clarity`).
    pub area: String,
    /// 1 (not at all) to 5 (fully).
    pub answer: u8,
}

/// A stored answer of the self-assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAssessmentAnswer {
    /// Who answered (e-mail, lowercase).
    pub person: String,
    /// The month it belongs to (`YYYY-MM`).
    pub month: String,
    /// When it was given (unix seconds).
    pub answered_at: i64,
    /// The answer.
    #[serde(flatten)]
    pub answer: AssessmentAnswer,
}

/// What the store keeps of survey waves, opt-outs and the self-assessment.
pub trait SurveyStore {
    /// Stores a wave and its invitations in one transaction; returns the wave's number.
    fn create_wave(&self, wave: &NewWave, invitations: &[Invitation]) -> StoreResult<i64>;

    /// Every wave, newest first.
    fn waves(&self) -> StoreResult<Vec<Wave>>;

    /// One wave, if stored.
    fn wave(&self, id: i64) -> StoreResult<Option<Wave>>;

    /// A wave's invitations, by customer id.
    fn invitations(&self, wave: i64) -> StoreResult<Vec<Invitation>>;

    /// The customers invited by waves drawn at or after `since` (unix seconds), each once,
    /// sorted.
    fn invited_since(&self, since: i64) -> StoreResult<Vec<String>>;

    /// Records that a customer asked not to be surveyed (again: nothing changes); false when
    /// they had already.
    fn opt_out(&self, customer_id: &str, at: i64) -> StoreResult<bool>;

    /// The customers who asked not to be surveyed, sorted.
    fn opted_out(&self) -> StoreResult<Vec<String>>;

    /// Stores a person's self-assessment of a month (`YYYY-MM`) at `at`, replacing whatever
    /// they answered for that month before, in one transaction.
    fn save_assessment(
        &self,
        person: &str,
        month: &str,
        at: i64,
        answers: &[AssessmentAnswer],
    ) -> StoreResult<()>;

    /// Every stored self-assessment answer, by month, person and question.
    fn assessment_answers(&self) -> StoreResult<Vec<StoredAssessmentAnswer>>;
}
