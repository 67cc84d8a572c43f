//! Ingestion: inputs -> records -> normalisers -> batches -> the store, with a summary of what
//! happened to every record (stored, already known, skipped on purpose, or rejected with its
//! reason). A bad record never stops the run; an input that cannot be opened is reported and
//! the run goes on with the next.

pub mod read;
pub mod record;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde::Serialize;

use crate::normalize::{Context, Decoder, FieldMap, Format, NormalizeError, Parsed};
use crate::store::{Batch, BatchOutcome, RejectedInput, Store, StoreError};
use read::{Input, Occurrences, RawRecord};

/// How to ingest.
#[derive(Debug, Clone)]
pub struct Options {
    /// Force a format instead of detecting it per record.
    pub format: Option<Format>,
    /// Name the source instead of using each file's path (e.g. for stdin).
    pub source: Option<String>,
    /// Year for year-less timestamps (None: from each file's modification time).
    pub year: Option<i16>,
    pub timezone: TimeZone,
    pub field_map: FieldMap,
    pub batch_size: usize,
    pub dedup_window: SignedDuration,
    pub actor: String,
    /// Sigma detection run on every normalised event (None: off).
    pub detector: Option<std::sync::Arc<crate::detect::Detector>>,
    /// Full-text index kept in step with the store (None: off). Each stored batch is added;
    /// commits come at least every `index::text::COMMIT_EVERY` and at the end of the run.
    pub index: Option<std::sync::Arc<std::sync::Mutex<crate::index::TextWriter>>>,
    /// Vectors of new log templates and alerts, published at least every
    /// `index::semantic::SAVE_EVERY` and at the end of the run (None: off).
    pub vectors: Option<std::sync::Arc<std::sync::Mutex<crate::index::semantic::VectorSink>>>,
}

impl Options {
    /// Options from a loaded configuration.
    pub fn from_config(loaded: &crate::config::Loaded) -> Self {
        let c = &loaded.config;
        Options {
            format: None,
            source: None,
            year: (c.ingest.year != 0).then_some(c.ingest.year),
            timezone: loaded.resolved.timezone.clone(),
            field_map: c.ingest.field_map.clone(),
            batch_size: c.ingest.batch_size,
            dedup_window: loaded.resolved.dedup_window,
            actor: c.actor.clone(),
            detector: None,
            index: None,
            vectors: None,
        }
    }
}

/// Counts per format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FormatCounts {
    pub events: u64,
    pub alerts: u64,
}

/// One rejected record, as the summary shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectNote {
    pub source: String,
    pub line: u64,
    pub reason: String,
}

/// An input that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputError {
    pub input: String,
    pub error: String,
}

/// What an ingest run did. `events`, `alerts` and `rejected` count what was read; the `new_*`
/// counts say how much of it the store did not have yet.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub inputs: u64,
    pub records: u64,
    pub events: u64,
    pub alerts: u64,
    /// Alerts raised by Sigma rules (detections and correlations).
    pub detections: u64,
    pub rejected: u64,
    /// Records deliberately not stored (Suricata stats, Zeek headers), by reason.
    pub skipped: BTreeMap<String, u64>,
    pub blank_lines: u64,
    #[serde(flatten)]
    pub store: BatchOutcome,
    pub formats: BTreeMap<String, FormatCounts>,
    /// The first rejected records (all of them are in the store: `tocsin rejects list`).
    pub rejects: Vec<RejectNote>,
    /// Files a folder walk left alone (not logs by their extension).
    pub skipped_files: Vec<String>,
    pub input_errors: Vec<InputError>,
    pub seconds: f64,
}

const REJECT_NOTES: usize = 20;

/// Why ingestion stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] read::ReadError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error("the index writer was poisoned by a panic in another thread")]
    IndexPoisoned,
}

/// Receives progress: bytes of the current input read, and when an input starts.
pub trait Progress {
    fn start(&self, _input: &str, _total_bytes: Option<u64>) {}
    fn records(&self, _count: u64) {}
    fn finish(&self) {}
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {}

/// Reads every path (files, folders, gzip, `-` for stdin) into the store.
pub fn ingest_paths(
    store: &mut Store,
    paths: &[PathBuf],
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Summary, IngestError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    let (files, skipped) = read::expand(paths)?;
    summary.skipped_files = skipped.iter().map(|p| p.display().to_string()).collect();
    for path in files {
        let input = match Input::open(&path) {
            Ok(input) => input,
            Err(e) => {
                tracing::warn!(input = %path.display(), error = %e, "cannot read input");
                summary.input_errors.push(InputError {
                    input: path.display().to_string(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        summary.inputs += 1;
        if let Err(e) = ingest_input(store, input, opts, progress, &mut summary) {
            match e {
                IngestError::Read(e) => summary.input_errors.push(InputError {
                    input: path.display().to_string(),
                    error: e.to_string(),
                }),
                other => return Err(other),
            }
        }
    }
    progress.finish();
    if let Some(index) = &opts.index {
        index
            .lock()
            .map_err(|_| IngestError::IndexPoisoned)?
            .commit()?;
    }
    if let Some(vectors) = &opts.vectors {
        vectors
            .lock()
            .map_err(|_| IngestError::IndexPoisoned)?
            .save()?;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        events = summary.events,
        alerts = summary.alerts,
        rejected = summary.rejected,
        new_events = summary.store.new_events,
        seconds = summary.seconds,
        "ingest finished"
    );
    Ok(summary)
}

fn ingest_input(
    store: &mut Store,
    mut input: Input,
    opts: &Options,
    progress: &dyn Progress,
    summary: &mut Summary,
) -> Result<(), IngestError> {
    progress.start(&input.name, input.total_bytes);
    let source = opts.source.clone().unwrap_or_else(|| input.name.clone());
    let ingested_at = Timestamp::now();
    let reference_time = input.modified.unwrap_or(ingested_at);
    let mut decoder = Decoder::new(opts.format);
    let mut occurrences = Occurrences::default();
    let mut batch = Batch {
        source: format!("file:{source}"),
        ..Default::default()
    };
    let mut read = 0u64;
    let reject = |batch: &mut Batch,
                  summary: &mut Summary,
                  id: String,
                  line: u64,
                  text: String,
                  reason: String| {
        summary.rejected += 1;
        if summary.rejects.len() < REJECT_NOTES {
            summary.rejects.push(RejectNote {
                source: source.clone(),
                line,
                reason: reason.clone(),
            });
        }
        batch.rejected.push(RejectedInput {
            id,
            source: source.clone(),
            line: Some(line),
            format: opts.format.map(|f| f.to_string()),
            reason,
            raw: text,
        });
    };
    while let Some(record) = input.next_record(&mut occurrences)? {
        let Some(Decoded {
            line,
            id,
            text,
            result,
        }) = decode(
            &mut decoder,
            record,
            &source,
            ingested_at,
            reference_time,
            opts,
        )
        else {
            summary.blank_lines += 1;
            continue;
        };
        summary.records += 1;
        read += 1;
        match result {
            Ok(Parsed::Record(record)) => {
                let format = record
                    .events
                    .first()
                    .map(|e| e.format.clone())
                    .unwrap_or_default();
                let added = record::add(&mut batch, record, opts.detector.as_deref());
                let counts = summary.formats.entry(format).or_default();
                counts.events += added.events;
                counts.alerts += added.alerts;
                summary.events += added.events;
                summary.alerts += added.alerts;
                summary.detections += added.detections;
            }
            Ok(Parsed::Skip { reason }) => {
                *summary.skipped.entry(reason.to_string()).or_default() += 1;
            }
            Err(e) => reject(&mut batch, summary, id, line, text, e.to_string()),
        }
        if batch.len() >= opts.batch_size {
            flush(store, &mut batch, opts, summary)?;
            progress.records(read);
        }
    }
    flush(store, &mut batch, opts, summary)?;
    progress.records(read);
    Ok(())
}

/// A raw record after normalising: where it was, its stable id and text, and the result.
pub struct Decoded {
    pub line: u64,
    pub id: String,
    pub text: String,
    pub result: Result<Parsed, NormalizeError>,
}

/// Normalises one raw record of an input named `source` (`None` for a blank line). Events read
/// from binary evtx get format `evtx`; a record the reader could not read at all is an error
/// carrying the reader's reason.
pub fn decode(
    decoder: &mut Decoder,
    record: RawRecord,
    source: &str,
    ingested_at: Timestamp,
    reference_time: Timestamp,
    opts: &Options,
) -> Option<Decoded> {
    let (line, id, text, result) = match record {
        RawRecord::Blank => return None,
        RawRecord::Broken {
            line,
            id,
            text,
            reason,
        } => (line, id, text, Err(NormalizeError::Unreadable(reason))),
        RawRecord::Line { line, id, text } => {
            let r = decoder.decode_line(
                &text,
                &context(&id, source, ingested_at, reference_time, opts),
            );
            (line, id, text, r)
        }
        RawRecord::Document {
            line,
            id,
            text,
            value,
        } => {
            let r = decoder.decode_value(
                value,
                &text,
                &context(&id, source, ingested_at, reference_time, opts),
            );
            (line, id, text, r)
        }
        RawRecord::Evtx { record, id, text } => {
            let ctx = context(&id, source, ingested_at, reference_time, opts);
            let mut r = match serde_json::from_str(&text) {
                Ok(value) => decoder.decode_value(value, &text, &ctx),
                Err(e) => Err(NormalizeError::Json(e.to_string())),
            };
            if let Ok(Parsed::Record(rec)) = &mut r {
                for e in &mut rec.events {
                    e.format = Format::Evtx.to_string();
                }
            }
            (record, id, text, r)
        }
    };
    Some(Decoded {
        line,
        id,
        text,
        result,
    })
}

fn context<'a>(
    id: &'a str,
    source: &'a str,
    ingested_at: Timestamp,
    reference_time: Timestamp,
    opts: &'a Options,
) -> Context<'a> {
    Context {
        id,
        source,
        ingested_at,
        reference_time,
        year: opts.year,
        timezone: &opts.timezone,
        field_map: &opts.field_map,
    }
}

/// Adds a batch the store has committed to the search indexes: its events to the text index,
/// its new templates and its standing alerts (by index into `batch.alerts`, as
/// [`Store::write_batch_noting`] lists them) to the vectors. Commits and publishes when due.
pub fn index_stored(opts: &Options, batch: &Batch, standing: &[usize]) -> Result<(), IngestError> {
    if let Some(index) = &opts.index {
        // After the store's commit: the index never holds an event the store lacks.
        let mut writer = index.lock().map_err(|_| IngestError::IndexPoisoned)?;
        writer.add_all(&batch.events)?;
        writer.commit_if_due()?;
    }
    if let Some(vectors) = &opts.vectors {
        // Alerts that folded into an earlier one are not alerts of their own.
        let alerts: Vec<&crate::domain::Alert> = standing
            .iter()
            .filter_map(|&i| batch.alerts.get(i))
            .collect();
        let mut sink = vectors.lock().map_err(|_| IngestError::IndexPoisoned)?;
        sink.add(&batch.events, &alerts)?;
        sink.save_if_due()?;
    }
    Ok(())
}

/// Commits the text index and publishes the vectors now, when there is anything pending.
pub fn flush_indexes(opts: &Options) -> Result<(), IngestError> {
    if let Some(index) = &opts.index {
        let mut writer = index.lock().map_err(|_| IngestError::IndexPoisoned)?;
        if writer.pending() > 0 {
            writer.commit()?;
        }
    }
    if let Some(vectors) = &opts.vectors {
        vectors
            .lock()
            .map_err(|_| IngestError::IndexPoisoned)?
            .save()?;
    }
    Ok(())
}

fn flush(
    store: &mut Store,
    batch: &mut Batch,
    opts: &Options,
    summary: &mut Summary,
) -> Result<(), IngestError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut standing = Vec::new();
    let outcome = store.write_batch_noting(batch, &opts.actor, opts.dedup_window, &mut standing)?;
    summary.store.add(outcome);
    index_stored(opts, batch, &standing)?;
    batch.events.clear();
    batch.alerts.clear();
    batch.rejected.clear();
    Ok(())
}
