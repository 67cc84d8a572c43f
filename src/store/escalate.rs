//! Escalation: alerts go to the open case with their grouping key (rule id, time bucket, chosen
//! entity values), or open one, in one transaction, so that two analysts escalating alerts of
//! the same incident at once end up in the same case.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::cases::{insert_case, link, touch};
use super::{NewCase, Result, Store, StoreError, audit};
use crate::domain::{Alert, Case, Priority, Severity};

/// How escalated alerts of one rule group into cases (`[cases]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupRule {
    /// Width of the time bucket of `first_seen`; zero (or less than a millisecond): one bucket.
    pub window: SignedDuration,
    /// Entity kinds ([`crate::domain::Entities::KINDS`]) whose first value joins the key.
    pub by: Vec<String>,
}

/// The key escalation files an alert under: `rule_id|bucket|kind=value|...`, the bucket being
/// `floor(first_seen / window)` in milliseconds (`*` for a zero window) and each value the
/// alert's first entity of that kind (`-` when it has none).
pub fn case_group_key(alert: &Alert, rule: &GroupRule) -> String {
    let width = rule.window.as_millis();
    let bucket = if width > 0 {
        i128::from(alert.first_seen.as_millisecond())
            .div_euclid(width)
            .to_string()
    } else {
        "*".to_string()
    };
    let mut key = format!("{}|{bucket}", alert.rule.id);
    for kind in &rule.by {
        key.push('|');
        key.push_str(kind);
        key.push('=');
        key.push_str(alert.entities.first(kind).unwrap_or("-"));
    }
    key
}

/// What `escalate` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub case: Case,
    /// True: the alerts joined an existing open case; false: a new case was opened.
    pub joined: bool,
}

impl Store {
    /// Escalates alerts: the first alert's [`case_group_key`] picks the open (not resolved or
    /// closed) case to join; without one, a new case is opened under that key, titled `title`
    /// or "RULE NAME on HOST", its priority from the most severe alert (critical P1, high P2,
    /// medium P3, else P4). Joining raises the case's severity to the alerts' if higher.
    pub fn escalate(
        &mut self,
        alert_ids: &[String],
        title: Option<&str>,
        rule: &GroupRule,
        actor: &str,
    ) -> Result<Escalation> {
        let mut ids = self.resolve_alerts(alert_ids)?;
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        let Some(first_id) = ids.first() else {
            return Err(StoreError::Invalid("no alerts to escalate".into()));
        };
        let first = self.alert_row(first_id)?;
        let key = case_group_key(&first, rule);
        let now = Timestamp::now();
        let tx = self.write()?;
        let mut severity = Severity::Info;
        for id in &ids {
            let s: i64 = tx.query_row("SELECT severity FROM alerts WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
            severity = severity.max(Severity::from_rank(s));
        }
        let existing: Option<(String, i64)> = tx
            .query_row(
                "SELECT id, severity FROM cases
                 WHERE group_key = ?1 AND status NOT IN ('resolved', 'closed')
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (case_id, joined) = match existing {
            Some((case_id, case_severity)) => {
                let linked = link(&tx, &case_id, &ids, actor, now)?;
                let old = Severity::from_rank(case_severity);
                let new = old.max(severity);
                if linked > 0 {
                    if new != old {
                        tx.execute(
                            "UPDATE cases SET severity = ?2 WHERE id = ?1",
                            params![case_id, new.rank()],
                        )?;
                    }
                    touch(&tx, &case_id, now)?;
                    audit::append(
                        &tx,
                        now,
                        actor,
                        "case.escalate",
                        ("case", &case_id),
                        Some(&json!({"severity": old})),
                        Some(&json!({"severity": new, "alerts": ids, "group_key": key})),
                    )?;
                }
                (case_id, true)
            }
            None => {
                let title = match title.map(str::trim).filter(|t| !t.is_empty()) {
                    Some(t) => t.to_string(),
                    None => match first.entities.hosts.first() {
                        Some(host) => format!("{} on {host}", first.rule.name),
                        None => first.rule.name.clone(),
                    },
                };
                let new = NewCase {
                    title,
                    priority: Priority::for_severity(severity),
                    severity: None,
                    ..NewCase::default()
                };
                (insert_case(&tx, &new, &ids, Some(&key), actor, now)?, false)
            }
        };
        tx.commit()?;
        Ok(Escalation {
            case: self.case(&case_id)?.case,
            joined,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertStatus, CaseStatus};
    use crate::store::testkit::{TestAlert, raise_all, t0};

    fn by(kinds: &[&str], hours: i64) -> GroupRule {
        GroupRule {
            window: SignedDuration::from_hours(hours),
            by: kinds.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn group_key_is_rule_bucket_and_first_entities() {
        let a = TestAlert::new(0)
            .rule("sshd-brute")
            .host("web-1")
            .host("web-2")
            .0;
        let bucket = t0().as_second() / 3600;
        assert_eq!(
            case_group_key(&a, &by(&["host", "user"], 1)),
            format!("sshd-brute|{bucket}|host=web-1|user=-")
        );
        assert_eq!(case_group_key(&a, &by(&[], 0)), "sshd-brute|*");
        // Alerts an hour apart fall in different hourly buckets, the same daily one.
        let later = TestAlert::new(60).rule("sshd-brute").host("web-1").0;
        assert_ne!(
            case_group_key(&a, &by(&["host"], 1)),
            case_group_key(&later, &by(&["host"], 1))
        );
        let day = by(&["host"], 24);
        let same_day = t0().as_second() / 86_400 == (t0().as_second() + 3600) / 86_400;
        assert_eq!(
            case_group_key(&a, &day) == case_group_key(&later, &day),
            same_day
        );
        // Before 1970 the bucket still floors.
        let mut old = a.clone();
        old.first_seen = Timestamp::from_second(-1).unwrap();
        assert_eq!(case_group_key(&old, &by(&[], 1)), "sshd-brute|-1");
    }

    #[test]
    fn escalation_opens_then_joins_then_opens_again_once_closed() {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1)
                    .rule("r1")
                    .host("web-1")
                    .severity(Severity::Medium),
                TestAlert::new(2)
                    .rule("r1")
                    .host("web-1")
                    .severity(Severity::Critical),
                TestAlert::new(3)
                    .rule("r1")
                    .host("web-2")
                    .severity(Severity::High),
                TestAlert::new(4)
                    .rule("r1")
                    .host("web-1")
                    .severity(Severity::Low),
            ],
        );
        let rule = by(&["host"], 24);
        let first = store.escalate(&ids[..1], None, &rule, "ana").unwrap();
        assert!(!first.joined);
        assert_eq!(first.case.title, "Rule r1 on web-1");
        assert_eq!(first.case.priority, Priority::P3);
        assert_eq!(first.case.severity, Severity::Medium);
        assert_eq!(
            first.case.group_key.as_deref(),
            Some(case_group_key(&store.alert(&ids[0]).unwrap(), &rule).as_str())
        );
        assert_eq!(store.alert(&ids[0]).unwrap().status, AlertStatus::Escalated);
        // Same key: joins, and the case's severity rises with the critical alert.
        let second = store
            .escalate(&ids[1..2], Some("ignored"), &rule, "bob")
            .unwrap();
        assert!(second.joined);
        assert_eq!(second.case.id, first.case.id);
        assert_eq!(second.case.title, "Rule r1 on web-1");
        assert_eq!(second.case.severity, Severity::Critical);
        assert_eq!(second.case.alert_ids.len(), 2);
        assert!(second.case.version > first.case.version);
        let audit = store.audit_for("case", &first.case.id).unwrap();
        assert_eq!(audit.last().unwrap().action, "case.escalate");
        // Another host: another case.
        let third = store.escalate(&ids[2..3], None, &rule, "ana").unwrap();
        assert!(!third.joined);
        assert_ne!(third.case.id, first.case.id);
        assert_eq!(third.case.priority, Priority::P2);
        // Once the case is closed, the same key opens a new one.
        store
            .set_case_status(&first.case.id, CaseStatus::Closed, "done", "ana")
            .unwrap();
        let fourth = store
            .escalate(&ids[3..], Some("  Round two "), &rule, "ana")
            .unwrap();
        assert!(!fourth.joined);
        assert_ne!(fourth.case.id, first.case.id);
        assert_eq!(fourth.case.title, "Round two");
        assert_eq!(fourth.case.priority, Priority::P4);
        assert_eq!(fourth.case.group_key, first.case.group_key);
    }

    #[test]
    fn escalating_several_alerts_uses_the_first_key_and_the_worst_severity() {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1).rule("r1").severity(Severity::Low),
                TestAlert::new(2)
                    .rule("r2")
                    .host("h")
                    .severity(Severity::Critical),
            ],
        );
        let esc = store
            .escalate(
                &[ids[0].clone(), ids[1].clone(), ids[0].clone()],
                None,
                &by(&["host"], 0),
                "ana",
            )
            .unwrap();
        assert_eq!(esc.case.title, "Rule r1");
        assert_eq!(esc.case.priority, Priority::P1);
        assert_eq!(esc.case.severity, Severity::Critical);
        assert_eq!(esc.case.group_key.as_deref(), Some("r1|*|host=-"));
        assert_eq!(esc.case.alert_ids.len(), 2);
        // Escalating alerts already in the case joins it and writes nothing more.
        let n = store.audit_for("case", &esc.case.id).unwrap().len();
        let again = store
            .escalate(&ids[..1], None, &by(&["host"], 0), "ana")
            .unwrap();
        assert!(again.joined);
        assert_eq!(again.case.version, esc.case.version);
        assert_eq!(store.audit_for("case", &esc.case.id).unwrap().len(), n);
        assert!(matches!(
            store.escalate(&[], None, &GroupRule::default(), "ana"),
            Err(StoreError::Invalid(_))
        ));
    }
}
