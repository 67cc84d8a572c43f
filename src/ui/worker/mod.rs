//! The console's background store workers: a reader thread that answers queries and a writer
//! thread that applies the analyst's changes, each with its own SQLite connection, so a slow
//! count never delays a keypress and a write never waits behind a read. They talk to the
//! update loop only through bounded channels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use tokio::sync::mpsc::Sender;

mod vectors;
mod write;

use vectors::filter_of;
pub use vectors::{LIKE_LIMIT, Vectors, VectorsConfig};

use super::filter::OPEN;
use super::msg::{AlertDetail, Op, Query, Reply, ReqId, StatusCounts, Target};
use crate::attack::Catalogue;
use crate::domain::{AlertStatus, CaseStatus, Event};
use crate::store::{AlertFilter, CaseFilter, GroupRule, Store, StoreError};

/// Picks the case-grouping rule for an alert's rule (id, name).
pub type GroupRules = Arc<dyn Fn(&str, &str) -> GroupRule + Send + Sync>;

/// Where the workers find the store and whom changes are recorded under.
#[derive(Clone)]
pub struct WorkerConfig {
    pub database: PathBuf,
    pub busy_timeout: Duration,
    pub actor: String,
    pub group_rules: GroupRules,
    /// The text index the hunt pane searches (`<data_dir>/index`).
    pub index_dir: PathBuf,
    /// The vectors behind `like:` and `~"..."`.
    pub vectors: VectorsConfig,
}

/// Handles to the two workers; dropping them stops the threads.
pub struct Workers {
    read: SyncSender<(ReqId, Query)>,
    write: SyncSender<(ReqId, Op, Vec<Target>)>,
}

/// Why a request could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("the store worker stopped")]
    Stopped,
    #[error("the store worker is busy; try again")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start a worker thread: {0}")]
    Spawn(#[from] std::io::Error),
}

impl Workers {
    /// Opens one connection per worker and starts them.
    pub fn spawn(cfg: WorkerConfig, replies: Sender<Reply>) -> Result<Workers, WorkerError> {
        let reader = Store::open(&cfg.database, cfg.busy_timeout)?;
        let writer = Store::open(&cfg.database, cfg.busy_timeout)?;
        let (read, read_rx) = sync_channel(64);
        let (write, write_rx) = sync_channel(64);
        let tx = replies.clone();
        std::thread::Builder::new()
            .name("tocsin-reader".into())
            .spawn({
                let index_dir = cfg.index_dir.clone();
                let vectors = Vectors::new(cfg.vectors.clone());
                move || read_loop(reader, read_rx, tx, index_dir, vectors)
            })?;
        std::thread::Builder::new()
            .name("tocsin-writer".into())
            .spawn(move || write::write_loop(writer, write_rx, replies, cfg))?;
        Ok(Workers { read, write })
    }

    pub fn query(&self, req: ReqId, q: Query) -> Result<(), WorkerError> {
        self.read.try_send((req, q)).map_err(send_error)
    }

    pub fn write(&self, req: ReqId, op: Op, targets: Vec<Target>) -> Result<(), WorkerError> {
        self.write.try_send((req, op, targets)).map_err(send_error)
    }
}

fn send_error<T>(e: TrySendError<T>) -> WorkerError {
    match e {
        TrySendError::Full(_) => WorkerError::Busy,
        TrySendError::Disconnected(_) => WorkerError::Stopped,
    }
}

fn read_loop(
    store: Store,
    rx: Receiver<(ReqId, Query)>,
    tx: Sender<Reply>,
    index_dir: PathBuf,
    mut vectors: Vectors,
) {
    // Opened on the first hunt: most sessions never search.
    let mut index = None;
    // The console reads small pages; a smaller page cache than the daemon's keeps it light.
    if let Err(e) = store.conn().pragma_update(None, "cache_size", -16_384) {
        tracing::warn!(error = %e, "cache_size");
    }
    while let Ok((req, mut q)) = rx.recv() {
        let what = query_name(&q);
        let mut pending_count = None;
        let resolved = match filter_of(&mut q) {
            Some(filter) => vectors.resolve(&store, filter),
            None => Ok(()),
        };
        let reply = match (q, resolved) {
            (_, Err(error)) => Reply::Failed { req, what, error },
            (Query::Hunt { query }, _) => {
                super::hunt::search(&mut index, &mut vectors, &index_dir, req, &query)
            }
            (q, _) => {
                answer(&store, req, q, &mut pending_count).unwrap_or_else(|e| Reply::Failed {
                    req,
                    what,
                    error: e.to_string(),
                })
            }
        };
        if tx.blocking_send(reply).is_err() {
            return;
        }
        // The count a page deferred.
        if let Some(mut filter) = pending_count {
            filter.limit = 0;
            filter.offset = 0;
            let reply = match store.count_alerts(&filter) {
                Ok(total) => Reply::Count { req, total },
                Err(e) => Reply::Failed {
                    req,
                    what,
                    error: e.to_string(),
                },
            };
            if tx.blocking_send(reply).is_err() {
                return;
            }
        }
    }
}

fn query_name(q: &Query) -> &'static str {
    match q {
        Query::Page { .. } => "the queue",
        Query::Groups { .. } | Query::Members { .. } => "the groups",
        Query::Detail { .. } => "the alert",
        Query::Cases { .. } => "the cases",
        Query::Case { .. } => "the case",
        Query::Status => "the counts",
        Query::Hunt { .. } => "the hunt",
        Query::Event { .. } => "the event",
        Query::Matrix { .. } => "the ATT&CK matrix",
        Query::Poll { .. } => "the change check",
    }
}

fn answer(
    store: &Store,
    req: ReqId,
    q: Query,
    pending_count: &mut Option<AlertFilter>,
) -> Result<Reply, StoreError> {
    Ok(match q {
        Query::Page {
            mut filter,
            anchor,
            count,
            known_total,
        } => {
            // Rows first, so the frame does not wait for a count over a million alerts; the
            // count follows in its own reply.
            let mut anchor_at = None;
            if let Some((id, was)) = anchor {
                anchor_at = store.alert_position(&filter, &id)?;
                if let Some(now) = anchor_at {
                    // Keep the window around the anchor where it moved to.
                    let shift = now - was as i64;
                    filter.offset = (filter.offset as i64 + shift).max(0) as usize;
                }
            }
            let hint = (!count).then_some(known_total);
            let rows = store.alert_rows(&filter, hint)?;
            let seen = (filter.offset + rows.len()) as i64;
            let short_page = rows.len() < filter.limit.max(1);
            let total = match (count, short_page) {
                // A short page ends the list: the count is known without counting.
                (true, true) => Some(seen),
                (true, false) => None,
                (false, _) => Some(known_total.max(seen)),
            };
            if total.is_none() {
                pending_count.replace(filter.clone());
            }
            Reply::Page {
                req,
                offset: filter.offset,
                rows,
                total: total.unwrap_or(known_total.max(seen)),
                counted: total.is_some(),
                anchor_at,
            }
        }
        Query::Groups { filter, by } => {
            let total = store.count_alert_groups(&filter, by)?;
            let groups = store.alert_groups(&filter, by, 1_000, 0)?;
            Reply::Groups { req, groups, total }
        }
        Query::Members { filter } => {
            let group = filter.group.as_ref().and_then(|(_, v)| v.clone());
            let rows = store.alert_rows(&filter, None)?;
            Reply::Members { req, group, rows }
        }
        Query::Detail { id } => {
            let alert = store.alert(&id)?;
            let events = store.alert_events(&alert.id, 50)?;
            let history = store.audit_for("alert", &alert.id)?;
            let catalogue = Catalogue::get();
            let techniques = alert
                .techniques
                .iter()
                .map(|t| (t.clone(), catalogue.describe(t)))
                .collect();
            let raw_lines = raw_lines(&events);
            Reply::Detail {
                req,
                detail: Box::new(AlertDetail {
                    alert,
                    events,
                    raw_lines,
                    history,
                    techniques,
                }),
            }
        }
        Query::Cases { filter } => Reply::Cases {
            req,
            rows: store.cases(&filter)?,
        },
        Query::Case { id } => {
            let detail = store.case(&id)?;
            let alerts = store.case_alerts(&detail.case.id)?;
            Reply::Case {
                req,
                detail: Box::new(detail),
                alerts,
            }
        }
        Query::Hunt { query } => Reply::Failed {
            req,
            what: "the hunt",
            error: format!("`{query}` went to the store instead of the index"),
        },
        Query::Event { id } => {
            let event = store.event(&id)?;
            Reply::Event {
                req,
                lines: raw_lines(std::slice::from_ref(&event)),
                id: event.id,
            }
        }
        Query::Status => Reply::Status {
            req,
            counts: counts(store)?,
        },
        Query::Matrix { filter } => Reply::Matrix {
            req,
            columns: super::matrix::build(&store.technique_counts(&filter)?, Catalogue::get()),
        },
        Query::Poll { seen } => {
            let version = store.data_version()?;
            Reply::Changed {
                version,
                changed: version != seen,
            }
        }
    })
}

/// The status bar's numbers, each a cheap indexed query.
fn counts(store: &Store) -> Result<StatusCounts, StoreError> {
    let open = AlertFilter {
        statuses: OPEN.to_vec(),
        ..AlertFilter::default()
    };
    let new = AlertFilter {
        statuses: vec![AlertStatus::New],
        ..AlertFilter::default()
    };
    let cases = store.cases(&CaseFilter {
        statuses: vec![CaseStatus::Open, CaseStatus::InProgress, CaseStatus::OnHold],
        limit: 100_000,
        ..CaseFilter::default()
    })?;
    Ok(StatusCounts {
        alerts_open: store.count_alerts(&open)?,
        alerts_new: store.count_alerts(&new)?,
        cases_open: cases.len() as i64,
        newest_event: store.recent_events(None, 1)?.first().map(|e| e.timestamp),
    })
}

/// Each event's raw record for the detail pane: JSON pretty-printed, text as it came.
fn raw_lines(events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for e in events {
        out.push(format!(
            "── {} {} {} {}",
            crate::domain::short_id(&e.id),
            e.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            e.dataset,
            e.source
        ));
        match serde_json::from_str::<serde_json::Value>(&e.raw) {
            Ok(v) if v.is_object() || v.is_array() => {
                let pretty = serde_json::to_string_pretty(&v).unwrap_or_else(|_| e.raw.clone());
                out.extend(pretty.lines().map(str::to_string));
            }
            _ => out.extend(e.raw.lines().map(str::to_string)),
        }
    }
    out
}
