//! Survey waves, opt-outs and the self-assessment.

use rusqlite::{OptionalExtension, Row, params};
use trove_store::{
    AssessmentAnswer, Invitation, NewWave, StoreResult, StoredAssessmentAnswer, SurveyStore, Wave,
};

use crate::SqliteStore;
use crate::decode::db_error;

const WAVE_COLUMNS: &str = "w.id, w.drawn_at, w.drawn_by, w.seed, w.quarantine_days, \
     w.answer_window_days, w.allocation, \
     (SELECT COUNT(*) FROM sample_invitations i WHERE i.wave_id = w.id)";

fn wave_row(row: &Row<'_>) -> rusqlite::Result<Wave> {
    Ok(Wave {
        id: row.get(0)?,
        drawn_at: row.get(1)?,
        drawn_by: row.get(2)?,
        seed: row.get(3)?,
        quarantine_days: row.get(4)?,
        answer_window_days: row.get(5)?,
        allocation: row.get(6)?,
        invited: row.get::<_, i64>(7)?.max(0) as u64,
    })
}

fn strings(
    connection: &rusqlite::Connection,
    context: &'static str,
    sql: &str,
    values: impl rusqlite::Params,
) -> StoreResult<Vec<String>> {
    let mut statement = connection.prepare(sql).map_err(|e| db_error(context, e))?;
    statement
        .query_map(values, |row| row.get(0))
        .map_err(|e| db_error(context, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| db_error(context, e))
}

impl SurveyStore for SqliteStore {
    fn create_wave(&self, wave: &NewWave, invitations: &[Invitation]) -> StoreResult<i64> {
        let context = "storing a sample wave";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        tx.execute(
            "INSERT INTO sample_waves (drawn_at, drawn_by, seed, quarantine_days, answer_window_days, allocation)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                wave.drawn_at,
                wave.drawn_by,
                wave.seed,
                wave.quarantine_days,
                wave.answer_window_days,
                wave.allocation
            ],
        )
        .map_err(|e| db_error(context, e))?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO sample_invitations (wave_id, customer_id, stratum, weight)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(|e| db_error(context, e))?;
            for invitation in invitations {
                insert
                    .execute(params![
                        id,
                        invitation.customer_id,
                        invitation.stratum,
                        invitation.weight
                    ])
                    .map_err(|e| db_error(context, e))?;
            }
        }
        tx.commit().map_err(|e| db_error(context, e))?;
        Ok(id)
    }

    fn waves(&self) -> StoreResult<Vec<Wave>> {
        let context = "listing sample waves";
        let connection = self.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {WAVE_COLUMNS} FROM sample_waves w ORDER BY w.id DESC"
            ))
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([], wave_row)
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn wave(&self, id: i64) -> StoreResult<Option<Wave>> {
        self.lock()
            .query_row(
                &format!("SELECT {WAVE_COLUMNS} FROM sample_waves w WHERE w.id = ?1"),
                [id],
                wave_row,
            )
            .optional()
            .map_err(|e| db_error("reading a sample wave", e))
    }

    fn invitations(&self, wave: i64) -> StoreResult<Vec<Invitation>> {
        let context = "reading a wave's invitations";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT customer_id, stratum, weight FROM sample_invitations
                 WHERE wave_id = ?1 ORDER BY customer_id",
            )
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([wave], |row| {
                Ok(Invitation {
                    customer_id: row.get(0)?,
                    stratum: row.get(1)?,
                    weight: row.get(2)?,
                })
            })
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }

    fn invited_since(&self, since: i64) -> StoreResult<Vec<String>> {
        strings(
            &self.lock(),
            "reading recent invitations",
            "SELECT DISTINCT i.customer_id FROM sample_invitations i
             JOIN sample_waves w ON w.id = i.wave_id
             WHERE w.drawn_at >= ?1 ORDER BY i.customer_id",
            [since],
        )
    }

    fn opt_out(&self, customer_id: &str, at: i64) -> StoreResult<bool> {
        let changed = self
            .lock()
            .execute(
                "INSERT INTO survey_opt_outs (customer_id, at) VALUES (?1, ?2)
                 ON CONFLICT (customer_id) DO NOTHING",
                params![customer_id, at],
            )
            .map_err(|e| db_error("recording an opt-out", e))?;
        Ok(changed == 1)
    }

    fn opted_out(&self) -> StoreResult<Vec<String>> {
        strings(
            &self.lock(),
            "reading opt-outs",
            "SELECT customer_id FROM survey_opt_outs ORDER BY customer_id",
            [],
        )
    }

    fn save_assessment(
        &self,
        person: &str,
        month: &str,
        at: i64,
        answers: &[AssessmentAnswer],
    ) -> StoreResult<()> {
        let context = "storing a self-assessment";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        tx.execute(
            "DELETE FROM assessment_answers WHERE person = ?1 AND month = ?2",
            params![person, month],
        )
        .map_err(|e| db_error(context, e))?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO assessment_answers (person, month, question, area, answer, answered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(|e| db_error(context, e))?;
            for answer in answers {
                insert
                    .execute(params![
                        person,
                        month,
                        answer.question,
                        answer.area,
                        answer.answer,
                        at
                    ])
                    .map_err(|e| db_error(context, e))?;
            }
        }
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn assessment_answers(&self) -> StoreResult<Vec<StoredAssessmentAnswer>> {
        let context = "reading the self-assessment";
        let connection = self.lock();
        let mut statement = connection
            .prepare(
                "SELECT person, month, answered_at, question, area, answer FROM assessment_answers
                 ORDER BY month, person, question",
            )
            .map_err(|e| db_error(context, e))?;
        statement
            .query_map([], |row| {
                Ok(StoredAssessmentAnswer {
                    person: row.get(0)?,
                    month: row.get(1)?,
                    answered_at: row.get(2)?,
                    answer: AssessmentAnswer {
                        question: row.get(3)?,
                        area: row.get(4)?,
                        answer: row.get(5)?,
                    },
                })
            })
            .map_err(|e| db_error(context, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| db_error(context, e))
    }
}
