//! The monthly review by e-mail: report recipients and the day reports are sent from.

use rusqlite::{OptionalExtension, params};
use trove_store::{ReportMailStore, ReportRecipient, StoreResult};

use crate::SqliteStore;
use crate::decode::db_error;

impl ReportMailStore for SqliteStore {
    fn add_report_recipient(&self, r: &ReportRecipient) -> StoreResult<bool> {
        let added = self
            .lock()
            .execute(
                "INSERT INTO report_recipients (business_unit, address, name, added_at, added_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (business_unit, address) DO NOTHING",
                params![r.business_unit, r.address, r.name, r.added_at, r.added_by],
            )
            .map_err(|e| db_error("adding a report recipient", e))?;
        Ok(added > 0)
    }

    fn remove_report_recipient(&self, business_unit: &str, address: &str) -> StoreResult<bool> {
        let removed = self
            .lock()
            .execute(
                "DELETE FROM report_recipients WHERE business_unit = ?1 AND address = ?2",
                params![business_unit, address],
            )
            .map_err(|e| db_error("removing a report recipient", e))?;
        Ok(removed > 0)
    }

    fn report_recipients(&self) -> StoreResult<Vec<ReportRecipient>> {
        let context = "listing report recipients";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT business_unit, address, name, added_at, added_by FROM report_recipients
                 ORDER BY business_unit, address",
            )
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([], |row| {
                Ok(ReportRecipient {
                    business_unit: row.get(0)?,
                    address: row.get(1)?,
                    name: row.get(2)?,
                    added_at: row.get(3)?,
                    added_by: row.get(4)?,
                })
            })
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn report_send_day(&self) -> StoreResult<Option<u8>> {
        self.lock()
            .query_row(
                "SELECT send_day FROM report_mail_settings WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_error("reading the report send day", e))
    }

    fn set_report_send_day(&self, day: u8) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO report_mail_settings (id, send_day) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET send_day = excluded.send_day",
                [day],
            )
            .map_err(|e| db_error("setting the report send day", e))?;
        Ok(())
    }
}
