//! Items' sentence embeddings per model.

use trove_store::{
    EmbeddingStore, ItemEmbedding, StoreError, StoreResult, decode_vector, encode_vector,
};

use crate::PostgresStore;
use crate::decode::{db_error, get};

impl EmbeddingStore for PostgresStore {
    fn save_embeddings(&self, model: &str, vectors: &[ItemEmbedding]) -> StoreResult<()> {
        let context = "storing embeddings";
        let mut client = self.pool.get()?;
        let mut tx = client.transaction().map_err(|e| db_error(context, e))?;
        let insert = tx
            .prepare(
                "INSERT INTO item_embeddings (feedback_id, model, text_hash, vector)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (model, feedback_id) DO UPDATE SET
                     text_hash = excluded.text_hash, vector = excluded.vector",
            )
            .map_err(|e| db_error(context, e))?;
        for v in vectors {
            tx.execute(
                &insert,
                &[&v.id, &model, &v.text_hash, &encode_vector(&v.vector)],
            )
            .map_err(|e| db_error(context, e))?;
        }
        tx.commit().map_err(|e| db_error(context, e))
    }

    fn embeddings(&self, model: &str, ids: &[i64]) -> StoreResult<Vec<ItemEmbedding>> {
        let context = "reading embeddings";
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT feedback_id, text_hash, vector FROM item_embeddings
                 WHERE model = $1 AND feedback_id = ANY($2) ORDER BY feedback_id",
                &[&model, &ids],
            )
            .map_err(|e| db_error(context, e))?;
        rows.iter()
            .map(|row| {
                let id: i64 = get(row, 0, context)?;
                let bytes: Vec<u8> = get(row, 2, context)?;
                Ok(ItemEmbedding {
                    id,
                    text_hash: get(row, 1, context)?,
                    vector: decode_vector(&bytes).ok_or_else(|| {
                        StoreError::database(context, format!("item {id}: vector too short"))
                    })?,
                })
            })
            .collect()
    }

    fn embedding_count(&self, model: &str) -> StoreResult<u64> {
        let context = "counting embeddings";
        let row = self
            .pool
            .get()?
            .query_one(
                "SELECT COUNT(*) FROM item_embeddings WHERE model = $1",
                &[&model],
            )
            .map_err(|e| db_error(context, e))?;
        let count: i64 = get(&row, 0, context)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
