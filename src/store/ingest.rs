//! Batched writes from ingestion: events, the alerts they raise and rejected records, in one
//! transaction per batch, idempotent by id so a batch written twice changes nothing.

use jiff::{SignedDuration, Timestamp};
use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use super::alerts::{Raised, raise};
use super::suppress::ActiveSuppressions;
use super::{Result, Store, audit, events, ms};
use crate::domain::{Alert, Event};

/// A record that could not be normalised, as the reader saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedInput {
    /// Stable id (content hash and occurrence), so re-reading the input adds nothing.
    pub id: String,
    pub source: String,
    pub line: Option<u64>,
    pub format: Option<String>,
    pub reason: String,
    pub raw: String,
}

/// One transaction's worth of ingested records.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    /// Where the batch came from, for the audit row (`file:/var/log/auth.log`, `stream:wazuh`).
    pub source: String,
    pub events: Vec<Event>,
    pub alerts: Vec<Alert>,
    pub rejected: Vec<RejectedInput>,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.events.len() + self.alerts.len() + self.rejected.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub new_events: u64,
    pub known_events: u64,
    pub new_alerts: u64,
    pub folded_alerts: u64,
    pub known_alerts: u64,
    pub new_rejected: u64,
}

impl BatchOutcome {
    pub fn add(&mut self, o: BatchOutcome) {
        self.new_events += o.new_events;
        self.known_events += o.known_events;
        self.new_alerts += o.new_alerts;
        self.folded_alerts += o.folded_alerts;
        self.known_alerts += o.known_alerts;
        self.new_rejected += o.new_rejected;
    }
}

impl Store {
    /// Writes a batch in one transaction. Alerts fold into an open alert with the same group key
    /// seen within `dedup_window` (zero: never fold).
    pub fn write_batch(
        &mut self,
        batch: &Batch,
        actor: &str,
        dedup_window: SignedDuration,
    ) -> Result<BatchOutcome> {
        self.write_batch_noting(batch, actor, dedup_window, &mut Vec::new())
    }

    /// [`Store::write_batch`], also noting which of the batch's alerts stand as alerts of their
    /// own (new or already known), by index: the others folded into an earlier alert.
    pub fn write_batch_noting(
        &mut self,
        batch: &Batch,
        actor: &str,
        dedup_window: SignedDuration,
        standing: &mut Vec<usize>,
    ) -> Result<BatchOutcome> {
        let mut out = BatchOutcome::default();
        if batch.is_empty() {
            return Ok(out);
        }
        let now = Timestamp::now();
        let tx = self.write()?;
        for e in &batch.events {
            if events::insert(&tx, e)? {
                out.new_events += 1;
            } else {
                out.known_events += 1;
            }
        }
        let suppressions = if batch.alerts.is_empty() {
            ActiveSuppressions::none()
        } else {
            ActiveSuppressions::load(&tx, now)?
        };
        for (i, a) in batch.alerts.iter().enumerate() {
            match raise(&tx, a, actor, dedup_window, &suppressions)? {
                Raised::New => out.new_alerts += 1,
                Raised::Folded => {
                    out.folded_alerts += 1;
                    continue;
                }
                Raised::Known => out.known_alerts += 1,
            }
            standing.push(i);
        }
        for r in &batch.rejected {
            out.new_rejected += tx
                .prepare_cached(
                    "INSERT INTO rejected (id, at, source, line, format, reason, raw)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING",
                )?
                .execute(params![
                    r.id,
                    ms(now),
                    r.source,
                    r.line.map(|l| l as i64),
                    r.format,
                    r.reason,
                    r.raw
                ])? as u64;
        }
        if out.new_events + out.new_rejected > 0 {
            audit::append(
                &tx,
                now,
                actor,
                "events.ingest",
                ("source", &batch.source),
                None,
                Some(&json!({"new_events": out.new_events, "new_rejected": out.new_rejected})),
            )?;
        }
        tx.commit()?;
        Ok(out)
    }
}
