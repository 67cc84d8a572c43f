//! Uses tocsin as a library: reads a log file and prints each record as normalised event JSON,
//! one per line, without touching a store. Run:
//! `cargo run --example normalize_file -- tests/fixtures/loghub/OpenSSH_2k.log | head`

use std::path::PathBuf;

use jiff::{Timestamp, tz::TimeZone};
use tocsin::ingest::read::{Input, Occurrences};
use tocsin::ingest::{Options, decode};
use tocsin::normalize::{Decoder, FieldMap, Parsed};

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "-".into());
    let mut input = Input::open(&path)?;
    let opts = Options {
        format: None,
        source: None,
        year: None,
        timezone: TimeZone::UTC,
        field_map: FieldMap::default(),
        batch_size: 1,
        dedup_window: jiff::SignedDuration::ZERO,
        actor: String::new(),
        detector: None,
        index: None,
        vectors: None,
    };
    let now = Timestamp::now();
    let reference_time = input.modified.unwrap_or(now);
    let mut decoder = Decoder::new(None);
    let mut occurrences = Occurrences::default();
    while let Some(record) = input.next_record(&mut occurrences)? {
        let Some(decoded) = decode(
            &mut decoder,
            record,
            &input.name,
            now,
            reference_time,
            &opts,
        ) else {
            continue;
        };
        match decoded.result {
            Ok(Parsed::Record(r)) => {
                for e in r.events {
                    println!("{}", serde_json::to_string(&e)?);
                }
            }
            Ok(Parsed::Skip { .. }) => {}
            Err(e) => eprintln!("{}:{}: {e}", input.name, decoded.line),
        }
    }
    Ok(())
}
