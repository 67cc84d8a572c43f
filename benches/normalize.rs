//! Normaliser throughput per format, next to a plain `serde_json::from_str::<Value>` of the
//! same bytes (the floor any JSON normaliser pays), on real data from tests/fixtures and the
//! bundled demo. Run: `cargo bench --bench normalize`. Prints criterion's figures, then a table.

use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use jiff::{Timestamp, tz::TimeZone};
use tocsin::normalize::{Context, Decoder, FieldMap, Format};

/// The allocator the `tocsin` binary uses, so the figures are the shipped ones.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Corpus {
    name: &'static str,
    format: Option<Format>,
    lines: Vec<String>,
    json: bool,
}

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if rel.ends_with(".gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .expect("gzip");
        s
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Pretty-printed concatenated JSON documents, compacted to one per line.
fn documents(rel_dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel_dir);
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        if entry.path().extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for v in serde_json::Deserializer::from_str(&text)
                .into_iter::<serde_json::Value>()
                .flatten()
            {
                out.push(v.to_string());
            }
        }
    }
    out
}

fn corpora() -> Vec<Corpus> {
    let mut out = vec![
        Corpus {
            name: "syslog (sshd)",
            format: None,
            lines: lines(&read("tests/fixtures/loghub/OpenSSH_2k.log")),
            json: false,
        },
        Corpus {
            name: "syslog (linux)",
            format: None,
            lines: lines(&read("tests/fixtures/loghub/Linux_2k.log")),
            json: false,
        },
        Corpus {
            name: "suricata eve",
            format: None,
            lines: lines(&read("tests/fixtures/suricata/eve.json")),
            json: true,
        },
        Corpus {
            name: "zeek json (dns)",
            format: None,
            lines: lines(&read("tests/fixtures/zeek/dns-head.json.gz")),
            json: true,
        },
        Corpus {
            name: "zeek tsv (dns)",
            format: Some(Format::ZeekTsv),
            lines: lines(&read("tests/fixtures/zeek/dns-head.log.gz")),
            json: false,
        },
        Corpus {
            name: "windows evtx-json",
            format: None,
            lines: documents("tests/fixtures/sigma-regression"),
            json: true,
        },
    ];
    let demo_wazuh = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/wazuh-alerts.json");
    if demo_wazuh.exists() {
        out.push(Corpus {
            name: "wazuh alerts",
            format: None,
            lines: lines(&read("data/demo/wazuh-alerts.json")),
            json: true,
        });
    }
    out
}

fn normalize_all(c: &Corpus, tz: &TimeZone, map: &FieldMap, now: Timestamp) -> usize {
    let mut decoder = Decoder::new(c.format);
    let mut events = 0;
    for line in &c.lines {
        let ctx = Context {
            id: "0123456789abcdef0123456789abcdef",
            source: "bench",
            ingested_at: now,
            reference_time: now,
            year: None,
            timezone: tz,
            field_map: map,
        };
        if let Ok(tocsin::normalize::Parsed::Record(r)) = decoder.decode_line(line, &ctx) {
            events += r.events.len();
            black_box(r);
        }
    }
    events
}

fn serde_floor(c: &Corpus) -> usize {
    c.lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .fold(0, |n, v| {
            black_box(v);
            n + 1
        })
}

/// Median seconds per pass over `runs` timed passes (after one warm-up pass).
fn median_secs(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn main() {
    let tz = TimeZone::UTC;
    let map = FieldMap::default();
    let now = Timestamp::now();
    let corpora = corpora();
    let mut criterion = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    for c in &corpora {
        let bytes: usize = c.lines.iter().map(|l| l.len() + 1).sum();
        let mut group = criterion.benchmark_group(c.name);
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function("tocsin", |b| b.iter(|| normalize_all(c, &tz, &map, now)));
        if c.json {
            group.bench_function("serde_json Value", |b| b.iter(|| serde_floor(c)));
        }
        group.finish();
    }
    criterion.final_summary();

    // One table, measured again in this run so both columns share the machine's state.
    println!(
        "\n{:<20} {:>7} {:>9} {:>12} {:>10} {:>12} {:>8}",
        "format", "lines", "MB", "tocsin MB/s", "lines/s", "serde MB/s", "ratio"
    );
    for c in &corpora {
        let bytes: usize = c.lines.iter().map(|l| l.len() + 1).sum();
        let mb = bytes as f64 / 1e6;
        let ours = median_secs(15, || {
            black_box(normalize_all(c, &tz, &map, now));
        });
        let (serde_col, ratio_col) = if c.json {
            let floor = median_secs(15, || {
                black_box(serde_floor(c));
            });
            (
                format!("{:.1}", mb / floor),
                format!("{:.2}x", ours / floor),
            )
        } else {
            ("-".into(), "-".into())
        };
        println!(
            "{:<20} {:>7} {:>9.2} {:>12.1} {:>10.0} {:>12} {:>8}",
            c.name,
            c.lines.len(),
            mb,
            mb / ours,
            c.lines.len() as f64 / ours,
            serde_col,
            ratio_col
        );
    }
    println!(
        "ratio = tocsin time / serde_json Value parse time for the same lines (goal <= 1.5x); syslog goal >= 1,000,000 lines/s on one core"
    );
}
