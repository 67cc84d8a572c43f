//! The kNN half of `bench search`: seeded clustered 384-d vectors into tocsin's HNSW index
//! (build rate, one-at-a-time query latency, QPS, recall@10) beside faiss HNSWFlat and hnswlib
//! on the same vectors (written as `.npy`), with the same M, efConstruction and efSearch.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

use super::Pcts;
use super::peer::{Peers, num};
use crate::index::vector::{self, Neighbour, VectorIndex};

/// Width of the vectors (MiniLM's).
pub const DIMS: usize = 384;
/// Queries: the last rows of the generated set, as `ann.py` takes them.
pub const QUERIES: usize = 1000;
/// Queries whose true neighbours are found, by usearch's exact search (over the stored f16
/// vectors) and by brute force in f32 over the generated ones: both cost n x dims per query.
const TRUTH_QUERIES: usize = 100;
const K: usize = 10;
const WARMUP: usize = 100;

/// One ANN library's figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AnnFigures {
    pub build_vec_per_s: Option<f64>,
    pub qps: Option<f64>,
    pub recall_at_10: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct KnnReport {
    pub vectors: usize,
    pub dims: usize,
    pub queries: usize,
    pub build_seconds: f64,
    pub build_vec_per_s: f64,
    pub latency: Pcts,
    pub qps: f64,
    /// Against usearch's own exact search over the stored (f16) vectors, on the first
    /// `truth_queries` queries.
    pub recall_at_10: f64,
    /// Against f32 brute force over the generated vectors, on the same queries.
    pub recall_at_10_f32_truth: f64,
    pub truth_queries: usize,
    pub exact_ms_per_query: f64,
    pub faiss_hnsw: Option<AnnFigures>,
    pub hnswlib: Option<AnnFigures>,
}

fn figures(peer: &serde_json::Value, name: &str) -> Option<AnnFigures> {
    peer.get(name)?;
    Some(AnnFigures {
        build_vec_per_s: num(peer, &[name, "build_vec_per_s"]),
        qps: num(peer, &[name, "qps"]),
        recall_at_10: num(peer, &[name, "recall_at_10"]),
    })
}

/// Builds and queries `n` vectors (plus [`QUERIES`] query rows) in `dir`, saving the index
/// there when `keep`.
pub fn run(
    dir: &Path,
    n: usize,
    seed: u64,
    peers: Option<&Peers>,
    keep: bool,
    notes: &mut Vec<String>,
) -> anyhow::Result<KnnReport> {
    anyhow::ensure!(n > 0, "--vectors must be at least 1");
    let mut all = vector::clustered_vectors(n + QUERIES, DIMS, seed);
    let (mut faiss_hnsw, mut hnswlib) = (None, None);
    if let Some(peers) = peers
        && let Err(why) = peers.ready("ann.py")
    {
        notes.push(format!("faiss/hnswlib peer not run: {why}"));
    } else if let Some(peers) = peers {
        let npy = dir.join("bench-vectors.npy");
        vector::write_npy(&npy, &all).with_context(|| format!("writing {}", npy.display()))?;
        match peers.run("ann.py", &npy) {
            Ok(v) => {
                faiss_hnsw = figures(&v, "faiss_hnsw");
                hnswlib = figures(&v, "hnswlib");
            }
            Err(why) => notes.push(format!("faiss/hnswlib peer not run: {why}")),
        }
        let _ = std::fs::remove_file(&npy);
    }
    let queries = all.split_off(n);
    let items: Vec<(u64, Vec<f32>)> = (0u64..).zip(all).collect();

    let path = dir.join("bench-vectors.usearch");
    for p in [path.clone(), path.with_extension("meta.json")] {
        let _ = std::fs::remove_file(p);
    }
    let mut index = VectorIndex::open(&path, DIMS, "bench")?;
    let started = Instant::now();
    index.add_batch(&items)?;
    let build_seconds = started.elapsed().as_secs_f64();

    for q in queries.iter().cycle().take(WARMUP) {
        index.search(q, K)?;
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(queries.len());
    let mut approx = Vec::with_capacity(queries.len());
    for q in &queries {
        let started = Instant::now();
        let found = index.search(q, K)?;
        samples.push(started.elapsed());
        approx.push(found);
    }
    let total: f64 = samples.iter().map(Duration::as_secs_f64).sum();

    let truth_n = TRUTH_QUERIES.min(queries.len());
    let started = Instant::now();
    let exact = queries[..truth_n]
        .iter()
        .map(|q| index.exact_search(q, K))
        .collect::<Result<Vec<_>, _>>()?;
    let exact_ms = started.elapsed().as_secs_f64() * 1e3 / truth_n as f64;
    let truth = brute_force(&items, &queries[..truth_n], K)?;
    if keep {
        index.save()?;
    }

    Ok(KnnReport {
        vectors: n,
        dims: DIMS,
        queries: queries.len(),
        build_seconds,
        build_vec_per_s: n as f64 / build_seconds,
        latency: Pcts::of(&samples),
        qps: queries.len() as f64 / total,
        recall_at_10: vector::recall_at_k(&approx[..truth_n], &exact, K),
        recall_at_10_f32_truth: vector::recall_at_k(&approx[..truth_n], &truth, K),
        truth_queries: truth_n,
        exact_ms_per_query: exact_ms,
        faiss_hnsw,
        hnswlib,
    })
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// The true `k` nearest (cosine; the vectors are unit length) of each query, on all cores.
pub fn brute_force(
    items: &[(u64, Vec<f32>)],
    queries: &[Vec<f32>],
    k: usize,
) -> anyhow::Result<Vec<Vec<Neighbour>>> {
    let one = |q: &Vec<f32>| {
        let mut best: Vec<Neighbour> = Vec::with_capacity(k + 1);
        for (key, v) in items {
            let distance = 1.0 - dot(q, v);
            if best.len() < k || best.last().is_some_and(|w| distance < w.distance) {
                let at = best.partition_point(|n| n.distance <= distance);
                best.insert(
                    at,
                    Neighbour {
                        key: *key,
                        distance,
                    },
                );
                best.truncate(k);
            }
        }
        best
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = queries.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = queries
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(queries.len());
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow::anyhow!("a brute-force thread panicked"))?,
            );
        }
        Ok(out)
    })
}
