//! Items' sentence embeddings per model.

use rusqlite::{OptionalExtension, params};
use trove_store::{EmbeddingStore, ItemEmbedding, StoreResult, decode_vector, encode_vector};

use crate::SqliteStore;
use crate::decode::db_error;

impl EmbeddingStore for SqliteStore {
    fn save_embeddings(&self, model: &str, vectors: &[ItemEmbedding]) -> StoreResult<()> {
        let context = "storing embeddings";
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(|e| db_error(context, e))?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO item_embeddings (feedback_id, model, text_hash, vector)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (model, feedback_id) DO UPDATE SET
                         text_hash = excluded.text_hash, vector = excluded.vector",
                )
                .map_err(|e| db_error(context, e))?;
            for v in vectors {
                insert
                    .execute(params![v.id, model, v.text_hash, encode_vector(&v.vector)])
                    .map_err(|e| db_error(context, e))?;
            }
        }
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn embeddings(&self, model: &str, ids: &[i64]) -> StoreResult<Vec<ItemEmbedding>> {
        let context = "reading embeddings";
        let connection = self.lock();
        let mut select = connection
            .prepare_cached(
                "SELECT text_hash, vector FROM item_embeddings WHERE model = ?1 AND feedback_id = ?2",
            )
            .map_err(|e| db_error(context, e))?;
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            let row: Option<(i64, Vec<u8>)> = select
                .query_row(params![model, id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(|e| db_error(context, e))?;
            if let Some((text_hash, bytes)) = row {
                let vector = decode_vector(&bytes)
                    .ok_or_else(|| db_error(context, format!("item {id}: vector too short")))?;
                out.push(ItemEmbedding {
                    id,
                    text_hash,
                    vector,
                });
            }
        }
        Ok(out)
    }

    fn embedding_count(&self, model: &str) -> StoreResult<u64> {
        let count: i64 = self
            .lock()
            .query_row(
                "SELECT COUNT(*) FROM item_embeddings WHERE model = ?1",
                [model],
                |r| r.get(0),
            )
            .map_err(|e| db_error("counting embeddings", e))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
