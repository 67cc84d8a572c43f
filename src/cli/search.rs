//! `tocsin search QUERY` over the full-text index, and `tocsin index rebuild` to fill the index
//! from the store (for data dirs from before the index, or after a schema change).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Env, output};
use crate::index::hybrid;
use crate::index::semantic::VectorSink;
use crate::index::{Hit, IndexError, Order, TextIndex, TextWriter};

/// Indexing memory of `tocsin ingest` and `tocsin index rebuild`.
const WRITER_HEAP: usize = 64 * 1024 * 1024;
/// How long `tocsin ingest` waits for another process to release the index writer.
const WRITER_WAIT: Duration = Duration::from_secs(30);
/// Events read from the store per step of a rebuild.
const REBUILD_PAGE: usize = 5_000;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query: `"Failed password" user:root last:24h`, `host:web-01 AND NOT dataset:pam`,
    /// `src_ip:10.0.0.5 from:2026-11-01 to:2026-11-02`. Bare words search the message and must
    /// all match unless joined by OR. `~"password spraying"` adds events whose log templates
    /// mean something close (fused with the words' matches); `like:EVENT_ID` finds events like
    /// that one.
    #[arg(value_name = "QUERY", required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// At most this many hits.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Print only how many events match.
    #[arg(long)]
    pub count: bool,
    /// Best matches first instead of newest first.
    #[arg(long)]
    pub by_score: bool,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Re-index every event in the store (replaces the index, whatever its version), and embed
    /// every log template and alert again (replaces the vectors).
    Rebuild,
}

/// Where the index of this data dir lives.
pub fn index_dir(env: &Env) -> PathBuf {
    env.loaded.paths.data_dir.join("index")
}

/// Opens the index writer for ingestion, waiting a while for another process to finish.
pub fn open_writer(env: &Env) -> anyhow::Result<Arc<Mutex<TextWriter>>> {
    let dir = index_dir(env);
    let index = TextIndex::open(&dir)?;
    let started = Instant::now();
    loop {
        match index.writer(WRITER_HEAP) {
            Ok(w) => return Ok(Arc::new(Mutex::new(w))),
            Err(IndexError::Locked(_)) if started.elapsed() < WRITER_WAIT => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e @ IndexError::Locked(_)) => {
                return Err(anyhow::Error::new(e).context(
                    "waited 30 s for the index; ingest with --no-index and run `tocsin index \
                     rebuild` later",
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Opens the vector files for ingestion (None when `[embed] enabled = false`). The caller
/// holds the text index writer, which makes it the data dir's only writer.
pub fn open_vectors(env: &Env) -> anyhow::Result<Option<Arc<Mutex<VectorSink>>>> {
    if !env.loaded.config.embed.enabled {
        return Ok(None);
    }
    let sink = VectorSink::open(&env.loaded.paths.data_dir, super::similar::embedder(env))?;
    Ok(Some(Arc::new(Mutex::new(sink))))
}

#[derive(Serialize)]
struct CountOut {
    count: usize,
}

pub fn run(env: &Env, args: SearchArgs) -> anyhow::Result<ExitCode> {
    let dir = index_dir(env);
    let index = TextIndex::open(&dir)?;
    let query = args.query.join(" ");
    let now = jiff::Timestamp::now();
    let semantic = if crate::index::query::split_time(&query, now)?
        .semantic
        .is_some()
    {
        Some(super::similar::semantic(env)?)
    } else {
        None
    };
    let order = if args.by_score {
        Order::Score
    } else {
        Order::Newest
    };
    let limit = if args.count { 0 } else { args.limit };
    let found = hybrid::search(&index, semantic.as_ref(), &query, limit, order, now)?;
    // On stderr, also with --json: which embedder answered is part of reading the result.
    if let Some(note) = &found.semantic {
        let near: Vec<String> = note
            .templates
            .iter()
            .map(|t| format!("{} {:.2}", t.id, t.similarity))
            .collect();
        eprintln!(
            "semantic side: {}; nearest templates: {}",
            note.embedder,
            near.join(", ")
        );
    }
    if args.count {
        let count = found.count;
        if env.json {
            output::json(&CountOut { count })?;
        } else {
            println!("{count}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let hits = found.hits;
    if env.json {
        output::json(&hits)?;
    } else {
        table(&hits);
    }
    Ok(ExitCode::SUCCESS)
}

fn table(hits: &[Hit]) {
    println!(
        "{:<19} {:<10} {:<16} {:<12} MESSAGE",
        "TIME", "DATASET", "HOST", "USER"
    );
    for h in hits {
        println!(
            "{:<19} {:<10} {:<16} {:<12} {}",
            h.ts.strftime("%Y-%m-%d %H:%M:%S"),
            output::cut(&h.dataset, 10),
            output::cut(h.host.as_deref().unwrap_or("-"), 16),
            output::cut(h.user.as_deref().unwrap_or("-"), 12),
            output::cut(&h.message, 120)
        );
    }
    println!("({} hits)", hits.len());
}

#[derive(Serialize)]
struct RebuildOut {
    indexed: u64,
    templates: usize,
    alerts: usize,
    embedder: Option<String>,
    seconds: f64,
}

pub fn index(env: &Env, cmd: IndexCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IndexCommand::Rebuild => {
            let started = Instant::now();
            let store = env.open_store()?;
            let dir = index_dir(env);
            let index = match TextIndex::open(&dir) {
                Err(IndexError::Version { .. }) => TextIndex::recreate(&dir)?,
                other => other?,
            };
            let mut writer = index.writer(WRITER_HEAP)?;
            writer.clear()?;
            let mut after: Option<String> = None;
            let mut indexed = 0u64;
            loop {
                let page = store
                    .events_page(after.as_deref(), REBUILD_PAGE)
                    .context("reading events from the store")?;
                let Some(last) = page.last() else { break };
                after = Some(last.id.clone());
                writer.add_all(&page)?;
                indexed += page.len() as u64;
            }
            // The vectors start over: every template and alert embedded again.
            let (mut templates, mut alerts, mut embedder) = (0, 0, None);
            if env.loaded.config.embed.enabled {
                let vdir = crate::index::semantic::vectors_dir(&env.loaded.paths.data_dir);
                if vdir.exists() {
                    std::fs::remove_dir_all(&vdir)
                        .with_context(|| format!("removing {}", vdir.display()))?;
                }
                let mut sink =
                    VectorSink::open(&env.loaded.paths.data_dir, super::similar::embedder(env))?;
                embedder = Some(sink.embedder().label());
                let rows = store
                    .template_counts(None)
                    .context("reading templates from the store")?;
                let items: Vec<(String, String, String)> = rows
                    .into_iter()
                    .map(|t| (t.template_id, t.dataset, t.example))
                    .collect();
                for chunk in items.chunks(REBUILD_PAGE) {
                    sink.add_templates(chunk)?;
                }
                let mut after: Option<String> = None;
                loop {
                    let page = store
                        .alerts_page(after.as_deref(), REBUILD_PAGE)
                        .context("reading alerts from the store")?;
                    let Some(last) = page.last() else { break };
                    after = Some(last.id.clone());
                    let refs: Vec<&crate::domain::Alert> = page.iter().collect();
                    sink.add(&[], &refs)?;
                    sink.save_if_due()?;
                }
                sink.save()?;
                (templates, alerts) = sink.counts();
            }
            writer.finish()?;
            let out = RebuildOut {
                indexed,
                templates,
                alerts,
                embedder,
                seconds: started.elapsed().as_secs_f64(),
            };
            if env.json {
                output::json(&out)?;
            } else {
                println!(
                    "indexed {} events, embedded {} templates and {} alerts ({}) in {:.1} s",
                    out.indexed,
                    out.templates,
                    out.alerts,
                    out.embedder.as_deref().unwrap_or("vectors off"),
                    out.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
