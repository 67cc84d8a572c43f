//! A lean BERT encoder for inference: candle_transformers' BERT with fused Q/K/V, a fused softmax and a vectorisable erf GELU.
//!
//! Same weights, names and maths as `candle_transformers::models::bert::BertModel` (which it
//! replaces on the hot path: on 2 CPU cores that model spends about a third of its time in a
//! scalar `erf` and a five-pass softmax). Inference only: no dropout, no gradients.

use candle_core::{CpuStorage, CustomOp1, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

pub(crate) struct Encoder {
    word: Tensor,
    /// Position embeddings plus the token type 0 embedding (tocsin never sends type 1).
    position: Tensor,
    layer_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_dim: usize,
}

struct Layer {
    /// Query, key and value in one matrix; the query rows are pre-scaled by 1/sqrt(head_dim).
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    down: Linear,
    output_norm: LayerNorm,
}

impl Encoder {
    /// Loads the weights of a `BertModel` checkpoint (optionally under a `bert.` prefix).
    pub(crate) fn load(vb: VarBuilder, config: &Config) -> Result<Encoder> {
        if config.hidden_act != HiddenAct::Gelu {
            candle_core::bail!("unsupported hidden_act {:?}", config.hidden_act);
        }
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let hidden = config.hidden_size;
        let heads = config.num_attention_heads;
        if heads == 0 || !hidden.is_multiple_of(heads) {
            candle_core::bail!("hidden_size {hidden} is not a multiple of {heads} heads");
        }
        let head_dim = hidden / heads;
        let eps = config.layer_norm_eps;

        let emb = vb.pp("embeddings");
        let word = emb.get((config.vocab_size, hidden), "word_embeddings.weight")?;
        let position = emb.get(
            (config.max_position_embeddings, hidden),
            "position_embeddings.weight",
        )?;
        let token_type = emb.get(
            (config.type_vocab_size, hidden),
            "token_type_embeddings.weight",
        )?;
        let position = position.broadcast_add(&token_type.narrow(0, 0, 1)?)?;
        let layer_norm = candle_nn::layer_norm(hidden, eps, emb.pp("LayerNorm"))?;

        let scale = 1.0 / (head_dim as f64).sqrt();
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let vb = vb.pp(format!("encoder.layer.{i}"));
                let attn = vb.pp("attention.self");
                let part = |name: &str, s: f64| -> Result<(Tensor, Tensor)> {
                    let w = attn.get((hidden, hidden), &format!("{name}.weight"))?;
                    let b = attn.get(hidden, &format!("{name}.bias"))?;
                    Ok(((w * s)?, (b * s)?))
                };
                let (qw, qb) = part("query", scale)?;
                let (kw, kb) = part("key", 1.0)?;
                let (vw, vb_) = part("value", 1.0)?;
                let qkv = Linear::new(
                    Tensor::cat(&[qw, kw, vw], 0)?,
                    Some(Tensor::cat(&[qb, kb, vb_], 0)?),
                );
                Ok(Layer {
                    qkv,
                    attention_out: candle_nn::linear(
                        hidden,
                        hidden,
                        vb.pp("attention.output.dense"),
                    )?,
                    attention_norm: candle_nn::layer_norm(
                        hidden,
                        eps,
                        vb.pp("attention.output.LayerNorm"),
                    )?,
                    up: candle_nn::linear(
                        hidden,
                        config.intermediate_size,
                        vb.pp("intermediate.dense"),
                    )?,
                    down: candle_nn::linear(
                        config.intermediate_size,
                        hidden,
                        vb.pp("output.dense"),
                    )?,
                    output_norm: candle_nn::layer_norm(hidden, eps, vb.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoder {
            word,
            position,
            layer_norm,
            layers,
            heads,
            head_dim,
        })
    }

    /// Hidden states `[batch, seq, hidden]` for token ids `[batch, seq]` (u32). `mask` is
    /// `[batch, seq]` f32, 1 for real tokens and 0 for padding; None when there is no padding.
    pub(crate) fn forward(&self, ids: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        let (batch, seq) = ids.dims2()?;
        let hidden = self.heads * self.head_dim;
        let rows = batch * seq;
        let x = self.word.index_select(&ids.flatten_all()?, 0)?;
        let x = x
            .reshape((batch, seq, hidden))?
            .broadcast_add(&self.position.narrow(0, 0, seq)?)?
            .reshape((rows, hidden))?;
        let mut x = self.layer_norm.forward(&x)?;
        // Padding keys get the lowest f32 added to their scores: zero weight after softmax.
        let key_bias = match mask {
            Some(m) => Some(
                ((m.to_dtype(DType::F32)? - 1.0)? * f64::from(f32::MAX))?
                    .reshape((batch, 1, 1, seq))?,
            ),
            None => None,
        };
        for layer in &self.layers {
            let qkv = layer
                .qkv
                .forward(&x)?
                .reshape((batch, seq, 3, self.heads, self.head_dim))?
                .permute((2, 0, 3, 1, 4))?
                .contiguous()?;
            let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
            let mut scores = q.matmul(&k.t()?)?;
            if let Some(bias) = &key_bias {
                scores = scores.broadcast_add(bias)?;
            }
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((rows, hidden))?;
            let attended = (layer.attention_out.forward(&context)? + &x)?;
            let attended = layer.attention_norm.forward(&attended)?;
            let up = gelu_erf(&layer.up.forward(&attended)?)?;
            let out = (layer.down.forward(&up)? + &attended)?;
            x = layer.output_norm.forward(&out)?;
        }
        x.reshape((batch, seq, hidden))
    }
}

/// Exact (erf) GELU: the vectorisable kernel below on CPU, candle's own elsewhere.
fn gelu_erf(xs: &Tensor) -> Result<Tensor> {
    if xs.device().is_cpu() && xs.dtype() == DType::F32 && xs.is_contiguous() {
        xs.apply_op1_no_bwd(&GeluErf)
    } else {
        xs.gelu_erf()
    }
}

struct GeluErf;

/// Below this many elements one thread does the whole tensor.
const PARALLEL_MIN: usize = 1 << 16;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "tocsin-gelu-erf"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("gelu_erf: f32 only");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("gelu_erf: needs a contiguous tensor");
        };
        let src = &data[start..end];
        let mut dst = vec![0f32; src.len()];
        let threads = candle_core::utils::get_num_threads().max(1);
        if threads == 1 || src.len() < PARALLEL_MIN {
            gelu_slice(src, &mut dst);
        } else {
            let chunk = src.len().div_ceil(threads);
            std::thread::scope(|s| {
                for (src, dst) in src.chunks(chunk).zip(dst.chunks_mut(chunk)) {
                    s.spawn(move || gelu_slice(src, dst));
                }
            });
        }
        Ok((CpuStorage::F32(dst), layout.shape().clone()))
    }
}

fn gelu_slice(src: &[f32], dst: &mut [f32]) {
    for (d, &x) in dst.iter_mut().zip(src) {
        *d = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// erf for f32 as a rational function of x on [-4, 4] (the approximation Eigen and XLA use;
/// within a few ulp of the true value, and exactly +-1 in f32 outside that range).
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.72614225801306e-10_f32;
    p = p * x2 + 2.77068142495902e-08;
    p = p * x2 - 2.10102402082508e-06;
    p = p * x2 - 5.69250639462346e-05;
    p = p * x2 - 7.34990630326855e-04;
    p = p * x2 - 2.95459980854025e-03;
    p = p * x2 - 1.60960333262415e-02;
    let mut q = -1.45660718464996e-05_f32;
    q = q * x2 - 2.13374055278905e-04;
    q = q * x2 - 1.68282697438203e-03;
    q = q * x2 - 7.37332916720468e-03;
    q = q * x2 - 1.42647390514189e-02;
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_candle_within_1e_6() {
        let mut worst = 0f32;
        for i in -60_000..=60_000 {
            let x = i as f32 / 10_000.0;
            let want = candle_core::cpu::erf::erf_f32(x);
            worst = worst.max((erf(x) - want).abs());
        }
        assert!(worst < 1e-6, "max |erf error| {worst}");
        assert_eq!(erf(9.0), 1.0);
        assert_eq!(erf(-9.0), -1.0);
    }

    #[test]
    fn gelu_op_matches_candle_gelu_erf() {
        let values: Vec<f32> = (0..200_000)
            .map(|i| (i as f32 - 100_000.0) / 12_000.0)
            .collect();
        let t = Tensor::from_vec(values, (400, 500), &candle_core::Device::Cpu).expect("tensor");
        let ours = gelu_erf(&t).expect("ours");
        let theirs = t.gelu_erf().expect("theirs");
        let diff = (ours - theirs)
            .expect("sub")
            .abs()
            .expect("abs")
            .max_all()
            .expect("max")
            .to_scalar::<f32>()
            .expect("scalar");
        assert!(diff < 1e-5, "{diff}");
    }
}
