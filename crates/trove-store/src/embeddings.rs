//! Each item's sentence embedding under a model, computed once and kept, so that discovery over
//! a growing base embeds only the items it has not seen (or whose text changed).
//!
//! Vectors are stored quantised to one byte per dimension ([`encode_vector`]): for the unit
//! vectors of a sentence model the error is below 0.5% of the largest component, far below
//! what separates two clusters, and a 384-dimension vector takes 388 bytes.

use crate::StoreResult;

/// An item's vector under a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemEmbedding {
    /// The item's id.
    pub id: i64,
    /// [`text_hash`] of the text the vector was computed from.
    pub text_hash: i64,
    /// The vector (as read back: dequantised).
    pub vector: Vec<f32>,
}

/// What the store keeps of embeddings.
pub trait EmbeddingStore {
    /// Stores the vectors of `model` in one transaction, replacing those the items had under
    /// it.
    fn save_embeddings(&self, model: &str, vectors: &[ItemEmbedding]) -> StoreResult<()>;

    /// The stored vectors under `model` of those of `ids` that have one, in id order.
    fn embeddings(&self, model: &str, ids: &[i64]) -> StoreResult<Vec<ItemEmbedding>>;

    /// How many items have a vector under `model`.
    fn embedding_count(&self, model: &str) -> StoreResult<u64>;
}

/// The first 8 bytes of the BLAKE3 digest of `text`, as stored beside its vector.
pub fn text_hash(text: &str) -> i64 {
    let digest = blake3::hash(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    i64::from_le_bytes(first)
}

/// A vector as stored: the scale (the largest magnitude over 127) as a little-endian f32,
/// then each value over the scale, rounded, as an i8.
pub fn encode_vector(vector: &[f32]) -> Vec<u8> {
    let largest = vector.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    let mut out = Vec::with_capacity(4 + vector.len());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(
        vector
            .iter()
            .map(|v| ((v / scale).round().clamp(-127.0, 127.0) as i8).to_le_bytes()[0]),
    );
    out
}

/// The vector [`encode_vector`] stored (None: fewer than 4 bytes).
pub fn decode_vector(bytes: &[u8]) -> Option<Vec<f32>> {
    let (scale, values) = bytes.split_first_chunk::<4>()?;
    let scale = f32::from_le_bytes(*scale);
    Some(
        values
            .iter()
            .map(|&b| f32::from(i8::from_le_bytes([b])) * scale)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_vectors_read_back_within_half_a_step() {
        let vector = [0.5f32, -0.25, 0.0, 0.127, -0.5];
        let bytes = encode_vector(&vector);
        assert_eq!(bytes.len(), 4 + 5);
        // Scale 0.5 / 127: 0.5 -> 127, -0.25 -> -63.5 rounds to -64, 0.127 -> 32.258 -> 32.
        assert_eq!(&bytes[4..], &[127u8, (-64i8) as u8, 0, 32, (-127i8) as u8]);
        let back = decode_vector(&bytes).unwrap();
        let step = 0.5 / 127.0;
        assert!(
            vector
                .iter()
                .zip(&back)
                .all(|(a, b)| (a - b).abs() <= step / 2.0 + 1e-7)
        );
        assert_eq!(
            decode_vector(&encode_vector(&[0.0, 0.0])).unwrap(),
            [0.0, 0.0]
        );
        assert_eq!(decode_vector(&[1, 2]), None);
    }

    #[test]
    fn text_hashes_differ_for_different_texts() {
        assert_eq!(text_hash("card"), text_hash("card"));
        assert_ne!(text_hash("card"), text_hash("card "));
    }
}
