//! `tocsin bench search`: the search stack's speed, each figure beside a peer measured in the
//! same run on the same data: full-text indexing of a seeded corpus (beside the tantivy Python
//! package), query latency on that index, HNSW kNN (beside faiss and hnswlib) and embedding
//! throughput on real log lines. It prints each against the target; it never asserts
//! them. This file holds the arguments, the report and the order of the parts.

mod corpus;
mod embed;
mod knn;
mod peer;
mod table;
#[cfg(test)]
mod tests;
mod text;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Env, output};
use peer::Peers;

/// A part of the bench that `--skip` leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// Full-text indexing and the queries on that index.
    Index,
    /// The vector index.
    Knn,
    /// The embedder.
    Embed,
}

#[derive(Debug, Args)]
pub struct SearchBench {
    /// Events in the generated corpus (the issue asks for 10M, or the largest that fits).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// Vectors in the kNN index (besides 1000 query vectors).
    #[arg(long, default_value_t = 200_000)]
    pub vectors: usize,
    /// Seed of the corpus and the vectors.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// The peer scripts (tantivy_py.py, ann.py).
    #[arg(long, value_name = "DIR", default_value = "../shared/peers")]
    pub peers: PathBuf,
    /// The Python that runs the peers [default: ~/.cache/tocsin-peers/venv/bin/python].
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Run no peer.
    #[arg(long)]
    pub no_peers: bool,
    /// Leave a part out (repeatable).
    #[arg(long, value_enum, value_name = "PART")]
    pub skip: Vec<Part>,
    /// Build in DIR and keep what was built (corpus, text index, vector index); default a
    /// temporary directory removed at the end.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Log lines to embed, one per line (repeatable).
    #[arg(
        long,
        value_name = "FILE",
        default_values = ["tests/fixtures/loghub/OpenSSH_2k.log", "tests/fixtures/loghub/Linux_2k.log"]
    )]
    pub lines: Vec<PathBuf>,
    /// Indexing memory of the text writer, in MB (split over its threads; the peer uses 512).
    #[arg(long, default_value_t = 512)]
    pub heap_mb: usize,
    /// Parse corpus lines on the thread that adds them, not on a thread of their own.
    #[arg(long, hide = true)]
    pub inline_parse: bool,
    /// Lines per embed call.
    #[arg(long, hide = true, default_value_t = 256)]
    pub embed_batch: usize,
}

/// Percentiles of a set of samples, in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Pcts {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Pcts {
    pub fn of(samples: &[Duration]) -> Pcts {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        Pcts {
            count: ms.len(),
            p50_ms: percentile(&ms, 0.50),
            p99_ms: percentile(&ms, 0.99),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// The nearest-rank percentile `p` (0..=1) of sorted samples; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
}

/// The targets.
pub const TARGET_INDEX_RATIO: f64 = 2.0;
pub const TARGET_QUERY_P50_MS: f64 = 3.0;
pub const TARGET_QUERY_P99_MS: f64 = 30.0;
pub const TARGET_KNN_P99_MS: f64 = 2.0;
pub const TARGET_RECALL: f64 = 0.95;
pub const TARGET_TOKENS_PER_S: f64 = 3300.0;

#[derive(Debug, Serialize)]
struct Report {
    seed: u64,
    /// Where it built, when kept (`--dir`).
    dir: Option<String>,
    corpus_seconds: Option<f64>,
    index: Option<text::IndexReport>,
    queries: Option<text::QueryReport>,
    knn: Option<knn::KnnReport>,
    embed: Option<embed::EmbedReport>,
    /// Peers or parts not run, and why.
    notes: Vec<String>,
}

pub fn run(env: &Env, args: SearchBench) -> anyhow::Result<ExitCode> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.clone()
        }
        None => {
            tmp = tempfile::Builder::new()
                .prefix("tocsin-bench-search-")
                .tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let peers = (!args.no_peers).then(|| Peers {
        dir: args.peers.clone(),
        python: args.python.clone().unwrap_or_else(peer::default_python),
    });
    let mut report = Report {
        seed: args.seed,
        dir: args.dir.as_ref().map(|d| d.display().to_string()),
        corpus_seconds: None,
        index: None,
        queries: None,
        knn: None,
        embed: None,
        notes: Vec::new(),
    };
    if args.no_peers {
        report.notes.push("peers not run: --no-peers".into());
    }
    let skip = |p: Part| args.skip.contains(&p);

    if !skip(Part::Index) {
        let corpus_path = dir.join("bench-corpus.jsonl");
        let started = Instant::now();
        let info = corpus::generate_file(&corpus_path, args.events, args.seed)
            .with_context(|| format!("writing {}", corpus_path.display()))?;
        report.corpus_seconds = Some(started.elapsed().as_secs_f64());
        let (index, built) = text::index(
            &dir.join("bench-text"),
            &corpus_path,
            &info,
            args.heap_mb.saturating_mul(1_000_000),
            args.inline_parse,
            peers.as_ref(),
            &mut report.notes,
        )?;
        if args.dir.is_none() {
            let _ = std::fs::remove_file(&corpus_path);
        }
        report.queries = Some(text::queries(&index, &info, built.peer_json.as_ref())?);
        report.index = Some(built);
    }
    if !skip(Part::Knn) {
        report.knn = Some(knn::run(
            &dir,
            args.vectors,
            args.seed,
            peers.as_ref(),
            args.dir.is_some(),
            &mut report.notes,
        )?);
    }
    if !skip(Part::Embed) {
        report.embed = embed::run(&args.lines, args.embed_batch, &mut report.notes)?;
    }

    if env.json {
        output::json(&report)?;
    } else {
        table::print(&report);
    }
    Ok(ExitCode::SUCCESS)
}
