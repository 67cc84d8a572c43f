//! `tocsin bench ui`: the console's speed on a large store. It fills a throwaway store with
//! synthetic alerts (plain SQL, fast), then drives the real event loop, store workers, shipped
//! keymap and theme on a fixed-size crossterm backend that encodes every frame and discards it:
//! time to first frame, frame build+diff during scripted keys, a pure-draw microbench,
//! keypress-to-paint and keypress-to-settled latency, and the console's memory (measured in a
//! child process, so the fill does not count). It prints each against the target; it
//! never asserts them. This file holds the arguments, the measures and the report.

mod fill;
mod session;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{Env, output};
use crate::store::Store;
use fill::fill;
use session::{
    KeyTiming, Seen, Setup, draw_microbench, first_frame, probe, probe_child, script, scripted_run,
    settle,
};

#[derive(Debug, Args)]
pub struct UiArgs {
    /// Alerts in the store.
    #[arg(long, default_value_t = 1_000_000)]
    pub alerts: u64,
    /// Scripted keypresses of the frame and latency run.
    #[arg(long, default_value_t = 300)]
    pub keys: usize,
    /// Terminal width.
    #[arg(long, default_value_t = 200)]
    pub width: u16,
    /// Terminal height.
    #[arg(long, default_value_t = 60)]
    pub height: u16,
    /// Keep the store in this data dir; a later run that finds alerts there skips the fill.
    #[arg(long, value_name = "DIR")]
    pub reuse: Option<PathBuf>,
    /// Fresh consoles opened to time the first frame.
    #[arg(long, default_value_t = 5)]
    pub first_frame_runs: usize,
    /// Draws of the pure-draw microbench.
    #[arg(long, default_value_t = 1_000)]
    pub draws: usize,
    /// Internal: run the console on DIR's store with the scripted keys and print its memory as
    /// JSON (the parent's child process).
    #[arg(long, hide = true, value_name = "DIR")]
    pub probe_rss: Option<PathBuf>,
}

/// The targets.
const TARGET_FRAME_P99_MS: f64 = 2.0;
const TARGET_KEY_MS: f64 = 16.0;
const TARGET_FIRST_FRAME_MS: f64 = 150.0;
const TARGET_RSS_MB: f64 = 150.0;
/// Kinds of key named under the table as the slowest to settle.
const SLOWEST_KINDS: usize = 3;

/// Percentiles of a set of samples, in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Pcts {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Pcts {
    fn of(samples: &[Duration]) -> Pcts {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        Pcts {
            count: ms.len(),
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Peak and current resident memory, from /proc/self/status (Linux only).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Rss {
    hwm_mb: f64,
    rss_mb: f64,
}

impl Rss {
    fn now() -> Option<Rss> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kb = |key: &str| -> Option<f64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        };
        Some(Rss {
            hwm_mb: kb("VmHWM:")? / 1024.0,
            rss_mb: kb("VmRSS:")? / 1024.0,
        })
    }
}

/// One kind of scripted key (its notation within one step of the script) and its settled
/// latencies.
#[derive(Debug, Clone, Serialize)]
struct SlowKey {
    key: String,
    step: &'static str,
    settled: Pcts,
}

/// The `n` kinds of key with the largest settled maximum, slowest first.
fn slowest_settled(keys: &[KeyTiming], n: usize) -> Vec<SlowKey> {
    let mut by_kind: BTreeMap<(&str, &'static str), Vec<Duration>> = BTreeMap::new();
    for k in keys {
        if let Some(t) = k.settled {
            by_kind.entry((&k.key, k.step)).or_default().push(t);
        }
    }
    let mut kinds: Vec<SlowKey> = by_kind
        .into_iter()
        .map(|((key, step), samples)| SlowKey {
            key: key.to_string(),
            step,
            settled: Pcts::of(&samples),
        })
        .collect();
    kinds.sort_by(|a, b| b.settled.max_ms.total_cmp(&a.settled.max_ms));
    kinds.truncate(n);
    kinds
}

/// One row of the table: a measure beside its target.
#[derive(Debug, Clone, Serialize)]
struct Check {
    metric: String,
    measured: Option<f64>,
    unit: &'static str,
    target: Option<f64>,
    ok: Option<bool>,
}

#[derive(Debug, Serialize)]
struct Report {
    alerts: u64,
    width: u16,
    height: u16,
    /// Seconds the fill took; `None` when a `--reuse` store was found filled.
    fill_seconds: Option<f64>,
    first_frame: Pcts,
    frames: Pcts,
    keys_pressed: usize,
    /// What the scripted keys got to: an alert's detail, a grouped queue, a typed filter.
    script_reached: Seen,
    draw_microbench: Pcts,
    /// From handing a key over to the first frame drawn after it (its effect shown).
    key_to_paint: Pcts,
    /// From handing a key over to the first frame drawn with no store request in flight.
    key_to_settled: Pcts,
    /// The kinds of key (notation and script step) slowest to settle, slowest first.
    slowest_settled: Vec<SlowKey>,
    /// This process, fill included.
    bench_rss: Option<Rss>,
    /// The console alone (a child process on the same store).
    console_rss: Option<Rss>,
    console_rss_error: Option<String>,
    checks: Vec<Check>,
    peer: &'static str,
}

pub fn run(env: &Env, args: UiArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.probe_rss {
        let setup = Setup::new(env, dir.join("tocsin.db"), &args);
        let rss = probe(&setup, args.keys)?;
        println!("{}", serde_json::to_string(&rss)?);
        return Ok(ExitCode::SUCCESS);
    }
    let report = measure(env, &args, true)?;
    if env.json {
        output::json(&report)?;
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Fills (or reuses) the store, then runs every measure. `child_probe`: measure the console's
/// memory in a child process (the real binary; unit tests cannot re-exec themselves).
fn measure(env: &Env, args: &UiArgs, child_probe: bool) -> anyhow::Result<Report> {
    let (_temp, dir) = match &args.reuse {
        Some(dir) => (None, dir.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("tocsin-bench-ui-")
                .tempdir()
                .context("creating the benchmark's temporary data dir")?;
            let dir = t.path().to_path_buf();
            (Some(t), dir)
        }
    };
    let database = dir.join("tocsin.db");
    let busy = Duration::from_millis(env.loaded.config.store.busy_timeout_ms);
    drop(
        Store::open(&database, busy)
            .with_context(|| format!("opening the benchmark store in {}", dir.display()))?,
    );
    let stored: i64 =
        Connection::open(&database)?.query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
    let (alerts, fill_seconds) = if stored > 0 && args.reuse.is_some() {
        eprintln!(
            "tocsin: reusing {stored} alerts in {} (no fill)",
            database.display()
        );
        (stored as u64, None)
    } else {
        anyhow::ensure!(stored == 0, "{} already holds alerts", database.display());
        eprintln!("tocsin: filling {} alerts…", args.alerts);
        let started = Instant::now();
        fill(&database, args.alerts)?;
        let secs = started.elapsed().as_secs_f64();
        eprintln!("tocsin: filled {} alerts in {secs:.1} s", args.alerts);
        (args.alerts, Some(secs))
    };

    let setup = Setup::new(env, database, args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;

    // Time to first frame: fresh keymap, theme, workers and model each time.
    let mut first = Vec::new();
    let mut settled = None;
    for _ in 0..args.first_frame_runs.max(1) {
        let (t, session) = first_frame(&rt, &setup)?;
        first.push(t);
        settled = Some(session);
    }
    let mut session = settled.context("no first-frame run")?;

    // Pure draw: the settled console, the selection alternating between two rows.
    settle(&rt, &mut session, setup.poll)?;
    let draws = draw_microbench(&mut session, args.draws.max(1))?;
    drop(session);

    // Scripted keys: every frame's build+diff and each key's latency to its paint and settled
    // frames.
    let keys = script(args.keys)?;
    let scripted = scripted_run(&rt, &setup, keys)?;
    drop(scripted.session);
    rt.shutdown_timeout(Duration::from_millis(200));

    let bench_rss = Rss::now();
    let (console_rss, console_rss_error) = if child_probe {
        match probe_child(&dir, args) {
            Ok(rss) => (rss, None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        (None, Some("not measured (in-process run)".into()))
    };

    let first_frame = Pcts::of(&first);
    let frames = Pcts::of(&scripted.frames);
    let draw_microbench = Pcts::of(&draws);
    let paints: Vec<Duration> = scripted.keys.iter().filter_map(|k| k.paint).collect();
    let settles: Vec<Duration> = scripted.keys.iter().filter_map(|k| k.settled).collect();
    let key_to_paint = Pcts::of(&paints);
    let key_to_settled = Pcts::of(&settles);
    let slowest_settled = slowest_settled(&scripted.keys, SLOWEST_KINDS);
    let check = |metric: String, measured: Option<f64>, unit, target: Option<f64>| Check {
        ok: target.zip(measured).map(|(t, m)| m <= t),
        metric,
        measured,
        unit,
        target,
    };
    let finite = |v: f64| v.is_finite().then_some(v);
    let n_first = first_frame.count;
    let checks = vec![
        check(
            format!("time to first frame, median of {n_first}"),
            finite(median(&first)),
            "ms",
            Some(TARGET_FIRST_FRAME_MS),
        ),
        check(
            format!("time to first frame, max of {n_first}"),
            finite(first_frame.max_ms),
            "ms",
            Some(TARGET_FIRST_FRAME_MS),
        ),
        check(
            format!("frame build+diff p50 (scripted, {} frames)", frames.count),
            finite(frames.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("frame build+diff p99 (scripted, {} frames)", frames.count),
            finite(frames.p99_ms),
            "ms",
            Some(TARGET_FRAME_P99_MS),
        ),
        check(
            "frame build+diff max (scripted)".into(),
            finite(frames.max_ms),
            "ms",
            None,
        ),
        check(
            format!("pure draw p50 ({} draws)", draw_microbench.count),
            finite(draw_microbench.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("pure draw p99 ({} draws)", draw_microbench.count),
            finite(draw_microbench.p99_ms),
            "ms",
            Some(TARGET_FRAME_P99_MS),
        ),
        check(
            format!("keypress -> paint p50 ({} keys)", key_to_paint.count),
            finite(key_to_paint.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("keypress -> paint p99 ({} keys)", key_to_paint.count),
            finite(key_to_paint.p99_ms),
            "ms",
            Some(TARGET_KEY_MS),
        ),
        check(
            "keypress -> paint max".into(),
            finite(key_to_paint.max_ms),
            "ms",
            None,
        ),
        check(
            format!("keypress -> settled p50 ({} keys)", key_to_settled.count),
            finite(key_to_settled.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("keypress -> settled p99 ({} keys)", key_to_settled.count),
            finite(key_to_settled.p99_ms),
            "ms",
            None,
        ),
        check(
            "keypress -> settled max".into(),
            finite(key_to_settled.max_ms),
            "ms",
            None,
        ),
        check(
            "console RSS peak (VmHWM, child process)".into(),
            console_rss.map(|r| r.hwm_mb),
            "MB",
            Some(TARGET_RSS_MB),
        ),
        check(
            "console RSS at exit (VmRSS, child process)".into(),
            console_rss.map(|r| r.rss_mb),
            "MB",
            None,
        ),
        check(
            "bench process RSS peak (VmHWM, fill included)".into(),
            bench_rss.map(|r| r.hwm_mb),
            "MB",
            None,
        ),
        check(
            "bench process RSS now (VmRSS)".into(),
            bench_rss.map(|r| r.rss_mb),
            "MB",
            None,
        ),
    ];
    Ok(Report {
        alerts,
        width: setup.width,
        height: setup.height,
        fill_seconds,
        first_frame,
        frames,
        keys_pressed: scripted.keys.len(),
        script_reached: scripted.seen,
        draw_microbench,
        key_to_paint,
        key_to_settled,
        slowest_settled,
        bench_rss,
        console_rss,
        console_rss_error,
        checks,
        peer: "none",
    })
}

fn median(samples: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    match ms.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    }
}

fn print_table(r: &Report) {
    println!(
        "tocsin bench ui: {} alerts, {}x{} terminal, {} scripted keys{}",
        r.alerts,
        r.width,
        r.height,
        r.keys_pressed,
        r.fill_seconds.map_or_else(
            || " (store reused)".to_string(),
            |s| format!(", fill {s:.1} s (not a target)")
        )
    );
    println!(
        "{:<50} {:>12} {:>12} {:>5}",
        "metric", "measured", "target", "ok?"
    );
    for c in &r.checks {
        let measured = c
            .measured
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.3} {}", c.unit));
        let target = c
            .target
            .map_or_else(|| "-".to_string(), |t| format!("<= {t:.0} {}", c.unit));
        let ok = match c.ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        println!("{:<50} {:>12} {:>12} {:>5}", c.metric, measured, target, ok);
    }
    if !r.slowest_settled.is_empty() {
        let kinds: Vec<String> = r
            .slowest_settled
            .iter()
            .map(|k| {
                format!(
                    "{} [{}] {:.1} ms max, {:.1} p50, n={}",
                    k.key, k.step, k.settled.max_ms, k.settled.p50_ms, k.settled.count
                )
            })
            .collect();
        println!("slowest to settle: {}", kinds.join("; "));
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "scripted keys reached: alert detail {}, grouped queue {}, sev:high filter {}",
        yes(r.script_reached.detail),
        yes(r.script_reached.grouped),
        yes(r.script_reached.filtered)
    );
    if let Some(e) = &r.console_rss_error {
        println!("console RSS: {e}");
    }
    println!("peer: none (no other program draws this frame; targets are the issue's)");
}
