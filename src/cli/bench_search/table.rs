//! The human form of the `bench search` report: one table per part, peers beside tocsin,
//! each measure against its target, then the notes on what did not run.

use super::{
    Report, TARGET_INDEX_RATIO, TARGET_KNN_P99_MS, TARGET_QUERY_P50_MS, TARGET_QUERY_P99_MS,
    TARGET_RECALL, TARGET_TOKENS_PER_S,
};
use crate::cli::output::cut;

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

/// "ok" or "MISS" when the measure is known.
fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "ok",
        Some(false) => "MISS",
        None => "-",
    }
}

fn row(measure: &str, cells: &[String], target: &str) {
    print!("{measure:<30}");
    for c in cells {
        print!(" {c:>14}");
    }
    println!("  {target}");
}

pub(super) fn print(r: &Report) {
    if let Some(i) = &r.index {
        println!(
            "full-text index: {} events (seed {}), {:.1} MB of JSON lines; tocsin heap {} MB, {} \
             writer threads, parsing on {}",
            i.events,
            r.seed,
            i.corpus_mb,
            i.heap_mb,
            i.writer_threads,
            if i.parse == "inline" {
                "the adding thread"
            } else {
                "its own thread"
            }
        );
        row(
            "measure",
            &["tocsin".into(), "tantivy-py".into(), "ratio".into()],
            "target",
        );
        let ratio = i.ratio_docs_per_s;
        row(
            "indexing (docs/s)",
            &[
                format!("{:.0}", i.docs_per_s),
                opt(i.peer_docs_per_s, 0),
                opt(ratio, 2),
            ],
            &format!(
                ">= {TARGET_INDEX_RATIO}x peer  {}",
                verdict(ratio.map(|x| x >= TARGET_INDEX_RATIO))
            ),
        );
        row(
            "indexing (MB/s)",
            &[
                format!("{:.1}", i.mb_per_s),
                opt(i.peer_mb_per_s, 1),
                opt(i.peer_mb_per_s.map(|p| i.mb_per_s / p), 2),
            ],
            "",
        );
        row(
            "seconds (parse+add+commit+merge)",
            &[
                format!("{:.2}", i.seconds),
                opt(i.peer_seconds, 2),
                String::new(),
            ],
            "",
        );
        row(
            "index on disk (MB)",
            &[format!("{:.1}", i.index_mb), "-".into(), String::new()],
            "",
        );
        println!(
            "({} docs in the index, {} segments; {} corpus lines repeat an earlier one and stay \
             distinct events)",
            i.docs_in_index, i.segments, i.duplicate_lines
        );
        println!();
    }
    if let Some(q) = &r.queries {
        println!(
            "query latency on that index: top 10, {} timed runs per query and order (ms)",
            q.runs_per_query
        );
        println!(
            "{:<44} {:<6} {:>8} {:>8} {:>8} {:>8} {:>10}",
            "query", "order", "hits", "p50", "p99", "max", "peer mean"
        );
        for x in &q.rows {
            println!(
                "{:<44} {:<6} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>10}",
                cut(&x.query, 44),
                x.order,
                x.hits,
                x.latency.p50_ms,
                x.latency.p99_ms,
                x.latency.max_ms,
                opt(x.peer_mean_ms, 3)
            );
        }
        let o = q.overall;
        println!(
            "{:<44} {:<6} {:>8} {:>8.3} {:>8.3} {:>8.3}  target p50 <= {TARGET_QUERY_P50_MS} {}, \
             p99 <= {TARGET_QUERY_P99_MS} {}",
            "all queries",
            "",
            o.count,
            o.p50_ms,
            o.p99_ms,
            o.max_ms,
            verdict(Some(o.p50_ms <= TARGET_QUERY_P50_MS)),
            verdict(Some(o.p99_ms <= TARGET_QUERY_P99_MS)),
        );
        println!(
            "(tocsin reads the 10 stored documents; the peer's mean is by score and reads none)"
        );
        println!();
    }
    if let Some(k) = &r.knn {
        println!(
            "kNN: {} x {}-d clustered vectors (seed {}), {} queries one at a time, k=10, M=16 \
             efC=128 efS=64",
            k.vectors, k.dims, r.seed, k.queries
        );
        row(
            "measure",
            &["tocsin".into(), "faiss HNSW".into(), "hnswlib".into()],
            "target",
        );
        let f = k.faiss_hnsw;
        let h = k.hnswlib;
        row(
            "build (vec/s)",
            &[
                format!("{:.0}", k.build_vec_per_s),
                opt(f.and_then(|f| f.build_vec_per_s), 0),
                opt(h.and_then(|h| h.build_vec_per_s), 0),
            ],
            "",
        );
        let faiss_qps = f.and_then(|f| f.qps);
        row(
            "QPS (1 thread)",
            &[
                format!("{:.0}", k.qps),
                opt(faiss_qps, 0),
                opt(h.and_then(|h| h.qps), 0),
            ],
            &format!(">= faiss  {}", verdict(faiss_qps.map(|p| k.qps >= p))),
        );
        row(
            &format!("recall@10 ({} queries)", k.truth_queries),
            &[
                format!("{:.4}", k.recall_at_10),
                opt(f.and_then(|f| f.recall_at_10), 4),
                opt(h.and_then(|h| h.recall_at_10), 4),
            ],
            &format!(
                ">= {TARGET_RECALL}  {}",
                verdict(Some(k.recall_at_10 >= TARGET_RECALL))
            ),
        );
        row(
            "  against f32 brute force",
            &[
                format!("{:.4}", k.recall_at_10_f32_truth),
                String::new(),
                String::new(),
            ],
            "",
        );
        row(
            "latency p50 (ms)",
            &[format!("{:.3}", k.latency.p50_ms), "-".into(), "-".into()],
            "",
        );
        row(
            "latency p99 (ms)",
            &[format!("{:.3}", k.latency.p99_ms), "-".into(), "-".into()],
            &format!(
                "<= {TARGET_KNN_P99_MS}  {}",
                verdict(Some(k.latency.p99_ms <= TARGET_KNN_P99_MS))
            ),
        );
        println!(
            "(tocsin recall is against usearch's exact search over its f16 vectors, {:.1} ms per \
             query; the peers' against faiss IndexFlatIP in f32, over their 1000 queries)",
            k.exact_ms_per_query
        );
        println!();
    }
    if let Some(e) = &r.embed {
        println!(
            "embedding: {}{}, {} lines of {}, {} lines per call, {} cores",
            e.embedder,
            if e.semantic {
                ""
            } else {
                " [FALLBACK, not the model]"
            },
            e.lines,
            e.files.join(", "),
            e.batch,
            e.threads
        );
        row("measure", &["tocsin".into()], "target");
        row(
            "real tokens/s",
            &[format!("{:.0}", e.tokens_per_s)],
            &format!(
                ">= {TARGET_TOKENS_PER_S} on 2 cores  {}",
                verdict(e.semantic.then_some(e.tokens_per_s >= TARGET_TOKENS_PER_S))
            ),
        );
        row("lines/s", &[format!("{:.0}", e.lines_per_s)], "");
        row(
            "seconds",
            &[format!("{:.2}", e.seconds)],
            &format!("({} tokens)", e.tokens),
        );
        if let Some(why) = &e.fallback_reason {
            println!("(model not loaded: {why})");
        }
        println!();
    }
    for n in &r.notes {
        println!("note: {n}");
    }
}
