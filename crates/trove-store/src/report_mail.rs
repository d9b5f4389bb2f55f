//! The monthly review by e-mail: who receives each business unit's report, and the day of the
//! following month from which a closed month's reports are sent. The sending itself goes
//! through the mail outbox ([`crate::MailStore`]) like every other message.

use serde::Serialize;

use crate::StoreResult;

/// The business unit of a recipient who receives every unit's report.
pub const EVERY_UNIT: &str = "*";

/// Someone who receives a business unit's monthly report (or every unit's: [`EVERY_UNIT`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportRecipient {
    /// The unit's name, or [`EVERY_UNIT`].
    pub business_unit: String,
    /// The address, lowercase.
    pub address: String,
    /// The person's name, when the address is a person of Trove or was given one.
    pub name: Option<String>,
    /// When the recipient was added (unix seconds).
    pub added_at: i64,
    /// Who added them.
    pub added_by: String,
}

/// The store's side of the monthly review by e-mail; every [`crate::Store`] is one.
pub trait ReportMailStore {
    /// Adds a recipient of a unit's report; false (and nothing changes) when that unit and
    /// address are already there.
    fn add_report_recipient(&self, recipient: &ReportRecipient) -> StoreResult<bool>;

    /// Removes a unit's recipient; false when there was none.
    fn remove_report_recipient(&self, business_unit: &str, address: &str) -> StoreResult<bool>;

    /// Every recipient, by unit, then address.
    fn report_recipients(&self) -> StoreResult<Vec<ReportRecipient>>;

    /// The day of the following month (1-28) from which a month's reports are sent, if set.
    fn report_send_day(&self) -> StoreResult<Option<u8>>;

    /// Sets that day (1-28), replacing the one set before.
    fn set_report_send_day(&self, day: u8) -> StoreResult<()>;
}
