//! A producer for the stream daemon: replays log files into a Redis stream at a given rate, one
//! entry per line, in the ASF wire format (one field, `data`) or, with `--flat`, as flat field
//! maps (JSON lines only).
//!
//! ```sh
//! cargo run --example push_events -- --redis-url redis://127.0.0.1:6379 --stream suricata \
//!     --rate 5000 tests/fixtures/suricata/eve.json
//! ```

use std::io::BufRead;
use std::time::{Duration, Instant};

struct Args {
    url: String,
    stream: String,
    rate: u64,
    flat: bool,
    repeat: u64,
    files: Vec<String>,
}

fn usage() -> String {
    "usage: push_events --redis-url URL --stream KEY [--rate N_PER_S (0: as fast as possible)] [--repeat N] [--flat] FILE...".into()
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        url: std::env::var("TOCSIN_REDIS_URL").unwrap_or_default(),
        stream: String::new(),
        rate: 0,
        flat: false,
        repeat: 1,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--redis-url" => a.url = value("--redis-url")?,
            "--stream" => a.stream = value("--stream")?,
            "--rate" => {
                a.rate = value("--rate")?
                    .parse()
                    .map_err(|e| format!("--rate: {e}"))?
            }
            "--repeat" => {
                a.repeat = value("--repeat")?
                    .parse()
                    .map_err(|e| format!("--repeat: {e}"))?
            }
            "--flat" => a.flat = true,
            "-h" | "--help" => return Err(usage()),
            _ => a.files.push(arg),
        }
    }
    if a.url.is_empty() || a.stream.is_empty() || a.files.is_empty() {
        return Err(usage());
    }
    Ok(a)
}

/// The entry's fields for one line.
fn fields(line: &str, flat: bool) -> Vec<(String, String)> {
    if flat && let Ok(serde_json::Value::Object(map)) = serde_json::from_str(line) {
        return map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect();
    }
    vec![("data".to_string(), line.to_string())]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let client = redis::Client::open(args.url.as_str())?;
    let mut conn = client.get_connection()?;
    let started = Instant::now();
    let mut sent = 0u64;
    let mut pipe = redis::pipe();
    let mut queued = 0;
    for _ in 0..args.repeat {
        for file in &args.files {
            let reader = std::io::BufReader::new(std::fs::File::open(file)?);
            // Lossy UTF-8, as a log shipper would send a broken line (it is dead-lettered).
            for line in reader.split(b'\n') {
                let line = String::from_utf8_lossy(&line?)
                    .trim_end_matches('\r')
                    .to_string();
                if line.trim().is_empty() {
                    continue;
                }
                let cmd = pipe.cmd("XADD").arg(&args.stream).arg("*");
                for (k, v) in fields(&line, args.flat) {
                    cmd.arg(k).arg(v);
                }
                cmd.ignore();
                queued += 1;
                sent += 1;
                if queued >= 100 {
                    pipe.query::<()>(&mut conn)?;
                    pipe = redis::pipe();
                    queued = 0;
                }
                if args.rate > 0 {
                    let due = started + Duration::from_secs_f64(sent as f64 / args.rate as f64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        if queued > 0 {
                            pipe.query::<()>(&mut conn)?;
                            pipe = redis::pipe();
                            queued = 0;
                        }
                        std::thread::sleep(wait);
                    }
                }
            }
        }
    }
    if queued > 0 {
        pipe.query::<()>(&mut conn)?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{sent} entries into {} in {secs:.2}s ({:.0}/s)",
        args.stream,
        sent as f64 / secs.max(1e-9)
    );
    Ok(())
}
