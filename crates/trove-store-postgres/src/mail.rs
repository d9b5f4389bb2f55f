//! E-mail: SMTP settings, addresses and opt-outs, stream cadences, sendings and deliveries.

use postgres::Row;
use postgres::types::ToSql;
use trove_store::{Delivery, MailAddress, MailSettings, MailStore, Sending, StoreResult};

use crate::PostgresStore;
use crate::decode::{db_error, get};

const SENDING_COLUMNS: &str =
    "id, message, subject, triggered_by, started_at, finished_at, recipients, sent, failed";

fn sending_row(row: &Row, context: &'static str) -> StoreResult<Sending> {
    Ok(Sending {
        id: get(row, 0, context)?,
        message: get(row, 1, context)?,
        subject: get(row, 2, context)?,
        triggered_by: get(row, 3, context)?,
        started_at: get(row, 4, context)?,
        finished_at: get(row, 5, context)?,
        recipients: get(row, 6, context)?,
        sent: get(row, 7, context)?,
        failed: get(row, 8, context)?,
    })
}

fn address_row(row: &Row, context: &'static str) -> StoreResult<MailAddress> {
    Ok(MailAddress {
        address: get(row, 0, context)?,
        token: get(row, 1, context)?,
        opted_out_at: get(row, 2, context)?,
    })
}

impl PostgresStore {
    fn mail_query(
        &self,
        context: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<Vec<Row>> {
        self.pool
            .get()?
            .query(sql, params)
            .map_err(|e| db_error(context, e))
    }

    fn mail_execute(
        &self,
        context: &'static str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> StoreResult<u64> {
        self.pool
            .get()?
            .execute(sql, params)
            .map_err(|e| db_error(context, e))
    }
}

impl MailStore for PostgresStore {
    fn mail_settings(&self) -> StoreResult<Option<MailSettings>> {
        let context = "reading the mail settings";
        let rows = self.mail_query(
            context,
            "SELECT smtp_url, password, from_address, public_url, set_at, set_by
             FROM mail_settings WHERE id = 1",
            &[],
        )?;
        rows.first()
            .map(|row| {
                Ok(MailSettings {
                    smtp_url: get(row, 0, context)?,
                    password: get(row, 1, context)?,
                    from_address: get(row, 2, context)?,
                    public_url: get(row, 3, context)?,
                    set_at: get(row, 4, context)?,
                    set_by: get(row, 5, context)?,
                })
            })
            .transpose()
    }

    fn set_mail_settings(&self, s: &MailSettings) -> StoreResult<()> {
        self.mail_execute(
            "setting the mail settings",
            "INSERT INTO mail_settings (id, smtp_url, password, from_address, public_url, set_at, set_by)
             VALUES (1, $1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET smtp_url = excluded.smtp_url,
                 password = excluded.password, from_address = excluded.from_address,
                 public_url = excluded.public_url, set_at = excluded.set_at,
                 set_by = excluded.set_by",
            &[&s.smtp_url, &s.password, &s.from_address, &s.public_url, &s.set_at, &s.set_by],
        )?;
        Ok(())
    }

    fn mail_address(&self, address: &str, token: &str) -> StoreResult<MailAddress> {
        let context = "recording a mail address";
        self.mail_execute(
            context,
            "INSERT INTO mail_addresses (address, token) VALUES ($1, $2)
             ON CONFLICT (address) DO NOTHING",
            &[&address, &token],
        )?;
        let rows = self.mail_query(
            context,
            "SELECT address, token, opted_out_at FROM mail_addresses WHERE address = $1",
            &[&address],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| db_error(context, std::fmt::Error))?;
        address_row(row, context)
    }

    fn mail_address_by_token(&self, token: &str) -> StoreResult<Option<MailAddress>> {
        let context = "reading a mail address";
        self.mail_query(
            context,
            "SELECT address, token, opted_out_at FROM mail_addresses WHERE token = $1",
            &[&token],
        )?
        .first()
        .map(|row| address_row(row, context))
        .transpose()
    }

    fn opt_out_address(&self, token: &str, at: i64) -> StoreResult<bool> {
        let changed = self.mail_execute(
            "recording an opt-out",
            "UPDATE mail_addresses SET opted_out_at = COALESCE(opted_out_at, $2) WHERE token = $1",
            &[&token, &at],
        )?;
        Ok(changed > 0)
    }

    fn opted_out_addresses(&self) -> StoreResult<Vec<String>> {
        let context = "listing opted-out addresses";
        self.mail_query(
            context,
            "SELECT address FROM mail_addresses WHERE opted_out_at IS NOT NULL ORDER BY address",
            &[],
        )?
        .iter()
        .map(|row| get(row, 0, context))
        .collect()
    }

    fn stream_cadences(&self) -> StoreResult<Vec<(String, String)>> {
        let context = "reading stream cadences";
        self.mail_query(
            context,
            "SELECT department, cadence FROM mail_streams ORDER BY department",
            &[],
        )?
        .iter()
        .map(|row| Ok((get(row, 0, context)?, get(row, 1, context)?)))
        .collect()
    }

    fn set_stream_cadence(&self, department: &str, cadence: &str) -> StoreResult<()> {
        self.mail_execute(
            "setting a stream cadence",
            "INSERT INTO mail_streams (department, cadence) VALUES ($1, $2)
             ON CONFLICT (department) DO UPDATE SET cadence = excluded.cadence",
            &[&department, &cadence],
        )?;
        Ok(())
    }

    fn start_sending(
        &self,
        message: &str,
        subject: &str,
        triggered_by: &str,
        at: i64,
    ) -> StoreResult<i64> {
        let context = "recording a sending";
        let rows = self.mail_query(
            context,
            "INSERT INTO mail_sendings (message, subject, triggered_by, started_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&message, &subject, &triggered_by, &at],
        )?;
        let row = rows
            .first()
            .ok_or_else(|| db_error(context, std::fmt::Error))?;
        get(row, 0, context)
    }

    fn claim_delivery(
        &self,
        message: &str,
        address: &str,
        sending: i64,
        at: i64,
        max_attempts: i64,
    ) -> StoreResult<bool> {
        let changed = self.mail_execute(
            "claiming a delivery",
            "INSERT INTO mail_deliveries (message, address, status, attempts, sending, at)
             VALUES ($1, $2, 'sending', 1, $3, $4)
             ON CONFLICT (message, address) DO UPDATE SET status = 'sending',
                 attempts = mail_deliveries.attempts + 1, error = NULL,
                 sending = excluded.sending, at = excluded.at
             WHERE mail_deliveries.status = 'failed' AND mail_deliveries.attempts < $5",
            &[&message, &address, &sending, &at, &max_attempts],
        )?;
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
        self.mail_execute(
            "recording a delivery",
            "UPDATE mail_deliveries SET status = $3, error = $4, at = $5
             WHERE message = $1 AND address = $2",
            &[&message, &address, &status, &error, &at],
        )?;
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
        self.mail_execute(
            "recording the end of a sending",
            "UPDATE mail_sendings SET finished_at = $2, recipients = $3, sent = $4, failed = $5
             WHERE id = $1",
            &[&id, &at, &recipients, &sent, &failed],
        )?;
        Ok(())
    }

    fn sendings(&self, limit: usize) -> StoreResult<Vec<Sending>> {
        let context = "listing sendings";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.mail_query(
            context,
            &format!("SELECT {SENDING_COLUMNS} FROM mail_sendings ORDER BY id DESC LIMIT $1"),
            &[&limit],
        )?
        .iter()
        .map(|row| sending_row(row, context))
        .collect()
    }

    fn unsent_deliveries(&self, message: &str) -> StoreResult<Vec<Delivery>> {
        let context = "listing deliveries";
        self.mail_query(
            context,
            "SELECT message, address, status, attempts, error, sending, at FROM mail_deliveries
             WHERE message = $1 AND status <> 'sent' ORDER BY address",
            &[&message],
        )?
        .iter()
        .map(|row| {
            Ok(Delivery {
                message: get(row, 0, context)?,
                address: get(row, 1, context)?,
                status: get(row, 2, context)?,
                attempts: get(row, 3, context)?,
                error: get(row, 4, context)?,
                sending: get(row, 5, context)?,
                at: get(row, 6, context)?,
            })
        })
        .collect()
    }

    fn finished_messages(&self, max_attempts: i64) -> StoreResult<Vec<String>> {
        let context = "listing finished messages";
        self.mail_query(
            context,
            "SELECT DISTINCT s.message FROM mail_sendings s WHERE s.finished_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM mail_deliveries d WHERE d.message = s.message
                             AND d.status = 'failed' AND d.attempts < $1)
             ORDER BY s.message",
            &[&max_attempts],
        )?
        .iter()
        .map(|row| get(row, 0, context))
        .collect()
    }
}
