//! The writer worker: applies the analyst's changes, audited, each alert checked against the
//! version the analyst saw, and says what happened in one line.

use std::sync::mpsc::Receiver;

use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use super::WorkerConfig;
use crate::domain::AlertStatus;
use crate::store::{AlertChange, NewCase, NewSuppression, Store, StoreError};
use crate::ui::msg::{Op, Reply, ReqId, Target};

pub(super) fn write_loop(
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
                crate::ui::msg::human_duration(*duration)
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
