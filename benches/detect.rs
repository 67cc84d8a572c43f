//! Detection benchmark: events per second for the full SigmaHQ `rules/` set on a fixed mix of
//! real Windows/Sysmon and Linux events, as tocsin ingest with and without detection, detection
//! alone, and the `rsigma` command line evaluating the same rules on the same events.
//!
//! `cargo bench --bench detect`. The rule set and events come from ../shared/data (skipped when
//! absent); `RSIGMA=/path/to/rsigma` (default: `~/.cache/tocsin-peers/cargo/bin/rsigma`) adds the
//! rsigma row. Prints a table; no assertions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rsigma_eval::Event as _;
use tocsin::detect::events::read_events;
use tocsin::detect::mapping::SigmaView;
use tocsin::detect::{Detector, Settings};
use tocsin::ingest::{Options, Silent, ingest_paths};
use tocsin::store::Store;

/// The allocator the `tocsin` binary uses, so the figures are the shipped ones.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn options() -> Options {
    Options {
        format: None,
        source: None,
        year: Some(2017),
        timezone: jiff::tz::TimeZone::UTC,
        field_map: Default::default(),
        batch_size: 2_000,
        dedup_window: jiff::SignedDuration::from_hours(1),
        actor: "bench".into(),
        detector: None,
        index: None,
        vectors: None,
    }
}

/// Best of `runs` wall times of `f`.
fn best(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn ingest_once(inputs: &[PathBuf], opts: &Options) -> u64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store =
        Store::open(&dir.path().join("db.sqlite"), Duration::from_secs(10)).expect("store");
    ingest_paths(&mut store, inputs, opts, &Silent)
        .expect("ingest")
        .events
}

fn main() {
    let shared = Path::new(SHARED);
    if !shared.exists() {
        println!("skipped: ../shared/data absent");
        return;
    }
    let rules = shared.join("sigma/rules");
    let inputs = [
        shared.join("sigma/regression_data"),
        shared.join("loghub/OpenSSH/OpenSSH_2k.log"),
        shared.join("loghub/Linux/Linux_2k.log"),
    ];
    // Only the .json renderings of the regression events (the .evtx beside them are the same).
    let tmp = tempfile::tempdir().expect("tempdir");
    let mix: Vec<PathBuf> = {
        let win = tmp.path().join("windows.jsonl");
        let mut out = std::fs::File::create(&win).expect("mix");
        let (events, _) = read_events(&inputs[..1], &options()).expect("read");
        for l in events.iter().filter(|l| l.input.ends_with(".json")) {
            writeln!(out, "{}", l.event.raw.replace('\n', " ")).expect("write");
        }
        vec![win, inputs[1].clone(), inputs[2].clone()]
    };

    let load = Instant::now();
    let detector = Detector::load(&Settings {
        rules: vec![rules.clone()],
        builtin_rules: true,
        mapping: PathBuf::new(),
    })
    .expect("rules");
    let load_time = load.elapsed();
    let (events, _) = read_events(&mix, &options()).expect("events");
    let n = events.len() as f64;
    let windows = events
        .iter()
        .filter(|l| l.event.dataset.starts_with("sysmon") || l.event.dataset.starts_with("windows"))
        .count();

    let normalise = best(5, || {
        read_events(&mix, &options()).expect("events");
    });
    let ingest_plain = best(3, || {
        ingest_once(&mix, &options());
    });
    let mut with = options();
    with.detector = Some(std::sync::Arc::new(detector));
    let ingest_detect = best(3, || {
        ingest_once(&mix, &with);
    });
    let Some(detector) = with.detector.as_ref() else {
        return;
    };
    let mut matches = 0usize;
    let detect_only = best(5, || {
        matches = events
            .iter()
            .map(|l| detector.evaluate(&l.event).len())
            .sum();
    });

    let is_windows = |l: &&tocsin::detect::events::Located| {
        l.event.dataset.starts_with("sysmon") || l.event.dataset.starts_with("windows")
    };
    let win_only = best(5, || {
        for l in events.iter().filter(is_windows) {
            detector.evaluate(&l.event);
        }
    });
    let linux_only = best(5, || {
        for l in events.iter().filter(|l| !is_windows(l)) {
            detector.evaluate(&l.event);
        }
    });

    // The same events as flat JSON lines for rsigma (EventData names, message, dataset).
    let ndjson = tmp.path().join("events.jsonl");
    {
        let mut f = std::fs::File::create(&ndjson).expect("ndjson");
        for l in &events {
            writeln!(f, "{}", SigmaView::new(&l.event, None).to_json()).expect("write");
        }
    }
    let rsigma = std::env::var_os("RSIGMA").map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(".cache/tocsin-peers/cargo/bin/rsigma"))
    });
    let rsigma_time = rsigma.filter(|p| p.exists()).map(|bin| {
        let run = |input: &Path| {
            best(3, || {
                let status = Command::new(&bin)
                    .args(["engine", "eval", "-r"])
                    .arg(&rules)
                    .stdin(std::fs::File::open(input).expect("events"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .expect("rsigma");
                let _ = status;
            })
        };
        let empty = tmp.path().join("empty.jsonl");
        std::fs::write(&empty, "").expect("empty");
        let total = run(&ndjson);
        let load = run(&empty);
        (total, load)
    });

    let rate = |d: Duration| n / d.as_secs_f64();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
    println!(
        "\n{} events ({} Windows/Sysmon, {} Linux syslog), {} rules loaded in {:.2?}, {} matches\n",
        events.len(),
        windows,
        events.len() - windows,
        detector.report.rules,
        load_time,
        matches
    );
    println!("{:<42} {:>12} {:>10}", "what", "events/s", "us/event");
    let row = |what: &str, d: Duration| println!("{:<42} {:>12.0} {:>10.2}", what, rate(d), us(d));
    row("tocsin normalise only", normalise);
    row("tocsin ingest (normalise + store)", ingest_plain);
    row("tocsin ingest + detect", ingest_detect);
    row("tocsin detect only (normalised events)", detect_only);
    let per = |what: &str, d: Duration, k: usize| {
        println!(
            "{:<42} {:>12.0} {:>10.2}",
            what,
            k as f64 / d.as_secs_f64(),
            d.as_secs_f64() * 1e6 / k as f64
        )
    };
    per("  of which Windows/Sysmon events", win_only, windows);
    per(
        "  of which Linux syslog events",
        linux_only,
        events.len() - windows,
    );
    if let Some((total, load)) = rsigma_time {
        row("rsigma engine eval (incl. rule load)", total);
        row(
            "rsigma engine eval (minus rule load)",
            total.saturating_sub(load),
        );
    } else {
        println!("rsigma: not installed (set RSIGMA=/path/to/rsigma)");
    }
    let overhead = ingest_detect.as_secs_f64() / ingest_plain.as_secs_f64() - 1.0;
    println!(
        "\ndetection adds {:.1}% to ingest per event",
        overhead * 100.0
    );
}
