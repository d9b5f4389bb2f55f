//! Passwords and sign-in sessions.

use postgres::{Client, Row};
use trove_store::{Credential, SessionRecord, StoreResult};

use crate::decode::{db_error, get};

pub(crate) fn set_credential(client: &mut Client, credential: &Credential) -> StoreResult<()> {
    let context = "setting a password";
    let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO credentials (email, phc, set_at) VALUES ($1, $2, $3)
         ON CONFLICT (email) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
        &[&credential.email, &credential.phc, &credential.set_at],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute(
        "DELETE FROM sessions WHERE email = $1",
        &[&credential.email],
    )
    .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn credential(client: &mut Client, email: &str) -> StoreResult<Option<Credential>> {
    let context = "reading a password";
    client
        .query_opt(
            "SELECT email, phc, set_at FROM credentials WHERE email = $1",
            &[&email],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| {
            Ok(Credential {
                email: get(&row, 0, context)?,
                phc: get(&row, 1, context)?,
                set_at: get(&row, 2, context)?,
            })
        })
        .transpose()
}

pub(crate) fn create_session(client: &mut Client, session: &SessionRecord) -> StoreResult<()> {
    client
        .execute(
            "INSERT INTO sessions (id_hash, email, created_at, expires_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &session.id_hash,
                &session.email,
                &session.created_at,
                &session.expires_at,
                &session.last_seen_at,
            ],
        )
        .map_err(|e| db_error("starting a session", e))?;
    Ok(())
}

fn session_row(row: &Row, context: &'static str) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: get(row, 0, context)?,
        email: get(row, 1, context)?,
        created_at: get(row, 2, context)?,
        expires_at: get(row, 3, context)?,
        last_seen_at: get(row, 4, context)?,
    })
}

pub(crate) fn session(client: &mut Client, id_hash: &str) -> StoreResult<Option<SessionRecord>> {
    let context = "reading a session";
    client
        .query_opt(
            "SELECT id_hash, email, created_at, expires_at, last_seen_at FROM sessions
             WHERE id_hash = $1",
            &[&id_hash],
        )
        .map_err(|e| db_error(context, e))?
        .map(|row| session_row(&row, context))
        .transpose()
}

pub(crate) fn touch_session(client: &mut Client, id_hash: &str, at: i64) -> StoreResult<()> {
    client
        .execute(
            "UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1",
            &[&id_hash, &at],
        )
        .map_err(|e| db_error("recording a session's use", e))?;
    Ok(())
}

pub(crate) fn delete_session(client: &mut Client, id_hash: &str) -> StoreResult<()> {
    client
        .execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
        .map_err(|e| db_error("ending a session", e))?;
    Ok(())
}

pub(crate) fn delete_expired(client: &mut Client, now: i64, idle_before: i64) -> StoreResult<u64> {
    client
        .execute(
            "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2",
            &[&now, &idle_before],
        )
        .map_err(|e| db_error("deleting expired sessions", e))
}
