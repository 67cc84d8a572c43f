//! The embedding part of `bench search`: real (non-padding) tokens/s and lines/s of the
//! embedder tocsin would load, on real log lines, saying which embedder that was.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::embed::Embedder;

/// Lines embedded untimed first (weights paged in, buffers grown).
const WARMUP: usize = 32;

#[derive(Debug, Serialize)]
pub struct EmbedReport {
    pub embedder: String,
    pub semantic: bool,
    /// Why the model did not load (the hashing fallback ran instead).
    pub fallback_reason: Option<String>,
    pub files: Vec<String>,
    pub lines: usize,
    /// Real tokens ([CLS] and [SEP] included, padding not), as the embedder counts them.
    pub tokens: usize,
    /// Lines per `embed` call.
    pub batch: usize,
    pub threads: usize,
    pub seconds: f64,
    pub tokens_per_s: f64,
    pub lines_per_s: f64,
}

/// Embeds every non-empty line of `files` in calls of `batch` lines; `None` (with a note) when
/// there is nothing to embed.
pub fn run(
    files: &[PathBuf],
    batch: usize,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<EmbedReport>> {
    let mut lines = Vec::new();
    let mut read = Vec::new();
    for f in files {
        match std::fs::read(f) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                lines.extend(
                    text.lines()
                        .map(str::trim_end)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
                read.push(f.display().to_string());
            }
            Err(e) => notes.push(format!(
                "embed: {} not read ({e}): run from the crate root or pass --lines FILE",
                f.display()
            )),
        }
    }
    if lines.is_empty() {
        notes.push("embed not run: no log lines to embed (--lines FILE)".to_string());
        return Ok(None);
    }
    let (embedder, reason) = Embedder::load(None);
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let batch = batch.max(1);
    embedder.embed(&refs[..WARMUP.min(refs.len())])?;
    let tokens = embedder.count_tokens(&refs)?;
    let started = Instant::now();
    for chunk in refs.chunks(batch) {
        std::hint::black_box(embedder.embed(chunk)?);
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Some(EmbedReport {
        embedder: embedder.label(),
        semantic: embedder.is_semantic(),
        fallback_reason: reason,
        files: read,
        lines: refs.len(),
        tokens,
        batch,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seconds,
        tokens_per_s: tokens as f64 / seconds,
        lines_per_s: refs.len() as f64 / seconds,
    }))
}
