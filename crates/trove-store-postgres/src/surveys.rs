//! Survey waves, opt-outs and the self-assessment.

use postgres::Row;
use trove_store::{
    AssessmentAnswer, Invitation, NewWave, StoreResult, StoredAssessmentAnswer, SurveyStore, Wave,
};

use crate::PostgresStore;
use crate::decode::{db_error, get};

const WAVE_COLUMNS: &str = "w.id, w.drawn_at, w.drawn_by, w.seed, w.quarantine_days, \
     w.answer_window_days, w.allocation, \
     (SELECT COUNT(*) FROM sample_invitations i WHERE i.wave_id = w.id)";

fn wave_row(row: &Row, context: &'static str) -> StoreResult<Wave> {
    Ok(Wave {
        id: get(row, 0, context)?,
        drawn_at: get(row, 1, context)?,
        drawn_by: get(row, 2, context)?,
        seed: get(row, 3, context)?,
        quarantine_days: get(row, 4, context)?,
        answer_window_days: get(row, 5, context)?,
        allocation: get(row, 6, context)?,
        invited: get::<i64>(row, 7, context)?.max(0) as u64,
    })
}

impl SurveyStore for PostgresStore {
    fn create_wave(&self, wave: &NewWave, invitations: &[Invitation]) -> StoreResult<i64> {
        let context = "storing a sample wave";
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
        let row = tx
            .query_one(
                "INSERT INTO sample_waves (drawn_at, drawn_by, seed, quarantine_days, answer_window_days, allocation)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &wave.drawn_at,
                    &wave.drawn_by,
                    &wave.seed,
                    &wave.quarantine_days,
                    &wave.answer_window_days,
                    &wave.allocation,
                ],
            )
            .map_err(|e| db_error(context, e))?;
        let id: i64 = get(&row, 0, context)?;
        let insert = tx
            .prepare(
                "INSERT INTO sample_invitations (wave_id, customer_id, stratum, weight)
                 VALUES ($1, $2, $3, $4)",
            )
            .map_err(|e| db_error(context, e))?;
        for invitation in invitations {
            tx.execute(
                &insert,
                &[
                    &id,
                    &invitation.customer_id,
                    &invitation.stratum,
                    &invitation.weight,
                ],
            )
            .map_err(|e| db_error(context, e))?;
        }
        tx.commit().map_err(|e| db_error(context, e))?;
        Ok(id)
    }

    fn waves(&self) -> StoreResult<Vec<Wave>> {
        let context = "listing sample waves";
        self.pool
            .get()?
            .query(
                &format!("SELECT {WAVE_COLUMNS} FROM sample_waves w ORDER BY w.id DESC"),
                &[],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| wave_row(row, context))
            .collect()
    }

    fn wave(&self, id: i64) -> StoreResult<Option<Wave>> {
        let context = "reading a sample wave";
        self.pool
            .get()?
            .query_opt(
                &format!("SELECT {WAVE_COLUMNS} FROM sample_waves w WHERE w.id = $1"),
                &[&id],
            )
            .map_err(|e| db_error(context, e))?
            .map(|row| wave_row(&row, context))
            .transpose()
    }

    fn invitations(&self, wave: i64) -> StoreResult<Vec<Invitation>> {
        let context = "reading a wave's invitations";
        self.pool
            .get()?
            .query(
                "SELECT customer_id, stratum, weight FROM sample_invitations
                 WHERE wave_id = $1 ORDER BY customer_id",
                &[&wave],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| {
                Ok(Invitation {
                    customer_id: get(row, 0, context)?,
                    stratum: get(row, 1, context)?,
                    weight: get(row, 2, context)?,
                })
            })
            .collect()
    }

    fn invited_since(&self, since: i64) -> StoreResult<Vec<String>> {
        let context = "reading recent invitations";
        self.pool
            .get()?
            .query(
                "SELECT DISTINCT i.customer_id FROM sample_invitations i
                 JOIN sample_waves w ON w.id = i.wave_id
                 WHERE w.drawn_at >= $1 ORDER BY i.customer_id",
                &[&since],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| get(row, 0, context))
            .collect()
    }

    fn opt_out(&self, customer_id: &str, at: i64) -> StoreResult<bool> {
        let changed = self
            .pool
            .get()?
            .execute(
                "INSERT INTO survey_opt_outs (customer_id, at) VALUES ($1, $2)
                 ON CONFLICT (customer_id) DO NOTHING",
                &[&customer_id, &at],
            )
            .map_err(|e| db_error("recording an opt-out", e))?;
        Ok(changed == 1)
    }

    fn opted_out(&self) -> StoreResult<Vec<String>> {
        let context = "reading opt-outs";
        self.pool
            .get()?
            .query(
                "SELECT customer_id FROM survey_opt_outs ORDER BY customer_id",
                &[],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| get(row, 0, context))
            .collect()
    }

    fn save_assessment(
        &self,
        person: &str,
        month: &str,
        at: i64,
        answers: &[AssessmentAnswer],
    ) -> StoreResult<()> {
        let context = "storing a self-assessment";
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
        tx.execute(
            "DELETE FROM assessment_answers WHERE person = $1 AND month = $2",
            &[&person, &month],
        )
        .map_err(|e| db_error(context, e))?;
        let insert = tx
            .prepare(
                "INSERT INTO assessment_answers (person, month, question, area, answer, answered_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .map_err(|e| db_error(context, e))?;
        for answer in answers {
            tx.execute(
                &insert,
                &[
                    &person,
                    &month,
                    &answer.question,
                    &answer.area,
                    &i16::from(answer.answer),
                    &at,
                ],
            )
            .map_err(|e| db_error(context, e))?;
        }
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn assessment_answers(&self) -> StoreResult<Vec<StoredAssessmentAnswer>> {
        let context = "reading the self-assessment";
        self.pool
            .get()?
            .query(
                "SELECT person, month, answered_at, question, area, answer FROM assessment_answers
                 ORDER BY month, person, question",
                &[],
            )
            .map_err(|e| db_error(context, e))?
            .iter()
            .map(|row| {
                let answer: i16 = get(row, 5, context)?;
                Ok(StoredAssessmentAnswer {
                    person: get(row, 0, context)?,
                    month: get(row, 1, context)?,
                    answered_at: get(row, 2, context)?,
                    answer: AssessmentAnswer {
                        question: get(row, 3, context)?,
                        area: get(row, 4, context)?,
                        answer: u8::try_from(answer).unwrap_or(0),
                    },
                })
            })
            .collect()
    }
}
