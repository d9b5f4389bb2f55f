//! The tensors of a `model.safetensors` file: an 8-byte little-endian header length, a JSON
//! header naming each tensor's dtype, shape and byte range, then the bytes. Only `F32` tensors
//! are read (what sentence-transformers ships).

use std::collections::HashMap;

use serde::Deserialize;

use crate::EmbedError;

#[derive(Debug, Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The file's bytes and its header.
pub(crate) struct Weights {
    bytes: Vec<u8>,
    entries: HashMap<String, Entry>,
    data_start: usize,
    file: String,
}

impl Weights {
    /// Parses `bytes` read from `file` (named in errors).
    pub(crate) fn parse(bytes: Vec<u8>, file: &str) -> Result<Self, EmbedError> {
        let bad = |why: String| EmbedError::Model(format!("{file}: {why}"));
        let length: [u8; 8] = bytes
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("shorter than a safetensors header".into()))?;
        let length = usize::try_from(u64::from_le_bytes(length))
            .map_err(|_| bad("header length out of range".into()))?;
        let header = bytes
            .get(8..8 + length)
            .ok_or_else(|| bad("header runs past the end of the file".into()))?;
        let mut raw: HashMap<String, serde_json::Value> =
            serde_json::from_slice(header).map_err(|e| bad(format!("header is not JSON: {e}")))?;
        raw.remove("__metadata__");
        let entries = raw
            .into_iter()
            .map(|(name, value)| {
                let entry: Entry = serde_json::from_value(value)
                    .map_err(|e| bad(format!("tensor {name}: {e}")))?;
                Ok((name, entry))
            })
            .collect::<Result<_, EmbedError>>()?;
        Ok(Self {
            bytes,
            entries,
            data_start: 8 + length,
            file: file.to_owned(),
        })
    }

    /// Tensor `name` as f32 values in row-major order, checked to have `shape`.
    pub(crate) fn tensor(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let bad = |why: String| EmbedError::Model(format!("{}: tensor {name}: {why}", self.file));
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| bad("missing".into()))?;
        if entry.dtype != "F32" {
            return Err(bad(format!("dtype {} (only F32 is read)", entry.dtype)));
        }
        if entry.shape != shape {
            return Err(bad(format!("shape {:?}, expected {shape:?}", entry.shape)));
        }
        let [start, end] = entry.data_offsets;
        let count: usize = shape.iter().product();
        if end.checked_sub(start) != Some(count * 4) {
            return Err(bad(format!("{} bytes for {count} values", end - start)));
        }
        let data = self
            .bytes
            .get(self.data_start + start..self.data_start + end)
            .ok_or_else(|| bad("data runs past the end of the file".into()))?;
        Ok(data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn reads_a_tensor_and_names_what_is_wrong() {
        let data: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let header = r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#;
        let weights = Weights::parse(file(header, &data), "m.safetensors").unwrap();
        assert_eq!(weights.tensor("w", &[2]).unwrap(), [1.5, -2.0]);
        let wrong = weights.tensor("w", &[1, 2]).unwrap_err().to_string();
        assert!(
            wrong.contains("m.safetensors: tensor w: shape [2], expected [1, 2]"),
            "{wrong}"
        );
        assert!(
            weights
                .tensor("i", &[1])
                .unwrap_err()
                .to_string()
                .contains("I64")
        );
        assert!(
            weights
                .tensor("x", &[1])
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
        assert!(Weights::parse(vec![1, 2], "m").is_err());
    }
}
