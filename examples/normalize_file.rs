//! Uses tocsin as a library: reads a log file and prints each record as normalised event JSON,
//! one per line, without touching a store. Run:
//! `cargo run --example normalize_file -- tests/fixtures/loghub/OpenSSH_2k.log | head`

use std::path::PathBuf;

use jiff::{Timestamp, tz::TimeZone};
use tocsin::ingest::read::{Input, Occurrences, RawRecord};
use tocsin::normalize::{Context, Decoder, FieldMap, Parsed};

fn main() -> anyhow::Result<()> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "-".into());
    let mut input = Input::open(&path)?;
    let (tz, map, now) = (TimeZone::UTC, FieldMap::default(), Timestamp::now());
    let reference_time = input.modified.unwrap_or(now);
    let mut decoder = Decoder::new(None);
    let mut occurrences = Occurrences::default();
    while let Some(record) = input.next_record(&mut occurrences)? {
        let (line, id, text) = match record {
            RawRecord::Line { line, id, text } => (line, id, text),
            RawRecord::Document { line, id, text, .. }
            | RawRecord::Evtx {
                record: line,
                id,
                text,
            } => (line, id, text),
            RawRecord::Broken { line, reason, .. } => {
                eprintln!("{}:{line}: {reason}", input.name);
                continue;
            }
            RawRecord::Blank => continue,
        };
        let ctx = Context {
            id: &id,
            source: &input.name,
            ingested_at: now,
            reference_time,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        let parsed = if text.trim_start().starts_with('{') {
            serde_json::from_str(&text)
                .map_err(|e| tocsin::normalize::NormalizeError::Json(e.to_string()))
                .and_then(|v| decoder.decode_value(v, &text, &ctx))
        } else {
            decoder.decode_line(&text, &ctx)
        };
        match parsed {
            Ok(Parsed::Record(r)) => {
                for e in r.events {
                    println!("{}", serde_json::to_string(&e)?);
                }
            }
            Ok(Parsed::Skip { .. }) => {}
            Err(e) => eprintln!("{}:{line}: {e}", input.name),
        }
    }
    Ok(())
}
