//! all-MiniLM-L6-v2 on candle: tokenize, batch by length, encode, mean-pool, L2-normalise.
//!
//! Inputs are sorted by token count and cut into batches of similar length (at most
//! [`MAX_BATCH`] rows and [`TOKEN_BUDGET`] padded tokens), so little time goes on padding and the
//! activations of a batch stay in cache; outputs go back in input order. The encoder is
//! [`super::bert`], loaded with candle_transformers' BERT `Config`.

use std::path::Path;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::bert::Encoder;
use super::model_dir::missing_files;
use super::{DIMS, EmbedError};

/// Stored with vector files.
pub(crate) const MODEL_ID: &str = "all-MiniLM-L6-v2";

/// sentence_bert_config.json `max_seq_length`: longer inputs are truncated, [CLS]/[SEP] included.
const MAX_SEQ_LEN: usize = 256;
/// At most this many sentences per forward pass.
const MAX_BATCH: usize = 64;
/// At most this many (padded) tokens per forward pass: long inputs go in smaller batches.
const TOKEN_BUDGET: usize = 1024;

pub(crate) struct MiniLm {
    encoder: Encoder,
    tokenizer: Tokenizer,
    device: Device,
}

impl MiniLm {
    pub(crate) fn load(dir: &Path) -> Result<MiniLm, EmbedError> {
        let missing = missing_files(dir);
        if !missing.is_empty() {
            return Err(EmbedError::MissingFiles {
                dir: dir.to_path_buf(),
                missing,
            });
        }
        let device = pick_device()?;

        let config_path = dir.join("config.json");
        let config: Config = std::fs::read_to_string(&config_path)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str(&s).map_err(|e| e.to_string()))
            .map_err(|reason| EmbedError::Load {
                path: config_path.clone(),
                reason,
            })?;
        if config.hidden_size != DIMS {
            return Err(EmbedError::Load {
                path: config_path,
                reason: format!("hidden_size {} is not {DIMS}", config.hidden_size),
            });
        }

        let tokenizer_path = dir.join("tokenizer.json");
        let load_err = |reason: String| EmbedError::Load {
            path: tokenizer_path.clone(),
            reason,
        };
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| load_err(e.to_string()))?;
        // tokenizer.json pads every input to 128; we pad per batch ourselves.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_SEQ_LEN,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| load_err(e.to_string()))?;

        let weights = dir.join("model.safetensors");
        // SAFETY: the file is memory-mapped read-only; tocsin never writes model files while
        // it runs, and fetch_minilm replaces the directory by rename (the old mapping stays valid).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| EmbedError::Load {
            path: weights.clone(),
            reason: e.to_string(),
        })?;
        let encoder = Encoder::load(vb, &config).map_err(|e| EmbedError::Load {
            path: weights,
            reason: e.to_string(),
        })?;
        Ok(MiniLm {
            encoder,
            tokenizer,
            device,
        })
    }

    pub(crate) fn device_name(&self) -> &'static str {
        if self.device.is_cuda() { "CUDA" } else { "CPU" }
    }

    /// Token ids per text: truncated to [`MAX_SEQ_LEN`], [CLS] and [SEP] included.
    pub(crate) fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(encodings
            .into_iter()
            .map(|e| e.get_ids().to_vec())
            .collect())
    }

    pub(crate) fn count_tokens(&self, texts: &[&str]) -> Result<usize, EmbedError> {
        Ok(self.token_ids(texts)?.iter().map(Vec::len).sum())
    }

    pub(crate) fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids = self.token_ids(texts)?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for batch in batches(&order, &ids) {
            let vectors = self.forward(batch, &ids)?;
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// Embeds the texts `rows` (indexes into `ids`) in one forward pass.
    fn forward(&self, rows: &[usize], ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let width = rows.iter().map(|&i| ids[i].len()).max().unwrap_or(0);
        let padded = rows.iter().any(|&i| ids[i].len() != width);
        let mut flat_ids = Vec::with_capacity(rows.len() * width);
        let mut flat_mask = Vec::with_capacity(rows.len() * width);
        for &i in rows {
            let row = &ids[i];
            flat_ids.extend_from_slice(row);
            flat_ids.extend(std::iter::repeat_n(0u32, width - row.len()));
            flat_mask.extend(std::iter::repeat_n(1f32, row.len()));
            flat_mask.extend(std::iter::repeat_n(0f32, width - row.len()));
        }
        let shape = (rows.len(), width);
        let input_ids = Tensor::from_vec(flat_ids, shape, &self.device)?;
        let mask = Tensor::from_vec(flat_mask, shape, &self.device)?;
        // Without padding the mask is all ones: skip adding it in every attention layer.
        let hidden = self.encoder.forward(&input_ids, padded.then_some(&mask))?;
        // Mean over the real tokens: [b, t, h] * [b, t, 1], summed over t, / real token count.
        let mask = mask.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
        let unit = mean.broadcast_div(&norms.clamp(1e-12f32, f32::MAX)?)?;
        Ok(unit.to_vec2::<f32>()?)
    }
}

/// Cuts `order` (indexes sorted by token count) into batches of at most [`MAX_BATCH`] rows and
/// [`TOKEN_BUDGET`] padded tokens (a single longer row still gets a batch of its own).
fn batches<'a>(order: &'a [usize], ids: &[Vec<u32>]) -> Vec<&'a [usize]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // Sorted ascending, so the last row of a batch is its widest.
        while end < order.len()
            && end - start < MAX_BATCH
            && (end - start + 1) * ids[order[end]].len() <= TOKEN_BUDGET
        {
            end += 1;
        }
        out.push(&order[start..end]);
        start = end;
    }
    out
}

#[cfg(not(feature = "cuda"))]
fn pick_device() -> Result<Device, EmbedError> {
    Ok(Device::Cpu)
}

#[cfg(feature = "cuda")]
fn pick_device() -> Result<Device, EmbedError> {
    Ok(Device::cuda_if_available(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_row_and_token_limits() {
        let ids: Vec<Vec<u32>> = (0..200).map(|i| vec![0; 2 + i % 130]).collect();
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let parts = batches(&order, &ids);
        assert_eq!(parts.iter().map(|b| b.len()).sum::<usize>(), ids.len());
        for b in &parts {
            assert!(b.len() <= MAX_BATCH);
            let width = b.iter().map(|&i| ids[i].len()).max().unwrap_or(0);
            assert!(b.len() == 1 || b.len() * width <= TOKEN_BUDGET);
        }
        let flat: Vec<usize> = parts.concat();
        assert_eq!(flat, order);
        assert!(batches(&[], &ids).is_empty());
    }

    #[test]
    fn one_row_longer_than_the_budget_gets_its_own_batch() {
        let ids = vec![vec![0; TOKEN_BUDGET + 1], vec![0; 3]];
        let parts = batches(&[1, 0], &ids);
        assert_eq!(parts, vec![&[1][..], &[0][..]]);
    }
}
