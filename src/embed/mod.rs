//! Sentence embeddings of event text: all-MiniLM-L6-v2 when its files are on disk, else a lexical hashing fallback.
//!
//! [`Embedder::load`] never fails: without the model it hands back the [`hashing`] embedder and
//! the reason, so callers can say why search is lexical. Vectors are [`DIMS`] long and
//! L2-normalised, so a dot product is the cosine. [`Embedder::model_id`] is stored beside
//! vectors on disk: vectors from two embedders never mix.

mod bert;
mod hashing;
mod minilm;
mod model_dir;

use std::path::{Path, PathBuf};

pub use model_dir::{default_model_dir, fetch_minilm};

/// Length of every vector, from either embedder.
pub const DIMS: usize = 384;

/// Why an embedder could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model directory lacks files the model needs.
    #[error("no all-MiniLM-L6-v2 model in {}: missing {}", dir.display(), missing.join(", "))]
    MissingFiles {
        dir: PathBuf,
        missing: Vec<&'static str>,
    },
    /// A model file is there but could not be read or parsed.
    #[error("cannot load {}: {reason}", path.display())]
    Load { path: PathBuf, reason: String },
    /// The tokenizer failed on the input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The forward pass failed.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// Fetching the model files failed.
    #[error("fetching the model failed: {0}")]
    Fetch(String),
}

/// Turns text into [`DIMS`]-long unit vectors.
pub struct Embedder {
    backend: Backend,
}

enum Backend {
    MiniLm(Box<minilm::MiniLm>),
    Hashing,
}

impl Embedder {
    /// all-MiniLM-L6-v2 from `dir` (model.safetensors, config.json, tokenizer.json). CPU; with
    /// the `cuda` feature the first GPU when there is one.
    pub fn minilm(dir: &Path) -> Result<Embedder, EmbedError> {
        Ok(Embedder {
            backend: Backend::MiniLm(Box::new(minilm::MiniLm::load(dir)?)),
        })
    }

    /// The lexical fallback: feature hashing of words and character trigrams. Not semantic.
    pub fn hashing() -> Embedder {
        Embedder {
            backend: Backend::Hashing,
        }
    }

    /// The model at `configured`, else (when nothing is configured) in [`default_model_dir`];
    /// when that fails, the hashing fallback with the reason why.
    pub fn load(configured: Option<&Path>) -> (Embedder, Option<String>) {
        let dir = match configured {
            Some(dir) => dir.to_path_buf(),
            None => match default_model_dir() {
                Some(dir) => dir,
                None => {
                    return (
                        Embedder::hashing(),
                        Some(
                            "no model directory (no home directory; set TOCSIN_EMBED_MODEL_DIR): \
                             using the lexical hashing embedder"
                                .to_string(),
                        ),
                    );
                }
            },
        };
        match Embedder::minilm(&dir) {
            Ok(embedder) => (embedder, None),
            Err(e) => (
                Embedder::hashing(),
                Some(format!("{e}: using the lexical hashing embedder")),
            ),
        }
    }

    /// One unit vector of [`DIMS`] floats per text, in input order. An empty text gives the
    /// embedding of an empty sentence (MiniLM) or a zero vector (hashing).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        match &self.backend {
            Backend::MiniLm(m) => m.embed(texts),
            Backend::Hashing => Ok(texts.iter().map(|t| hashing::embed(t)).collect()),
        }
    }

    /// Stable identifier stored with vector files.
    pub fn model_id(&self) -> &'static str {
        match &self.backend {
            Backend::MiniLm(_) => minilm::MODEL_ID,
            Backend::Hashing => hashing::MODEL_ID,
        }
    }

    /// What is embedding, for humans.
    pub fn label(&self) -> String {
        match &self.backend {
            Backend::MiniLm(m) => format!("{} ({})", minilm::MODEL_ID, m.device_name()),
            Backend::Hashing => "lexical hashing embedder (no model)".to_string(),
        }
    }

    /// True for the language model, false for the lexical fallback.
    pub fn is_semantic(&self) -> bool {
        matches!(self.backend, Backend::MiniLm(_))
    }

    /// MiniLM's token ids per text (truncated, [CLS] and [SEP] included), for checks against
    /// other implementations. The hashing embedder has none: an error.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        match &self.backend {
            Backend::MiniLm(m) => m.token_ids(texts),
            Backend::Hashing => Err(EmbedError::Tokenizer(
                "the hashing embedder has no token ids".to_string(),
            )),
        }
    }

    /// Tokens the embedder reads from `texts`: for MiniLM the real (non-padding) tokens after
    /// truncation, [CLS] and [SEP] included; for hashing the word tokens.
    pub fn count_tokens(&self, texts: &[&str]) -> Result<usize, EmbedError> {
        match &self.backend {
            Backend::MiniLm(m) => m.count_tokens(texts),
            Backend::Hashing => Ok(texts.iter().map(|t| hashing::words(t).count()).sum()),
        }
    }
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_id", &self.model_id())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_model_dir_falls_back_and_names_the_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("no-such-model");
        let (embedder, reason) = Embedder::load(Some(&dir));
        assert!(!embedder.is_semantic());
        assert_eq!(embedder.model_id(), "hashing-v1");
        let reason = reason.expect("a reason for the fallback");
        assert!(
            reason.contains(&dir.display().to_string()),
            "reason does not name the dir: {reason}"
        );
        assert!(reason.contains("model.safetensors"), "{reason}");
    }

    #[test]
    fn broken_model_files_fall_back_with_the_file_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        for f in ["model.safetensors", "config.json", "tokenizer.json"] {
            std::fs::write(tmp.path().join(f), b"not a model").expect("write");
        }
        let (embedder, reason) = Embedder::load(Some(tmp.path()));
        assert!(!embedder.is_semantic());
        let reason = reason.expect("a reason");
        assert!(reason.contains("config.json"), "{reason}");
    }

    #[test]
    fn hashing_embedder_api() {
        let e = Embedder::hashing();
        assert_eq!(e.label(), "lexical hashing embedder (no model)");
        let v = e.embed(&["a b", "", "sshd failed"]).expect("embed");
        assert_eq!(v.len(), 3);
        assert!(v.iter().all(|x| x.len() == DIMS));
        assert_eq!(
            e.count_tokens(&["Failed password for root", ""]).ok(),
            Some(4)
        );
        assert!(e.embed(&[]).expect("embed").is_empty());
    }
}
