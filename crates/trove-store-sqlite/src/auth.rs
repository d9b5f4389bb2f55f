//! Passwords and sign-in sessions.

use rusqlite::{Connection, OptionalExtension, Row, params};
use trove_store::{Credential, SessionRecord, StoreResult};

use crate::decode::db_error;

pub(crate) fn set_credential(
    connection: &mut Connection,
    credential: &Credential,
) -> StoreResult<()> {
    let context = "setting a password";
    let tx = connection.transaction().map_err(|e| db_error(context, e))?;
    tx.execute(
        "INSERT INTO credentials (email, phc, set_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (email) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
        params![credential.email, credential.phc, credential.set_at],
    )
    .map_err(|e| db_error(context, e))?;
    tx.execute("DELETE FROM sessions WHERE email = ?1", [&credential.email])
        .map_err(|e| db_error(context, e))?;
    tx.commit().map_err(|e| db_error(context, e))
}

pub(crate) fn credential(connection: &Connection, email: &str) -> StoreResult<Option<Credential>> {
    connection
        .query_row(
            "SELECT email, phc, set_at FROM credentials WHERE email = ?1",
            [email],
            |row| {
                Ok(Credential {
                    email: row.get(0)?,
                    phc: row.get(1)?,
                    set_at: row.get(2)?,
                })
            },
        )
        .optional()
        .map_err(|e| db_error("reading a password", e))
}

pub(crate) fn create_session(connection: &Connection, session: &SessionRecord) -> StoreResult<()> {
    connection
        .execute(
            "INSERT INTO sessions (id_hash, email, created_at, expires_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.id_hash,
                session.email,
                session.created_at,
                session.expires_at,
                session.last_seen_at
            ],
        )
        .map_err(|e| db_error("starting a session", e))?;
    Ok(())
}

fn session_row(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id_hash: row.get(0)?,
        email: row.get(1)?,
        created_at: row.get(2)?,
        expires_at: row.get(3)?,
        last_seen_at: row.get(4)?,
    })
}

pub(crate) fn session(
    connection: &Connection,
    id_hash: &str,
) -> StoreResult<Option<SessionRecord>> {
    connection
        .query_row(
            "SELECT id_hash, email, created_at, expires_at, last_seen_at FROM sessions
             WHERE id_hash = ?1",
            [id_hash],
            session_row,
        )
        .optional()
        .map_err(|e| db_error("reading a session", e))
}

pub(crate) fn touch_session(connection: &Connection, id_hash: &str, at: i64) -> StoreResult<()> {
    connection
        .execute(
            "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1",
            params![id_hash, at],
        )
        .map_err(|e| db_error("recording a session's use", e))?;
    Ok(())
}

pub(crate) fn delete_session(connection: &Connection, id_hash: &str) -> StoreResult<()> {
    connection
        .execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])
        .map_err(|e| db_error("ending a session", e))?;
    Ok(())
}

pub(crate) fn delete_expired(
    connection: &Connection,
    now: i64,
    idle_before: i64,
) -> StoreResult<u64> {
    let deleted = connection
        .execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at < ?2",
            params![now, idle_before],
        )
        .map_err(|e| db_error("deleting expired sessions", e))?;
    Ok(deleted as u64)
}
