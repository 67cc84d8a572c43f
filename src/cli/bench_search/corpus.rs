//! The seeded synthetic security-log corpus of `bench search`: a Rust port of the peers'
//! `gen_corpus.py --format jsonl` (same templates, hosts, users and clock; its own PRNG, so the
//! bytes differ from Python's for a seed but not between runs), and its lines read back as events.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use crate::domain::{Event, content_id};

/// The programs and message templates of gen_corpus.py. `{u}` user, `{a}` `{b}` `{c}` bytes,
/// `{p}` a port.
const TEMPLATES: [(&str, &str); 7] = [
    (
        "sshd",
        "Accepted publickey for {u} from 10.{a}.{b}.{c} port {p} ssh2",
    ),
    (
        "sshd",
        "Failed password for invalid user {u} from 192.168.{a}.{b} port {p} ssh2",
    ),
    (
        "sshd",
        "Connection closed by authenticating user {u} 10.{a}.{b}.{c} port {p} [preauth]",
    ),
    (
        "sudo",
        "pam_unix(sudo:session): session opened for user root by {u}(uid=1000)",
    ),
    (
        "nginx",
        "GET /api/v1/items/{p} HTTP/1.1 200 {c} \"-\" \"curl/8.1\"",
    ),
    (
        "kernel",
        "audit: type=1400 apparmor=\"DENIED\" operation=\"open\" profile=\"/usr/sbin/{u}\"",
    ),
    (
        "cron",
        "({u}) CMD (/usr/local/bin/backup.sh --target 10.{a}.{b}.{c})",
    ),
];

const USERS: [&str; 8] = [
    "alice", "bob", "admin", "oracle", "test", "ubuntu", "git", "www-data",
];
const HOSTS: usize = 40;
/// gen_corpus.py's clock starts here (2025-11-22T08:26:40Z) and steps up to 10 ms per line.
pub const START_TS: f64 = 1_763_800_000.0;

/// splitmix64: tiny, seeded, plenty for test data.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n) (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in [lo, hi], like Python's `randint`.
    pub fn int(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below((hi - lo) as usize + 1) as u32
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusInfo {
    pub lines: u64,
    pub bytes: u64,
    pub first_ts: i64,
    pub last_ts: i64,
}

/// Writes one corpus line (with its newline) for the generator's next event.
fn line(rng: &mut SplitMix, t: &mut f64, out: &mut String) -> i64 {
    *t += rng.unit() * 0.01;
    let (program, template) = TEMPLATES[rng.below(TEMPLATES.len())];
    let user = USERS[rng.below(USERS.len())];
    let (a, b, c, p) = (
        rng.int(0, 255),
        rng.int(0, 255),
        rng.int(0, 255),
        rng.int(1024, 65535),
    );
    let message = template
        .replace("{u}", user)
        .replace("{a}", &a.to_string())
        .replace("{b}", &b.to_string())
        .replace("{c}", &c.to_string())
        .replace("{p}", &p.to_string());
    let host = rng.below(HOSTS);
    let ts = *t as i64;
    out.push_str(&format!(
        "{{\"ts\": {ts}, \"host\": \"web{host:02}\", \"program\": \"{program}\", \
         \"user\": \"{user}\", \"message\": \""
    ));
    for ch in message.chars() {
        if matches!(ch, '"' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push_str("\"}\n");
    ts
}

/// Writes `lines` JSON lines `{"ts", "host", "program", "user", "message"}` for `seed` to `out`.
pub fn generate(out: impl Write, lines: u64, seed: u64) -> io::Result<CorpusInfo> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut rng = SplitMix::new(seed);
    let mut t = START_TS;
    let mut buf = String::with_capacity(256);
    let mut info = CorpusInfo {
        lines,
        bytes: 0,
        first_ts: START_TS as i64,
        last_ts: START_TS as i64,
    };
    for i in 0..lines {
        buf.clear();
        let ts = line(&mut rng, &mut t, &mut buf);
        if i == 0 {
            info.first_ts = ts;
        }
        info.last_ts = ts;
        info.bytes += buf.len() as u64;
        out.write_all(buf.as_bytes())?;
    }
    out.flush()?;
    Ok(info)
}

/// Writes the corpus to a file.
pub fn generate_file(path: &Path, lines: u64, seed: u64) -> io::Result<CorpusInfo> {
    generate(std::fs::File::create(path)?, lines, seed)
}

#[derive(Deserialize)]
struct Line {
    ts: i64,
    host: String,
    program: String,
    user: String,
    message: String,
}

/// Reads corpus lines into events, as ingestion would: the id is the line's content hash and
/// its ordinal among identical lines (identical lines share a `ts`, and the corpus is in time
/// order, so only lines of the current second are remembered).
pub struct EventReader {
    ingested_at: Timestamp,
    current_ts: i64,
    seen: HashMap<u64, u32>,
    /// Lines that repeat an earlier line exactly (they still become distinct events).
    pub duplicates: u64,
}

impl EventReader {
    pub fn new() -> EventReader {
        EventReader {
            ingested_at: Timestamp::now(),
            current_ts: i64::MIN,
            seen: HashMap::new(),
            duplicates: 0,
        }
    }

    /// The event of one corpus line (without its newline).
    pub fn event(&mut self, raw: &str) -> anyhow::Result<Event> {
        let l: Line = serde_json::from_str(raw)?;
        if l.ts != self.current_ts {
            self.current_ts = l.ts;
            self.seen.clear();
        }
        let slot = self
            .seen
            .entry(xxhash_rust::xxh3::xxh3_64(raw.as_bytes()))
            .or_insert(0);
        let occurrence = *slot;
        *slot += 1;
        if occurrence > 0 {
            self.duplicates += 1;
        }
        let mut e = Event::new(
            content_id(raw.as_bytes(), occurrence),
            Timestamp::from_second(l.ts)?,
            self.ingested_at,
            "bench-corpus.jsonl",
            &l.program,
            "json",
            l.message,
            raw.to_string(),
        );
        e.host = Some(l.host);
        e.user = Some(l.user);
        e.process = Some(l.program);
        Ok(e)
    }
}
