//! Stream entries into the store: each entry read from a stream is decoded (ASF `data` JSON or a
//! flat field map), normalised with the stream name as a format hint, and written with the rest
//! of its read in one store transaction. Entries that cannot be normalised become dead letters
//! and rejected rows in that same transaction.
//!
//! Ids: an entry's record id is derived from the stream key and the entry id, so an entry
//! delivered twice (a crash before XACK, a claim) is an upsert, never a duplicate.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use redis::Value;
use redis::streams::StreamId;
use serde_json::Map;

use crate::domain::derived_id;
use crate::ingest::{Options, record};
use crate::normalize::{Context, Decoder, Format, NormalizeError, Parsed, detect_json};
use crate::store::{Batch, BatchOutcome, RejectedInput, Store, StoreError};

/// One entry read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub stream: String,
    pub id: String,
    /// Field/value pairs, sorted by field (Redis keeps no order we could rely on here).
    pub fields: Vec<(String, String)>,
}

impl Entry {
    /// From the redis crate's parsed entry.
    pub fn from_reply(stream: &str, entry: StreamId) -> Entry {
        let mut fields: Vec<(String, String)> = entry
            .map
            .into_iter()
            .map(|(k, v)| (k, value_text(&v)))
            .collect();
        fields.sort();
        Entry {
            stream: stream.to_string(),
            id: entry.id,
            fields,
        }
    }

    /// The record id every event of this entry derives from.
    pub fn record_id(&self) -> String {
        derived_id(&format!("stream:{}", self.stream), &self.id)
    }

    /// The ASF payload: the value of the only field, `data`.
    fn data(&self) -> Option<&str> {
        match self.fields.as_slice() {
            [(name, value)] if name == "data" => Some(value),
            _ => None,
        }
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

/// The format a stream's name suggests (`alerts:wazuh`, `suricata-eve`), if any. Content
/// detection still decides; the hint only applies to JSON that detection calls generic.
pub fn format_hint(stream: &str) -> Option<Format> {
    stream.split([':', '.', '-', '_', '/']).find_map(|part| {
        match part.to_ascii_lowercase().as_str() {
            "wazuh" => Some(Format::Wazuh),
            "splunk" => Some(Format::Splunk),
            "kibana" | "elastic" => Some(Format::Kibana),
            "suricata" | "eve" => Some(Format::Suricata),
            "zeek" => Some(Format::ZeekJson),
            "windows" | "sysmon" | "winlogbeat" | "evtx" => Some(Format::WindowsJson),
            _ => None,
        }
    })
}

/// An entry that could not be normalised, on its way to `<stream>:dead`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub stream: String,
    pub id: String,
    pub reason: String,
    pub fields: Vec<(String, String)>,
}

/// What writing one read did.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Entry ids to acknowledge, per stream: every entry of the read, stored or dead.
    pub acks: BTreeMap<String, Vec<String>>,
    pub dead: Vec<DeadLetter>,
    /// Events and alerts normalised from the read (stored new or already known).
    pub events: u64,
    pub alerts: u64,
    /// Entries deliberately not stored (Suricata stats, deleted entries).
    pub skipped: u64,
    pub outcome: BatchOutcome,
}

/// Normalises entries and writes them; owns the store handle and per-stream decoder state.
pub struct Writer {
    store: Store,
    opts: Options,
    decoders: HashMap<String, Decoder>,
    hinted: HashMap<String, Decoder>,
}

impl Writer {
    /// A writer into `store` with the ingest options (time zone, field map, actor...).
    pub fn new(store: Store, opts: Options) -> Writer {
        Writer {
            store,
            opts,
            decoders: HashMap::new(),
            hinted: HashMap::new(),
        }
    }

    /// Normalises `entries` and writes them in ONE store transaction. Returns once it has
    /// committed: only then may the entries be acknowledged.
    pub fn write(&mut self, entries: &[Entry]) -> Result<Written, StoreError> {
        let mut written = Written::default();
        let mut batch = Batch::default();
        let ingested_at = Timestamp::now();
        for entry in entries {
            written
                .acks
                .entry(entry.stream.clone())
                .or_default()
                .push(entry.id.clone());
            if entry.fields.is_empty() {
                // Trimmed or deleted while pending: nothing left to store.
                written.skipped += 1;
                continue;
            }
            let id = entry.record_id();
            let source = format!("stream:{}", entry.stream);
            let (raw, result) = self.decode(entry, &id, &source, ingested_at);
            match result {
                Ok(Parsed::Record(r)) => {
                    let added = record::add(&mut batch, r, self.opts.detector.as_deref());
                    written.events += added.events;
                    written.alerts += added.alerts + added.detections;
                }
                Ok(Parsed::Skip { .. }) => written.skipped += 1,
                Err(e) => {
                    let reason = e.to_string();
                    batch.rejected.push(RejectedInput {
                        id,
                        source,
                        line: None,
                        format: format_hint(&entry.stream).map(|f| f.to_string()),
                        reason: reason.clone(),
                        raw,
                    });
                    written.dead.push(DeadLetter {
                        stream: entry.stream.clone(),
                        id: entry.id.clone(),
                        reason,
                        fields: entry.fields.clone(),
                    });
                }
            }
        }
        let streams: Vec<&str> = written.acks.keys().map(String::as_str).collect();
        batch.source = format!("stream:{}", streams.join(","));
        let mut standing = Vec::new();
        written.outcome = self.store.write_batch_noting(
            &batch,
            &self.opts.actor,
            self.opts.dedup_window,
            &mut standing,
        )?;
        // The store is the truth and the entries may be acked now; an index that failed is
        // logged and caught up by `tocsin index rebuild`.
        if let Err(e) = crate::ingest::index_stored(&self.opts, &batch, &standing) {
            tracing::error!(error = %e, "indexing a stored batch failed");
        }
        Ok(written)
    }

    /// Whether the text index holds added events not yet committed.
    pub fn index_pending(&self) -> bool {
        self.opts
            .index
            .as_ref()
            .and_then(|i| i.lock().ok().map(|w| w.pending() > 0))
            .unwrap_or(false)
    }

    /// Commits the text index and publishes the vectors (when idle, and at shutdown).
    pub fn flush_indexes(&self) {
        if let Err(e) = crate::ingest::flush_indexes(&self.opts) {
            tracing::error!(error = %e, "committing the indexes failed");
        }
    }

    fn decode(
        &mut self,
        entry: &Entry,
        id: &str,
        source: &str,
        ingested_at: Timestamp,
    ) -> (String, Result<Parsed, NormalizeError>) {
        let ctx = Context {
            id,
            source,
            ingested_at,
            reference_time: ingested_at,
            year: self.opts.year,
            timezone: &self.opts.timezone,
            field_map: &self.opts.field_map,
        };
        let decoder = self.decoders.entry(entry.stream.clone()).or_default();
        let Some(text) = entry.data() else {
            // A flat field map: one JSON object of string values.
            let object: Map<String, serde_json::Value> = entry
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            let value = serde_json::Value::Object(object);
            let raw = value.to_string();
            let result = decoder.decode_value(value, &raw, &ctx);
            return (raw, result);
        };
        if let Some(hint) = format_hint(&entry.stream).filter(|f| f.is_json())
            && text.trim_start().starts_with('{')
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
            && detect_json(&value) == Format::Json
        {
            let hinted = self
                .hinted
                .entry(entry.stream.clone())
                .or_insert_with(|| Decoder::new(Some(hint)));
            if let Ok(parsed) = hinted.decode_value(value, text, &ctx) {
                return (text.to_string(), Ok(parsed));
            }
        }
        let result = decoder.decode_line(text, &ctx);
        (text.to_string(), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(stream: &str, id: &str, fields: &[(&str, &str)]) -> Entry {
        Entry {
            stream: stream.into(),
            id: id.into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn writer() -> Writer {
        let opts = Options {
            format: None,
            source: None,
            year: Some(2026),
            timezone: jiff::tz::TimeZone::UTC,
            field_map: Default::default(),
            batch_size: 100,
            dedup_window: jiff::SignedDuration::from_hours(1),
            actor: "test".into(),
            detector: None,
            index: None,
            vectors: None,
        };
        Writer::new(Store::in_memory().unwrap(), opts)
    }

    #[test]
    fn asf_flat_and_broken_entries() {
        let mut w = writer();
        let entries = [
            entry(
                "logs",
                "1-0",
                &[(
                    "data",
                    r#"{"timestamp":"2026-11-22T10:00:00Z","host":"web07","message":"hello"}"#,
                )],
            ),
            entry(
                "logs",
                "2-0",
                &[
                    ("host", "web08"),
                    ("message", "flat"),
                    ("timestamp", "2026-11-22T10:00:01Z"),
                ],
            ),
            entry("logs", "3-0", &[("data", "{not json")]),
            entry("logs", "4-0", &[]),
        ];
        let out = w.write(&entries).unwrap();
        assert_eq!(out.events, 2);
        assert_eq!(out.outcome.new_events, 2);
        assert_eq!(out.dead.len(), 1);
        assert_eq!(out.dead[0].id, "3-0");
        assert!(
            out.dead[0].reason.contains("JSON"),
            "{}",
            out.dead[0].reason
        );
        assert_eq!(out.outcome.new_rejected, 1);
        assert_eq!(out.skipped, 1);
        assert_eq!(out.acks["logs"], ["1-0", "2-0", "3-0", "4-0"]);
        // Redelivery is an upsert.
        let again = w.write(&entries).unwrap();
        assert_eq!(again.outcome.new_events, 0);
        assert_eq!(again.outcome.known_events, 2);
        assert_eq!(again.outcome.new_rejected, 0);
    }

    #[test]
    fn stream_names_hint_formats() {
        assert_eq!(format_hint("alerts:wazuh"), Some(Format::Wazuh));
        assert_eq!(format_hint("suricata-eve"), Some(Format::Suricata));
        assert_eq!(format_hint("ssh_brute_force"), None);
    }
}
