//! The full-text half of `bench search`: index the corpus file (parse, add, commit, wait for
//! merges) beside the tantivy Python package indexing the same file, then time a fixed mix of
//! queries in tocsin's language on the index just built.

use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use jiff::Timestamp;
use serde::Serialize;

use super::Pcts;
use super::corpus::{CorpusInfo, EventReader};
use super::peer::{Peers, num};
use crate::domain::Event;
use crate::index::{Order, TextIndex, TextWriter};

/// Events per batch handed from the parsing thread to the adding one.
const BATCH: usize = 1024;
/// Timed runs of each query (and order), after [`WARMUP`] untimed ones.
pub const RUNS: usize = 200;
const WARMUP: usize = 20;
/// tantivy's smallest heap per indexing thread (`MEMORY_BUDGET_NUM_BYTES_MIN`).
const MIN_HEAP_PER_THREAD: usize = 15_000_000;

/// The indexing run, ours beside the peer's.
#[derive(Debug, Serialize)]
pub struct IndexReport {
    pub events: u64,
    pub corpus_mb: f64,
    pub heap_mb: usize,
    /// Indexing threads tantivy starts for that heap on this machine.
    pub writer_threads: usize,
    /// Whether lines were parsed on a thread of their own or by the thread adding them.
    pub parse: &'static str,
    pub seconds: f64,
    pub docs_per_s: f64,
    pub mb_per_s: f64,
    pub docs_in_index: u64,
    /// Corpus lines identical to an earlier line (kept as distinct events).
    pub duplicate_lines: u64,
    pub segments: usize,
    pub index_mb: f64,
    pub peer_docs_per_s: Option<f64>,
    pub peer_mb_per_s: Option<f64>,
    pub peer_seconds: Option<f64>,
    pub ratio_docs_per_s: Option<f64>,
    #[serde(skip)]
    pub peer_json: Option<serde_json::Value>,
}

/// One query and order.
#[derive(Debug, Serialize)]
pub struct QueryRow {
    pub query: String,
    pub order: &'static str,
    pub hits: usize,
    pub latency: Pcts,
    /// The peer's mean top-10 time for the same query (by score, no stored documents read).
    pub peer_mean_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct QueryReport {
    pub runs_per_query: usize,
    pub rows: Vec<QueryRow>,
    pub overall: Pcts,
}

/// Indexing threads of `Index::writer(heap)`: one per core up to 8, fewer when each would
/// get less than 15 MB.
pub fn writer_threads(heap: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(8);
    if heap / threads < MIN_HEAP_PER_THREAD {
        (heap / MIN_HEAP_PER_THREAD).max(1)
    } else {
        threads
    }
}

/// Indexes `corpus_path` into `dir` (a fresh index) and runs the peer on the same file first.
pub fn index(
    dir: &Path,
    corpus_path: &Path,
    info: &CorpusInfo,
    heap: usize,
    inline: bool,
    peers: Option<&Peers>,
    notes: &mut Vec<String>,
) -> anyhow::Result<(TextIndex, IndexReport)> {
    let peer = peers.map(|p| p.run("tantivy_py.py", corpus_path));
    let peer = match peer {
        Some(Ok(v)) => Some(v),
        Some(Err(why)) => {
            notes.push(format!("tantivy-py peer not run: {why}"));
            None
        }
        None => None,
    };

    let text = std::fs::read_to_string(corpus_path)
        .with_context(|| format!("reading {}", corpus_path.display()))?;
    let index = TextIndex::recreate(dir)?;
    let writer = index.writer(heap)?;
    let started = Instant::now();
    let duplicates = if inline {
        add_inline(writer, &text)?
    } else {
        add_pipelined(writer, &text)?
    };
    let seconds = started.elapsed().as_secs_f64();
    drop(text);
    index.reload()?;

    let mb = info.bytes as f64 / 1e6;
    let peer_docs_per_s = peer.as_ref().and_then(|p| num(p, &["docs_per_s"]));
    let docs_per_s = info.lines as f64 / seconds;
    let report = IndexReport {
        events: info.lines,
        corpus_mb: mb,
        heap_mb: heap / 1_000_000,
        writer_threads: writer_threads(heap),
        parse: if inline { "inline" } else { "own thread" },
        seconds,
        docs_per_s,
        mb_per_s: mb / seconds,
        docs_in_index: index.num_docs(),
        duplicate_lines: duplicates,
        segments: index.index().searchable_segment_ids()?.len(),
        index_mb: dir_bytes(dir) as f64 / 1e6,
        peer_docs_per_s,
        peer_mb_per_s: peer.as_ref().and_then(|p| num(p, &["mb_per_s"])),
        peer_seconds: peer.as_ref().and_then(|p| num(p, &["seconds"])),
        ratio_docs_per_s: peer_docs_per_s.map(|p| docs_per_s / p),
        peer_json: peer,
    };
    Ok((index, report))
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|l| !l.is_empty())
}

/// Parses and adds on this thread; tantivy indexes on its own.
fn add_inline(mut writer: TextWriter, text: &str) -> anyhow::Result<u64> {
    let mut reader = EventReader::new();
    for line in lines(text) {
        writer.add(&reader.event(line)?)?;
    }
    writer.finish()?;
    Ok(reader.duplicates)
}

/// Parses on a thread of its own, handing batches of events to this one to add.
fn add_pipelined(mut writer: TextWriter, text: &str) -> anyhow::Result<u64> {
    let (tx, rx) = sync_channel::<Vec<Event>>(8);
    let duplicates = std::thread::scope(|s| {
        let parser = s.spawn(move || -> anyhow::Result<u64> {
            let mut reader = EventReader::new();
            let mut batch = Vec::with_capacity(BATCH);
            for line in lines(text) {
                batch.push(reader.event(line)?);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(full).is_err() {
                        // The adding side failed; it reports why.
                        return Ok(reader.duplicates);
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.send(batch);
            }
            Ok(reader.duplicates)
        });
        let added = rx.iter().try_for_each(|batch| writer.add_all(&batch));
        drop(rx);
        let parsed = parser
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the parsing thread panicked")));
        added?;
        parsed
    })?;
    writer.finish()?;
    Ok(duplicates)
}

/// Bytes of the files under `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// The query mix, with the peer's name for the same query where it runs one.
pub fn query_mix(info: &CorpusInfo) -> anyhow::Result<Vec<(String, Option<&'static str>)>> {
    let span = (info.last_ts - info.first_ts).max(10);
    let from = Timestamp::from_second(info.first_ts + span * 45 / 100)?;
    let to = Timestamp::from_second(info.first_ts + span * 55 / 100)?;
    Ok(vec![
        ("oracle".into(), Some("message:oracle")),
        (
            "\"invalid user oracle\"".into(),
            Some("message:\"invalid user oracle\""),
        ),
        (
            "failed AND host:web07".into(),
            Some("message:failed AND host:web07"),
        ),
        (format!("user:admin from:{from} to:{to}"), None),
        ("dataset:sudo".into(), None),
        ("process:cron AND host:web13".into(), None),
        ("preauth OR apparmor".into(), None),
    ])
}

/// Times every query of the mix, newest first and by score, on `index`.
pub fn queries(
    index: &TextIndex,
    info: &CorpusInfo,
    peer: Option<&serde_json::Value>,
) -> anyhow::Result<QueryReport> {
    let mut rows = Vec::new();
    let mut all = Vec::new();
    for (query, peer_name) in query_mix(info)? {
        let hits = index.count(&query)?;
        for (order, name) in [(Order::Newest, "newest"), (Order::Score, "score")] {
            for _ in 0..WARMUP {
                index.search(&query, 10, order)?;
            }
            let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                let started = Instant::now();
                let found = index.search(&query, 10, order)?;
                samples.push(started.elapsed());
                std::hint::black_box(found);
            }
            all.extend_from_slice(&samples);
            rows.push(QueryRow {
                query: query.clone(),
                order: name,
                hits,
                latency: Pcts::of(&samples),
                peer_mean_ms: match (order, peer, peer_name) {
                    (Order::Score, Some(p), Some(n)) => num(p, &["top10_query_ms", n]),
                    _ => None,
                },
            });
        }
    }
    Ok(QueryReport {
        runs_per_query: RUNS,
        rows,
        overall: Pcts::of(&all),
    })
}
