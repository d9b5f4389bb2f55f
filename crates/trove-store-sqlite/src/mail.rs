//! E-mail: SMTP settings, addresses and opt-outs, stream cadences, sendings and deliveries.

use rusqlite::{OptionalExtension, Row, params};
use trove_store::{Delivery, MailAddress, MailSettings, MailStore, Sending, StoreResult};

use crate::SqliteStore;
use crate::decode::db_error;

const SENDING_COLUMNS: &str =
    "id, message, subject, triggered_by, started_at, finished_at, recipients, sent, failed";

fn sending_row(row: &Row<'_>) -> rusqlite::Result<Sending> {
    Ok(Sending {
        id: row.get(0)?,
        message: row.get(1)?,
        subject: row.get(2)?,
        triggered_by: row.get(3)?,
        started_at: row.get(4)?,
        finished_at: row.get(5)?,
        recipients: row.get(6)?,
        sent: row.get(7)?,
        failed: row.get(8)?,
    })
}

fn address_row(row: &Row<'_>) -> rusqlite::Result<MailAddress> {
    Ok(MailAddress {
        address: row.get(0)?,
        token: row.get(1)?,
        opted_out_at: row.get(2)?,
    })
}

fn strings(
    connection: &rusqlite::Connection,
    context: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
) -> StoreResult<Vec<String>> {
    let mut statement = connection.prepare(sql).map_err(|e| db_error(context, e))?;
    statement
        .query_map(params, |r| r.get(0))
        .map_err(|e| db_error(context, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}

impl MailStore for SqliteStore {
    fn mail_settings(&self) -> StoreResult<Option<MailSettings>> {
        self.lock()
            .query_row(
                "SELECT smtp_url, password, from_address, public_url, set_at, set_by
                 FROM mail_settings WHERE id = 1",
                [],
                |row| {
                    Ok(MailSettings {
                        smtp_url: row.get(0)?,
                        password: row.get(1)?,
                        from_address: row.get(2)?,
                        public_url: row.get(3)?,
                        set_at: row.get(4)?,
                        set_by: row.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(|e| db_error("reading the mail settings", e))
    }

    fn set_mail_settings(&self, s: &MailSettings) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO mail_settings (id, smtp_url, password, from_address, public_url, set_at, set_by)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET smtp_url = excluded.smtp_url,
                     password = excluded.password, from_address = excluded.from_address,
                     public_url = excluded.public_url, set_at = excluded.set_at,
                     set_by = excluded.set_by",
                params![s.smtp_url, s.password, s.from_address, s.public_url, s.set_at, s.set_by],
            )
            .map_err(|e| db_error("setting the mail settings", e))?;
        Ok(())
    }

    fn mail_address(&self, address: &str, token: &str) -> StoreResult<MailAddress> {
        let context = "recording a mail address";
        let connection = self.lock();
        connection
            .execute(
                "INSERT INTO mail_addresses (address, token) VALUES (?1, ?2)
                 ON CONFLICT (address) DO NOTHING",
                params![address, token],
            )
            .map_err(|e| db_error(context, e))?;
        connection
            .query_row(
                "SELECT address, token, opted_out_at FROM mail_addresses WHERE address = ?1",
                [address],
                address_row,
            )
            .map_err(|e| db_error(context, e))
    }

    fn mail_address_by_token(&self, token: &str) -> StoreResult<Option<MailAddress>> {
        self.lock()
            .query_row(
                "SELECT address, token, opted_out_at FROM mail_addresses WHERE token = ?1",
                [token],
                address_row,
            )
            .optional()
            .map_err(|e| db_error("reading a mail address", e))
    }

    fn opt_out_address(&self, token: &str, at: i64) -> StoreResult<bool> {
        let changed = self
            .lock()
            .execute(
                "UPDATE mail_addresses SET opted_out_at = COALESCE(opted_out_at, ?2) WHERE token = ?1",
                params![token, at],
            )
            .map_err(|e| db_error("recording an opt-out", e))?;
        Ok(changed > 0)
    }

    fn opted_out_addresses(&self) -> StoreResult<Vec<String>> {
        strings(
            &self.lock(),
            "listing opted-out addresses",
            "SELECT address FROM mail_addresses WHERE opted_out_at IS NOT NULL ORDER BY address",
            [],
        )
    }

    fn stream_cadences(&self) -> StoreResult<Vec<(String, String)>> {
        let context = "reading stream cadences";
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT department, cadence FROM mail_streams ORDER BY department")
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn set_stream_cadence(&self, department: &str, cadence: &str) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO mail_streams (department, cadence) VALUES (?1, ?2)
                 ON CONFLICT (department) DO UPDATE SET cadence = excluded.cadence",
                params![department, cadence],
            )
            .map_err(|e| db_error("setting a stream cadence", e))?;
        Ok(())
    }

    fn start_sending(
        &self,
        message: &str,
        subject: &str,
        triggered_by: &str,
        at: i64,
    ) -> StoreResult<i64> {
        let connection = self.lock();
        connection
            .execute(
                "INSERT INTO mail_sendings (message, subject, triggered_by, started_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![message, subject, triggered_by, at],
            )
            .map_err(|e| db_error("recording a sending", e))?;
        Ok(connection.last_insert_rowid())
    }

    fn claim_delivery(
        &self,
        message: &str,
        address: &str,
        sending: i64,
        at: i64,
        max_attempts: i64,
    ) -> StoreResult<bool> {
        let changed = self
            .lock()
            .execute(
                "INSERT INTO mail_deliveries (message, address, status, attempts, sending, at)
                 VALUES (?1, ?2, 'sending', 1, ?3, ?4)
                 ON CONFLICT (message, address) DO UPDATE SET status = 'sending',
                     attempts = mail_deliveries.attempts + 1, error = NULL,
                     sending = excluded.sending, at = excluded.at
                 WHERE mail_deliveries.status = 'failed' AND mail_deliveries.attempts < ?5",
                params![message, address, sending, at, max_attempts],
            )
            .map_err(|e| db_error("claiming a delivery", e))?;
        Ok(changed > 0)
    }

    fn finish_delivery(
        &self,
        message: &str,
        address: &str,
        error: Option<&str>,
        at: i64,
    ) -> StoreResult<()> {
        let status = if error.is_some() { "failed" } else { "sent" };
        self.lock()
            .execute(
                "UPDATE mail_deliveries SET status = ?3, error = ?4, at = ?5
                 WHERE message = ?1 AND address = ?2",
                params![message, address, status, error, at],
            )
            .map_err(|e| db_error("recording a delivery", e))?;
        Ok(())
    }

    fn finish_sending(
        &self,
        id: i64,
        at: i64,
        recipients: i64,
        sent: i64,
        failed: i64,
    ) -> StoreResult<()> {
        self.lock()
            .execute(
                "UPDATE mail_sendings SET finished_at = ?2, recipients = ?3, sent = ?4, failed = ?5
                 WHERE id = ?1",
                params![id, at, recipients, sent, failed],
            )
            .map_err(|e| db_error("recording the end of a sending", e))?;
        Ok(())
    }

    fn sendings(&self, limit: usize) -> StoreResult<Vec<Sending>> {
        let context = "listing sendings";
        let connection = self.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {SENDING_COLUMNS} FROM mail_sendings ORDER BY id DESC LIMIT ?1"
            ))
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], sending_row)
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn unsent_deliveries(&self, message: &str) -> StoreResult<Vec<Delivery>> {
        let context = "listing deliveries";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT message, address, status, attempts, error, sending, at FROM mail_deliveries
                 WHERE message = ?1 AND status <> 'sent' ORDER BY address",
            )
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([message], |row| {
                Ok(Delivery {
                    message: row.get(0)?,
                    address: row.get(1)?,
                    status: row.get(2)?,
                    attempts: row.get(3)?,
                    error: row.get(4)?,
                    sending: row.get(5)?,
                    at: row.get(6)?,
                })
            })
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn finished_messages(&self, max_attempts: i64) -> StoreResult<Vec<String>> {
        strings(
            &self.lock(),
            "listing finished messages",
            "SELECT DISTINCT s.message FROM mail_sendings s WHERE s.finished_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM mail_deliveries d WHERE d.message = s.message
                             AND d.status = 'failed' AND d.attempts < ?1)
             ORDER BY s.message",
            [max_attempts],
        )
    }
}
