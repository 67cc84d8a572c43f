//! The console's background store workers: a reader thread that answers queries and a writer
//! thread that applies the analyst's changes, each with its own SQLite connection, so a slow
//! count never delays a keypress and a write never waits behind a read. They talk to the
//! update loop only through bounded channels.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use super::filter::OPEN;
use super::msg::{AlertDetail, Op, Query, Reply, ReqId, StatusCounts, Target};
use crate::attack::Catalogue;
use crate::domain::{AlertStatus, CaseStatus, Event};
use crate::store::{
    AlertChange, AlertFilter, CaseFilter, GroupRule, NewCase, NewSuppression, Store, StoreError,
};

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
                move || read_loop(reader, read_rx, tx, index_dir)
            })?;
        std::thread::Builder::new()
            .name("tocsin-writer".into())
            .spawn(move || write_loop(writer, write_rx, replies, cfg))?;
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

fn read_loop(store: Store, rx: Receiver<(ReqId, Query)>, tx: Sender<Reply>, index_dir: PathBuf) {
    // Opened on the first hunt: most sessions never search.
    let mut index = None;
    // The console reads small pages; a smaller page cache than the daemon's keeps it light.
    if let Err(e) = store.conn().pragma_update(None, "cache_size", -16_384) {
        tracing::warn!(error = %e, "cache_size");
    }
    while let Ok((req, q)) = rx.recv() {
        let what = query_name(&q);
        let mut pending_count = None;
        let reply = match q {
            Query::Hunt { query } => super::hunt::search(&mut index, &index_dir, req, &query),
            q => answer(&store, req, q, &mut pending_count).unwrap_or_else(|e| Reply::Failed {
                req,
                what,
                error: e.to_string(),
            }),
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

fn write_loop(
    mut store: Store,
    rx: Receiver<(ReqId, Op, Vec<Target>)>,
    tx: Sender<Reply>,
    cfg: WorkerConfig,
) {
    if let Err(e) = store.conn().pragma_update(None, "cache_size", -8_192) {
        tracing::warn!(error = %e, "cache_size");
    }
    while let Ok((req, op, targets)) = rx.recv() {
        let (result, conflict, case_id) = match apply(&mut store, &op, &targets, &cfg) {
            Ok(done) => (Ok(done.message), done.conflict, done.case_id),
            Err(e) => {
                let conflict = matches!(e, StoreError::Conflict { .. });
                (Err(e.to_string()), conflict, None)
            }
        };
        let reply = Reply::Written {
            req,
            op,
            result,
            conflict,
            case_id,
        };
        if tx.blocking_send(reply).is_err() {
            return;
        }
    }
}

struct Done {
    message: String,
    conflict: bool,
    case_id: Option<String>,
}

impl Done {
    fn plain(message: String) -> Done {
        Done {
            message,
            conflict: false,
            case_id: None,
        }
    }
}

/// Applies one change. Alert changes check each alert's version first: an alert someone else
/// changed since the analyst saw it is left alone and reported.
fn apply(
    store: &mut Store,
    op: &Op,
    targets: &[Target],
    cfg: &WorkerConfig,
) -> Result<Done, StoreError> {
    let actor = cfg.actor.as_str();
    let per_alert = |change: AlertChange| -> Box<dyn Fn(&mut Store, &Target) -> _> {
        Box::new(move |store: &mut Store, t: &Target| {
            let change = AlertChange {
                expected_version: Some(t.version),
                ..change.clone()
            };
            store.update_alert(&t.id, &change, actor).map(|_| ())
        })
    };
    match op {
        Op::Acknowledge => each(
            store,
            targets,
            op,
            per_alert(AlertChange {
                status: Some(AlertStatus::Acknowledged),
                ..AlertChange::default()
            }),
        ),
        Op::Assign(who) => each(
            store,
            targets,
            op,
            per_alert(AlertChange {
                assignee: Some(who.clone()),
                ..AlertChange::default()
            }),
        ),
        Op::Verdict(v, reason) => each(
            store,
            targets,
            op,
            per_alert(AlertChange {
                verdict: Some((*v, reason.clone())),
                ..AlertChange::default()
            }),
        ),
        Op::Escalate(title) => {
            let (fresh, stale) = check_versions(store, targets)?;
            let Some(first) = fresh.first() else {
                return Ok(conflict_only(&stale));
            };
            let alert = store.alert(first)?;
            let rule = (cfg.group_rules)(&alert.rule.id, &alert.rule.name);
            let esc = store.escalate(&fresh, title.as_deref(), &rule, actor)?;
            let verb = if esc.joined { "joined" } else { "opened" };
            let mut message = format!(
                "{} alert(s) escalated: {verb} {} {}",
                fresh.len(),
                esc.case.id,
                esc.case.title
            );
            append_stale(&mut message, &stale);
            Ok(Done {
                message,
                conflict: !stale.is_empty(),
                case_id: Some(esc.case.id),
            })
        }
        Op::AddToCase(case_id) => {
            let (fresh, stale) = check_versions(store, targets)?;
            if fresh.is_empty() {
                return Ok(conflict_only(&stale));
            }
            let case = store.add_alerts_to_case(case_id, &fresh, actor)?;
            let mut message = format!("{} alert(s) added to {}", fresh.len(), case.id);
            append_stale(&mut message, &stale);
            Ok(Done {
                message,
                conflict: !stale.is_empty(),
                case_id: Some(case.id),
            })
        }
        Op::Suppress(duration, reason) => {
            let Some(first) = targets.first() else {
                return Ok(Done::plain("nothing selected".into()));
            };
            let alert = store.alert(&first.id)?;
            let entity = alert
                .entities
                .hosts
                .first()
                .map(|h| ("host".to_string(), h.clone()))
                .or_else(|| {
                    alert
                        .entities
                        .users
                        .first()
                        .map(|u| ("user".to_string(), u.clone()))
                })
                .or_else(|| {
                    alert
                        .entities
                        .ips
                        .first()
                        .map(|ip| ("ip".to_string(), ip.clone()))
                });
            let until = Timestamp::now()
                .checked_add(*duration)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let what = match &entity {
                Some((k, v)) => format!("{} on {k} {v}", alert.rule.name),
                None => alert.rule.name.clone(),
            };
            let (_, n) = store.suppress(
                &NewSuppression {
                    rule_id: Some(alert.rule.id.clone()),
                    entity,
                    until,
                    reason: reason.clone(),
                },
                actor,
            )?;
            Ok(Done::plain(format!(
                "suppressed {what} for {}: {n} open alert(s) hidden",
                super::msg::human_duration(*duration)
            )))
        }
        Op::NewCase(title) => {
            let case = store.create_case(
                &NewCase {
                    title: title.clone(),
                    ..NewCase::default()
                },
                actor,
            )?;
            Ok(Done {
                message: format!("opened {} {}", case.id, case.title),
                conflict: false,
                case_id: Some(case.id),
            })
        }
        Op::Note(case_id, text) => {
            store.add_note(case_id, text, actor)?;
            Ok(case_done(format!("note added to {case_id}"), case_id))
        }
        Op::CaseStatus(case_id, status, reason) => {
            let case = store.set_case_status(case_id, *status, reason, actor)?;
            Ok(case_done(
                format!("{} is {}", case.id, case.status),
                case_id,
            ))
        }
        Op::CasePriority(case_id, p) => {
            let case = store.set_case_priority(case_id, *p, actor)?;
            Ok(case_done(
                format!("{} is {}", case.id, case.priority),
                case_id,
            ))
        }
        Op::CaseAssign(case_id, who) => {
            let case = store.set_case_assignee(case_id, who.clone(), actor)?;
            let to = case.assignee.as_deref().unwrap_or("nobody");
            Ok(case_done(format!("{} assigned to {to}", case.id), case_id))
        }
        Op::Unlink(case_id, alert_id) => {
            store.remove_alerts_from_case(case_id, std::slice::from_ref(alert_id), actor)?;
            Ok(case_done(
                format!(
                    "alert {} removed from {case_id}",
                    crate::domain::short_id(alert_id)
                ),
                case_id,
            ))
        }
    }
}

fn case_done(message: String, case_id: &str) -> Done {
    Done {
        message,
        conflict: false,
        case_id: Some(case_id.to_string()),
    }
}

type AlertFn<'a> = Box<dyn Fn(&mut Store, &Target) -> Result<(), StoreError> + 'a>;

/// Applies `f` to each target; conflicts are collected, other errors stop.
fn each(
    store: &mut Store,
    targets: &[Target],
    op: &Op,
    f: AlertFn<'_>,
) -> Result<Done, StoreError> {
    let mut done = 0usize;
    let mut stale = Vec::new();
    for t in targets {
        match f(store, t) {
            Ok(()) => done += 1,
            Err(StoreError::Conflict { id, by, .. }) => stale.push((id, by)),
            Err(e) => return Err(e),
        }
    }
    let mut message = if done == 1 && stale.is_empty() {
        format!(
            "alert {} {}",
            crate::domain::short_id(&targets[0].id),
            op.describe()
        )
    } else {
        format!("{done} alert(s) {}", op.describe())
    };
    append_stale(&mut message, &stale);
    Ok(Done {
        message,
        conflict: !stale.is_empty(),
        case_id: None,
    })
}

/// Splits targets into those still at the version the analyst saw and those changed since.
fn check_versions(
    store: &Store,
    targets: &[Target],
) -> Result<(Vec<String>, Vec<Stale>), StoreError> {
    let mut fresh = Vec::new();
    let mut stale = Vec::new();
    for t in targets {
        let a = store.alert(&t.id)?;
        if a.version == t.version {
            fresh.push(a.id);
        } else {
            let by = store
                .audit_for("alert", &a.id)?
                .last()
                .map(|e| e.actor.clone())
                .unwrap_or_else(|| "someone".into());
            stale.push((a.id, by));
        }
    }
    Ok((fresh, stale))
}

/// An alert someone else changed first, and who.
type Stale = (String, String);

fn conflict_only(stale: &[(String, String)]) -> Done {
    let mut message = "nothing changed".to_string();
    append_stale(&mut message, stale);
    Done {
        message,
        conflict: true,
        case_id: None,
    }
}

fn append_stale(message: &mut String, stale: &[(String, String)]) {
    if let Some((id, by)) = stale.first() {
        message.push_str(&format!(
            "; {} alert(s) left alone: {} was just changed by {by} (reloaded, look again)",
            stale.len(),
            crate::domain::short_id(id)
        ));
    }
}
