//! `tocsin bench ingest`: the stream pipeline end to end against a Redis (events/s from a
//! backlog, XADD -> stored latency at a steady rate), printed next to `redis-benchmark`'s
//! XADD and XREADGROUP COUNT 100 rates on the same Redis in the same run. It writes only to
//! `tocsin:bench:<pid>:*` keys (deleted afterwards) and a throwaway data dir.

use std::collections::HashMap;
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Env, output};
use crate::daemon::{Observer, Pipeline, Settings, conn};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Stream intake: events/s end to end and XADD -> stored latency, beside redis-benchmark.
    Ingest(IngestBench),
    /// The console with a large store: first frame, frame build+diff, keypress latency, memory.
    Ui(super::bench_ui::UiArgs),
    /// Search: full-text indexing and queries, kNN and embedding, beside tantivy-py and faiss.
    Search(super::bench_search::SearchBench),
}

#[derive(Debug, Args)]
pub struct IngestBench {
    /// Events in the backlog for the throughput run.
    #[arg(long, default_value_t = 200_000)]
    pub events: u64,
    /// Rate (events/s) of the latency run.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Length of the latency run, in seconds.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Skip redis-benchmark even if it is installed.
    #[arg(long)]
    pub no_peer: bool,
}

const PAYLOAD: &str = r#"{"timestamp":"2026-11-22T10:00:00Z","host":"web07","message":"Failed password for invalid user oracle from 192.168.4.7 port 52311 ssh2"}"#;

#[derive(Debug, Serialize, Default)]
struct Report {
    events: u64,
    count: usize,
    peer_xadd_pipelined_per_s: Option<f64>,
    peer_xreadgroup_count100_entries_per_s: Option<f64>,
    tocsin_events_per_s: f64,
    ratio_to_peer_xreadgroup: Option<f64>,
    latency_rate_per_s: u64,
    latency_samples: usize,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    latency_max_ms: f64,
}

pub fn run(env: &Env, cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    let args = match cmd {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Ui(args) => return super::bench_ui::run(env, args),
        BenchCommand::Search(args) => return super::bench_search::run(env, args),
    };
    let url = env.loaded.config.redis.url.clone();
    anyhow::ensure!(
        !url.trim().is_empty(),
        "bench ingest needs a Redis: --redis-url URL (a scratch one: it writes tocsin:bench:* keys)"
    );
    let prefix = format!("tocsin:bench:{}", std::process::id());
    let mut report = Report {
        events: args.events,
        count: env.loaded.config.redis.count,
        latency_rate_per_s: args.rate,
        ..Default::default()
    };
    if !args.no_peer {
        match peer(&url, &format!("{prefix}:peer"), args.events) {
            Ok((xadd, xrg)) => {
                report.peer_xadd_pipelined_per_s = Some(xadd);
                report.peer_xreadgroup_count100_entries_per_s = Some(xrg);
            }
            Err(e) => eprintln!("tocsin: redis-benchmark not run: {e:#}"),
        }
    }
    let dir = std::env::temp_dir().join(format!("tocsin-bench-{}", std::process::id()));
    let result = ours(env, &args, &url, &prefix, &dir, &mut report);
    let _ = std::fs::remove_dir_all(&dir);
    if let Ok(client) = conn::client(&url)
        && let Ok(mut c) = conn::sync(&client, Duration::from_secs(5))
    {
        for suffix in ["tp", "lat", "peer"] {
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(format!("{prefix}:{suffix}"))
                .query(&mut c);
        }
    }
    result?;
    report.ratio_to_peer_xreadgroup = report
        .peer_xreadgroup_count100_entries_per_s
        .map(|p| report.tocsin_events_per_s / p);
    if env.json {
        output::json(&report)?;
    } else {
        let opt = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.0}"));
        println!("{:<52} {:>14}", "measure (same Redis, same run)", "value");
        println!(
            "{:<52} {:>14}",
            "redis-benchmark XADD, pipelined (entries/s)",
            opt(report.peer_xadd_pipelined_per_s)
        );
        println!(
            "{:<52} {:>14}",
            "redis-benchmark XREADGROUP COUNT 100 (entries/s)",
            opt(report.peer_xreadgroup_count100_entries_per_s)
        );
        println!(
            "{:<52} {:>14.0}",
            format!(
                "tocsin backlog -> stored+acked, COUNT {} (events/s)",
                report.count
            ),
            report.tocsin_events_per_s
        );
        println!(
            "{:<52} {:>14}",
            "  ratio to XREADGROUP",
            report
                .ratio_to_peer_xreadgroup
                .map_or_else(|| "-".into(), |r| format!("{r:.3}x"))
        );
        println!(
            "{:<52} {:>14.3}",
            format!("XADD -> stored p50 at {}/s (ms)", args.rate),
            report.latency_p50_ms
        );
        println!(
            "{:<52} {:>14.3}",
            format!("XADD -> stored p99 at {}/s (ms)", args.rate),
            report.latency_p99_ms
        );
        println!(
            "{:<52} {:>14.3}",
            "XADD -> stored max (ms)", report.latency_max_ms
        );
        println!("({} latency samples)", report.latency_samples);
    }
    Ok(ExitCode::SUCCESS)
}

/// Host and port of a `redis://` URL, for redis-benchmark.
fn host_port(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let hostport = rest.split('/').next().unwrap_or("127.0.0.1:6379");
    match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.to_string()),
        None => (hostport.to_string(), "6379".into()),
    }
}

fn rps(out: &[u8]) -> anyhow::Result<f64> {
    let text = String::from_utf8_lossy(out).replace('\r', "\n");
    text.lines()
        .rev()
        .filter_map(|l| l.split_once(" requests per second"))
        .find_map(|(before, _)| before.split_whitespace().next_back()?.parse::<f64>().ok())
        .context("no `requests per second` in redis-benchmark's output")
}

/// redis-benchmark's stream ceiling, as the peer script measures it.
fn peer(url: &str, key: &str, n: u64) -> anyhow::Result<(f64, f64)> {
    let (host, port) = host_port(url);
    let bench = |args: &[&str]| -> anyhow::Result<f64> {
        let out = Command::new("redis-benchmark")
            .args(["-h", &host, "-p", &port, "-q"])
            .args(args)
            .output()
            .context("running redis-benchmark (apt-get install redis-tools)")?;
        anyhow::ensure!(
            out.status.success(),
            "redis-benchmark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        rps(&out.stdout)
    };
    let n_s = n.to_string();
    let xadd = bench(&[
        "-n", &n_s, "-c", "8", "-P", "16", "XADD", key, "*", "data", PAYLOAD,
    ])?;
    let client = conn::client(url)?;
    let mut c = conn::sync(&client, Duration::from_secs(5))?;
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg("g")
        .arg("0")
        .query(&mut c)?;
    let calls = (n / 100).saturating_sub(10).max(1).to_string();
    let xrg = bench(&[
        "-n",
        &calls,
        "-c",
        "1",
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "COUNT",
        "100",
        "STREAMS",
        key,
        ">",
    ])?;
    Ok((xadd, xrg * 100.0))
}

fn ours(
    env: &Env,
    args: &IngestBench,
    url: &str,
    prefix: &str,
    dir: &std::path::Path,
    report: &mut Report,
) -> anyhow::Result<()> {
    let tp_key = format!("{prefix}:tp");
    let lat_key = format!("{prefix}:lat");
    let mut loaded = env.loaded.clone();
    loaded.config.redis.streams = vec![tp_key.clone(), lat_key.clone()];
    loaded.config.redis.retention_days = 0;
    loaded.paths.database = dir.join("tocsin.db");
    loaded.paths.data_dir = dir.to_path_buf();
    let mut settings = Settings::from_config(&loaded)?;
    settings.listen = None;
    settings.ingest.detector = super::sigma::detector_from_config(env)?;
    settings.rescan_interval = Duration::from_secs(3600);

    let client = conn::client(url)?;
    let mut c = conn::sync(&client, Duration::from_secs(30))?;
    let chunk = 1_000u64;
    let mut sent = 0;
    while sent < args.events {
        let mut pipe = redis::pipe();
        for _ in 0..chunk.min(args.events - sent) {
            pipe.cmd("XADD")
                .arg(&tp_key)
                .arg("*")
                .arg("data")
                .arg(PAYLOAD)
                .ignore();
        }
        pipe.query::<()>(&mut c)?;
        sent += chunk.min(args.events - sent);
    }

    let stored = Arc::new(AtomicU64::new(0));
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let observer: Observer = {
        let (stored, sent_at, latencies, tp_key, lat_key) = (
            Arc::clone(&stored),
            Arc::clone(&sent_at),
            Arc::clone(&latencies),
            tp_key.clone(),
            lat_key.clone(),
        );
        Arc::new(move |acks| {
            let now = Instant::now();
            if let Some(ids) = acks.get(&tp_key) {
                stored.fetch_add(ids.len() as u64, Relaxed);
            }
            if let Some(ids) = acks.get(&lat_key)
                && let (Ok(mut sent), Ok(mut lat)) = (sent_at.lock(), latencies.lock())
            {
                for id in ids {
                    if let Some(t) = sent.remove(id) {
                        lat.push(now.duration_since(t).as_secs_f64() * 1e3);
                    }
                }
            }
        })
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let events = args.events;
    let (rate, seconds) = (args.rate.max(1), args.seconds.max(1));
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let started = Instant::now();
        let pipeline = Pipeline::start(settings, shutdown.clone(), Some(observer)).await?;
        let deadline = started + Duration::from_secs(600);
        while stored.load(Relaxed) < events {
            anyhow::ensure!(
                Instant::now() < deadline,
                "backlog not stored within 10 minutes"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        report.tocsin_events_per_s = events as f64 / started.elapsed().as_secs_f64();

        let mut producer = conn::blocking(&client).await?;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let per_tick = rate as f64 / 1000.0;
        let mut due = 0.0f64;
        let end = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < end {
            tick.tick().await;
            due += per_tick;
            while due >= 1.0 {
                due -= 1.0;
                let at = Instant::now();
                let id: String = redis::cmd("XADD")
                    .arg(&lat_key)
                    .arg("*")
                    .arg("data")
                    .arg(PAYLOAD)
                    .query_async(&mut producer)
                    .await?;
                if let Ok(mut s) = sent_at.lock() {
                    s.insert(id, at);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        pipeline.stop();
        pipeline.wait().await?;
        Ok::<_, anyhow::Error>(())
    })?;
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(f64::NAN)
    };
    report.latency_samples = lat.len();
    report.latency_p50_ms = pct(0.50);
    report.latency_p99_ms = pct(0.99);
    report.latency_max_ms = lat.last().copied().unwrap_or(f64::NAN);
    Ok(())
}
