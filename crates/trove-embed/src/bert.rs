//! BERT's encoder (the `BertModel` of a sentence-transformers folder) run on the CPU, with mean
//! pooling and L2 normalisation.
//!
//! A batch's texts are packed one after another, with no padding: the linear layers (nearly
//! all the work) run as one matrix product over every token of the batch, and attention runs
//! per text and per head over exactly that text's tokens, so no mask is needed and no work is
//! spent on padding.

use ndarray::{Array2, ArrayView2, linalg::general_mat_mul};
use serde::Deserialize;

use crate::EmbedError;
use crate::weights::Weights;

/// The fields of `config.json` the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    type_vocab_size: usize,
    layer_norm_eps: f32,
    hidden_act: String,
}

/// `y = x W + b`, with `W` kept as `[in, out]`.
struct Linear {
    weight: Array2<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// PyTorch's `Linear` keeps its weight as `[out, in]`: it is transposed once here.
    fn load(
        weights: &Weights,
        name: &str,
        inputs: usize,
        outputs: usize,
    ) -> Result<Self, EmbedError> {
        let w = weights.tensor(&format!("{name}.weight"), &[outputs, inputs])?;
        let w = ArrayView2::from_shape((outputs, inputs), &w)
            .map_err(|e| EmbedError::Model(format!("{name}: {e}")))?;
        Ok(Self {
            weight: w.t().as_standard_layout().into_owned(),
            bias: weights.tensor(&format!("{name}.bias"), &[outputs])?,
        })
    }

    /// Several linear layers over the same input as one (query, key and value).
    fn stack(parts: Vec<Linear>) -> Result<Self, EmbedError> {
        let views: Vec<_> = parts.iter().map(|p| p.weight.view()).collect();
        let weight = ndarray::concatenate(ndarray::Axis(1), &views)
            .map_err(|e| EmbedError::Model(format!("stacking query, key and value: {e}")))?;
        let bias = parts.iter().flat_map(|p| p.bias.iter().copied()).collect();
        Ok(Self { weight, bias })
    }

    fn apply(&self, x: &Array2<f32>) -> Array2<f32> {
        let mut y = Array2::zeros((x.nrows(), self.weight.ncols()));
        for mut row in y.rows_mut() {
            row.iter_mut().zip(&self.bias).for_each(|(v, b)| *v = *b);
        }
        general_mat_mul(1.0, x, &self.weight, 1.0, &mut y);
        y
    }
}

struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn load(weights: &Weights, name: &str, size: usize, eps: f32) -> Result<Self, EmbedError> {
        Ok(Self {
            gamma: weights.tensor(&format!("{name}.weight"), &[size])?,
            beta: weights.tensor(&format!("{name}.bias"), &[size])?,
            eps,
        })
    }

    fn apply(&self, x: &mut Array2<f32>) {
        let n = x.ncols() as f32;
        for mut row in x.rows_mut() {
            let mean = row.sum() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let scale = 1.0 / (var + self.eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *v = (*v - mean) * scale * g + b;
            }
        }
    }
}

struct Layer {
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
}

/// The encoder's weights.
pub(crate) struct Bert {
    config: Config,
    word: Array2<f32>,
    position: Array2<f32>,
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Reads the encoder of `config` from `weights` (names as `BertModel` saves them, with or
    /// without a `bert.` prefix).
    pub(crate) fn load(config: Config, weights: &Weights) -> Result<Self, EmbedError> {
        if config.hidden_act != "gelu" {
            return Err(EmbedError::Model(format!(
                "config.json: hidden_act {} (only gelu is implemented)",
                config.hidden_act
            )));
        }
        if config.num_attention_heads == 0
            || !config
                .hidden_size
                .is_multiple_of(config.num_attention_heads)
        {
            return Err(EmbedError::Model(
                "config.json: hidden_size is not a multiple of num_attention_heads".into(),
            ));
        }
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let matrix = |name: &str, rows: usize| -> Result<Array2<f32>, EmbedError> {
            let values = weights.tensor(name, &[rows, h])?;
            Array2::from_shape_vec((rows, h), values)
                .map_err(|e| EmbedError::Model(format!("{name}: {e}")))
        };
        let token_types = matrix(
            "embeddings.token_type_embeddings.weight",
            config.type_vocab_size,
        )?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let linear = |name: &str, inputs, outputs| {
                Linear::load(weights, &format!("{p}.{name}"), inputs, outputs)
            };
            layers.push(Layer {
                qkv: Linear::stack(vec![
                    linear("attention.self.query", h, h)?,
                    linear("attention.self.key", h, h)?,
                    linear("attention.self.value", h, h)?,
                ])?,
                attention_out: linear("attention.output.dense", h, h)?,
                attention_norm: LayerNorm::load(
                    weights,
                    &format!("{p}.attention.output.LayerNorm"),
                    h,
                    eps,
                )?,
                up: linear("intermediate.dense", h, config.intermediate_size)?,
                down: linear("output.dense", config.intermediate_size, h)?,
                out_norm: LayerNorm::load(weights, &format!("{p}.output.LayerNorm"), h, eps)?,
            });
        }
        Ok(Self {
            word: matrix("embeddings.word_embeddings.weight", config.vocab_size)?,
            position: matrix(
                "embeddings.position_embeddings.weight",
                config.max_position_embeddings,
            )?,
            token_type: token_types.row(0).to_vec(),
            embedding_norm: LayerNorm::load(weights, "embeddings.LayerNorm", h, eps)?,
            layers,
            config,
        })
    }

    /// The longest input it takes (position embeddings).
    pub(crate) fn max_tokens(&self) -> usize {
        self.config.max_position_embeddings
    }

    /// The vocabulary size (ids must be below it).
    pub(crate) fn vocab_size(&self) -> usize {
        self.config.vocab_size
    }

    /// The length of its vectors.
    pub(crate) fn dimensions(&self) -> usize {
        self.config.hidden_size
    }

    /// One unit vector per text: the mean of its last hidden states, L2-normalised. Each text's
    /// ids must be non-empty, below the vocabulary size and at most [`Bert::max_tokens`] long.
    pub(crate) fn embed(&self, texts: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.config.hidden_size;
        let spans = spans(texts);
        let total = spans.last().map_or(0, |&(start, len)| start + len);
        let mut x = Array2::zeros((total, h));
        for (ids, &(start, _)) in texts.iter().zip(&spans) {
            for (t, &id) in ids.iter().enumerate() {
                let mut row = x.row_mut(start + t);
                row.assign(&self.word.row(id as usize));
                row += &self.position.row(t);
                row.iter_mut()
                    .zip(&self.token_type)
                    .for_each(|(v, tt)| *v += tt);
            }
        }
        self.embedding_norm.apply(&mut x);
        for layer in &self.layers {
            x = self.layer(layer, x, &spans);
        }
        spans
            .iter()
            .map(|&(start, len)| {
                let mut mean = vec![0.0f32; h];
                for t in start..start + len {
                    mean.iter_mut().zip(x.row(t)).for_each(|(m, v)| *m += v);
                }
                let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                mean.iter_mut().for_each(|m| *m /= norm);
                mean
            })
            .collect()
    }

    fn layer(&self, layer: &Layer, x: Array2<f32>, spans: &[(usize, usize)]) -> Array2<f32> {
        let qkv = layer.qkv.apply(&x);
        let context = self.attention(&qkv, spans);
        let mut attended = layer.attention_out.apply(&context);
        attended += &x;
        drop(x);
        layer.attention_norm.apply(&mut attended);
        let mut inner = layer.up.apply(&attended);
        inner.mapv_inplace(gelu);
        let mut out = layer.down.apply(&inner);
        out += &attended;
        layer.out_norm.apply(&mut out);
        out
    }

    /// Multi-head self-attention of each text over its own tokens; `qkv` holds each token's
    /// query, key and value side by side.
    fn attention(&self, qkv: &Array2<f32>, spans: &[(usize, usize)]) -> Array2<f32> {
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut context = Array2::<f32>::zeros((qkv.nrows(), h));
        let qkv = qkv
            .as_slice()
            .expect("a fresh matrix product is contiguous");
        let width = 3 * h;
        let mut scores = Vec::new();
        for &(start, len) in spans {
            for head in 0..heads {
                let q_at = |t: usize| &qkv[(start + t) * width + head * d..][..d];
                let k_at = |t: usize| &qkv[(start + t) * width + h + head * d..][..d];
                let v_at = |t: usize| &qkv[(start + t) * width + 2 * h + head * d..][..d];
                for i in 0..len {
                    scores.clear();
                    scores.extend((0..len).map(|j| dot(q_at(i), k_at(j)) * scale));
                    softmax(&mut scores);
                    let mut row = context.row_mut(start + i);
                    let out = row
                        .as_slice_mut()
                        .expect("rows of a standard matrix are contiguous");
                    let out = &mut out[head * d..(head + 1) * d];
                    for (j, &p) in scores.iter().enumerate() {
                        out.iter_mut().zip(v_at(j)).for_each(|(o, v)| *o += p * v);
                    }
                }
            }
        }
        context
    }
}

/// Where each text's tokens start in the packed batch, and how many there are.
fn spans(texts: &[Vec<u32>]) -> Vec<(usize, usize)> {
    let mut start = 0;
    texts
        .iter()
        .map(|ids| {
            let span = (start, ids.len());
            start += ids.len();
            span
        })
        .collect()
}

/// A dot product in eight lanes, so the compiler can use SIMD (floating-point addition is
/// not reordered otherwise).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() / 8 * 8);
    let (b8, b_rest) = b.split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    lanes.iter().sum::<f32>() + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

fn softmax(values: &mut [f32]) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in values.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    values.iter_mut().for_each(|v| *v /= sum);
}

/// GELU as BERT defines it, `x Φ(x) = x (1 + erf(x / √2)) / 2`.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// The error function, to within 1.5e-7 (Abramowitz and Stegun 7.1.26).
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_and_gelu_match_known_values() {
        // erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
        for (x, want) in [(0.5, 0.520_499_9), (1.0, 0.842_700_8), (2.0, 0.995_322_3)] {
            assert!((erf(x) - want).abs() < 3e-7, "erf({x}) = {}", erf(x));
            assert!((erf(-x) + want).abs() < 3e-7);
        }
        assert!(erf(0.0).abs() < 3e-7);
        // GELU(1) = Φ(1) = 0.8413447461.
        assert!((gelu(1.0) - 0.841_344_7).abs() < 3e-7);
        assert!((gelu(-1.0) + 0.158_655_25).abs() < 3e-7);
    }

    #[test]
    fn softmax_and_dot() {
        let mut v = vec![1.0, 2.0, 3.0];
        softmax(&mut v);
        // e^1, e^2, e^3 over their sum.
        let want = [0.090_030_57, 0.244_728_47, 0.665_240_96];
        assert!(
            v.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6),
            "{v:?}"
        );
        let a: Vec<f32> = (1..=11).map(|i| i as f32).collect();
        assert_eq!(dot(&a, &a), 506.0);
    }

    #[test]
    fn spans_pack_texts_end_to_end() {
        assert_eq!(
            spans(&[vec![1, 2], vec![3], vec![4, 5, 6]]),
            [(0, 2), (2, 1), (3, 3)]
        );
    }
}
