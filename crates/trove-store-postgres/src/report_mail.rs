//! The monthly review by e-mail: report recipients and the day reports are sent from.

use trove_store::{ReportMailStore, ReportRecipient, StoreResult};

use crate::PostgresStore;
use crate::decode::{db_error, get};

impl ReportMailStore for PostgresStore {
    fn add_report_recipient(&self, r: &ReportRecipient) -> StoreResult<bool> {
        let added = self
            .pool
            .get()?
            .execute(
                "INSERT INTO report_recipients (business_unit, address, name, added_at, added_by)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (business_unit, address) DO NOTHING",
                &[
                    &r.business_unit,
                    &r.address,
                    &r.name,
                    &r.added_at,
                    &r.added_by,
                ],
            )
            .map_err(|e| db_error("adding a report recipient", e))?;
        Ok(added > 0)
    }

    fn remove_report_recipient(&self, business_unit: &str, address: &str) -> StoreResult<bool> {
        let removed = self
            .pool
            .get()?
            .execute(
                "DELETE FROM report_recipients WHERE business_unit = $1 AND address = $2",
                &[&business_unit, &address],
            )
            .map_err(|e| db_error("removing a report recipient", e))?;
        Ok(removed > 0)
    }

    fn report_recipients(&self) -> StoreResult<Vec<ReportRecipient>> {
        let context = "listing report recipients";
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT business_unit, address, name, added_at, added_by FROM report_recipients
                 ORDER BY business_unit COLLATE \"C\", address COLLATE \"C\"",
                &[],
            )
            .map_err(|e| db_error(context, e))?;
        rows.iter()
            .map(|row| {
                Ok(ReportRecipient {
                    business_unit: get(row, 0, context)?,
                    address: get(row, 1, context)?,
                    name: get(row, 2, context)?,
                    added_at: get(row, 3, context)?,
                    added_by: get(row, 4, context)?,
                })
            })
            .collect()
    }

    fn report_send_day(&self) -> StoreResult<Option<u8>> {
        let context = "reading the report send day";
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT send_day FROM report_mail_settings WHERE id = 1",
                &[],
            )
            .map_err(|e| db_error(context, e))?;
        rows.first()
            .map(|row| {
                let day: i32 = get(row, 0, context)?;
                u8::try_from(day).map_err(|e| db_error(context, e))
            })
            .transpose()
    }

    fn set_report_send_day(&self, day: u8) -> StoreResult<()> {
        self.pool
            .get()?
            .execute(
                "INSERT INTO report_mail_settings (id, send_day) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET send_day = excluded.send_day",
                &[&i32::from(day)],
            )
            .map_err(|e| db_error("setting the report send day", e))?;
        Ok(())
    }
}
