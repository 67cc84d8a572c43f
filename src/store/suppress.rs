//! Suppressions: "hide this rule (on this entity) until then". Creating one moves the matching
//! open alerts to `suppressed`; while it lasts, new alerts it matches are stored `suppressed`.
//! Alerts stay suppressed after a suppression ends or is lifted: that is an analyst's call.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::{Result, Store, StoreError, audit, from_ms, ms};
use crate::domain::{Alert, AlertStatus, Entities};

/// What `suppress` needs. At least one of `rule_id` and `entity` must be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSuppression {
    /// Only alerts of this rule id.
    pub rule_id: Option<String>,
    /// Only alerts naming this entity: (kind, value), kind one of [`Entities::KINDS`].
    pub entity: Option<(String, String)>,
    /// When it stops applying to new alerts.
    pub until: Timestamp,
    pub reason: String,
}

/// A stored suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<(String, String)>,
    pub until: Timestamp,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

impl Suppression {
    /// Whether it still applies to new alerts at `now`.
    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.until > now
    }
}

/// The statuses a suppression hides (the open ones an analyst has not escalated or closed).
const SUPPRESSIBLE: &str = "'new', 'acknowledged', 'in_progress'";

/// Whether any suppression is active, looked up once per batch so that the raise path costs
/// nothing while there is none, and one indexed query per new alert while there are some.
pub(crate) struct ActiveSuppressions {
    /// `Some(now)` when at least one suppression lasts past `now`.
    now: Option<i64>,
}

impl ActiveSuppressions {
    /// Nothing to look up (a batch without alerts).
    pub(crate) fn none() -> Self {
        ActiveSuppressions { now: None }
    }

    pub(crate) fn load(conn: &Connection, now: Timestamp) -> Result<Self> {
        let any: bool = conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM suppressions WHERE until > ?1)")?
            .query_row([ms(now)], |r| r.get(0))?;
        Ok(ActiveSuppressions {
            now: any.then(|| ms(now)),
        })
    }

    /// The id of an active suppression matching `alert`, if any.
    pub(crate) fn matching(&self, conn: &Connection, alert: &Alert) -> Result<Option<i64>> {
        let Some(now) = self.now else {
            return Ok(None);
        };
        let mut stmt = conn.prepare_cached(
            "SELECT id, entity_kind, entity_value FROM suppressions
             WHERE until > ?1 AND (rule_id IS NULL OR rule_id = ?2) ORDER BY id",
        )?;
        let rows = stmt.query_map(params![now, alert.rule.id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            let (id, kind, value) = row?;
            let hit = match (kind, value) {
                (Some(kind), Some(value)) => alert.entities.of_kind(&kind).contains(&value),
                _ => true,
            };
            if hit {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }
}

fn row_to_suppression(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    let kind: Option<String> = r.get(2)?;
    let value: Option<String> = r.get(3)?;
    Ok(Suppression {
        id: r.get(0)?,
        rule_id: r.get(1)?,
        entity: kind.zip(value),
        until: from_ms(r.get(4)?),
        reason: r.get(5)?,
        created_by: r.get(6)?,
        created_at: from_ms(r.get(7)?),
    })
}

const COLUMNS: &str =
    "id, rule_id, entity_kind, entity_value, until, reason, created_by, created_at";

impl Store {
    /// Records a suppression and moves every matching open alert (new, acknowledged, in
    /// progress) to `suppressed`, each audited. Returns the suppression's id and how many
    /// alerts it suppressed now.
    pub fn suppress(&mut self, s: &NewSuppression, actor: &str) -> Result<(i64, usize)> {
        let rule_id = s
            .rule_id
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let entity = match &s.entity {
            Some((kind, value)) => {
                let kind = kind.trim();
                if !Entities::KINDS.contains(&kind) {
                    return Err(StoreError::Invalid(format!(
                        "cannot suppress on `{kind}`: the entity kinds are {}",
                        Entities::KINDS.join(", ")
                    )));
                }
                if value.trim().is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "a {kind} suppression needs a value"
                    )));
                }
                Some((kind, value.trim()))
            }
            None => None,
        };
        if rule_id.is_none() && entity.is_none() {
            return Err(StoreError::Invalid(
                "a suppression names a rule, an entity or both (it would hide everything)".into(),
            ));
        }
        let now = Timestamp::now();
        if s.until <= now {
            return Err(StoreError::Invalid(format!(
                "a suppression until {} has already ended",
                s.until
            )));
        }
        let (kind, value) = (entity.map(|e| e.0), entity.map(|e| e.1));
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO suppressions (rule_id, entity_kind, entity_value, until, reason, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![rule_id, kind, value, ms(s.until), s.reason, actor, ms(now)],
        )?;
        let id = tx.last_insert_rowid();
        let alerts: Vec<(String, String)> = tx
            .prepare(&format!(
                "SELECT id, status FROM alerts
                 WHERE status IN ({SUPPRESSIBLE}) AND (?1 IS NULL OR rule_id = ?1)
                   AND (?2 IS NULL OR id IN
                        (SELECT alert_id FROM alert_entities WHERE kind = ?2 AND value = ?3))
                 ORDER BY id"
            ))?
            .query_map(params![rule_id, kind, value], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (alert_id, old) in &alerts {
            tx.prepare_cached(
                "UPDATE alerts SET status = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![
                alert_id,
                AlertStatus::Suppressed.as_str(),
                ms(now)
            ])?;
            audit::append(
                &tx,
                now,
                actor,
                "alert.suppress",
                ("alert", alert_id),
                Some(&json!({"status": old})),
                Some(&json!({"status": AlertStatus::Suppressed, "suppression": id})),
            )?;
        }
        audit::append(
            &tx,
            now,
            actor,
            "suppression.create",
            ("suppression", &id.to_string()),
            None,
            Some(&json!({
                "rule_id": rule_id,
                "entity": entity,
                "until": s.until,
                "reason": s.reason,
                "alerts": alerts.len(),
            })),
        )?;
        tx.commit()?;
        Ok((id, alerts.len()))
    }

    /// Suppressions, newest first; `active_only` leaves out those that have ended.
    pub fn suppressions(&self, active_only: bool) -> Result<Vec<Suppression>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM suppressions WHERE (?1 IS NULL OR until > ?1) ORDER BY id DESC"
        ))?;
        let now = active_only.then(|| ms(Timestamp::now()));
        let rows = stmt.query_map([now], row_to_suppression)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ends a suppression now (new alerts are no longer suppressed by it); the alerts it
    /// suppressed stay suppressed. Lifting one that has already ended changes nothing.
    pub fn lift_suppression(&mut self, id: i64, actor: &str) -> Result<()> {
        let now = Timestamp::now();
        let tx = self.write()?;
        let until: Option<i64> = tx
            .query_row("SELECT until FROM suppressions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(until) = until else {
            return Err(StoreError::NotFound {
                what: "suppression",
                id: id.to_string(),
            });
        };
        if until <= ms(now) {
            return Ok(());
        }
        tx.execute(
            "UPDATE suppressions SET until = ?2 WHERE id = ?1",
            params![id, ms(now)],
        )?;
        audit::append(
            &tx,
            now,
            actor,
            "suppression.lift",
            ("suppression", &id.to_string()),
            Some(&json!({"until": from_ms(until)})),
            Some(&json!({"until": now})),
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::store::testkit::{TestAlert, raise_all};
    use crate::store::{AlertChange, AlertFilter};

    fn hour_from_now() -> Timestamp {
        Timestamp::now() + SignedDuration::from_hours(1)
    }

    fn status(store: &Store, id: &str) -> AlertStatus {
        store.alert(id).unwrap().status
    }

    #[test]
    fn suppress_hides_matching_open_alerts_only_and_audits_each() {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1).rule("r1").host("web-1"),
                TestAlert::new(2).rule("r1").host("web-2"),
                TestAlert::new(3).rule("r2").host("web-1"),
                TestAlert::new(4).rule("r1").host("web-1"),
                TestAlert::new(5).rule("r1").host("web-1"),
            ],
        );
        // A closed alert is not touched; an acknowledged one is suppressed.
        store
            .update_alert(
                &ids[3],
                &AlertChange {
                    status: Some(AlertStatus::Closed),
                    ..Default::default()
                },
                "ana",
            )
            .unwrap();
        store
            .update_alert(
                &ids[4],
                &AlertChange {
                    status: Some(AlertStatus::Acknowledged),
                    ..Default::default()
                },
                "ana",
            )
            .unwrap();
        let before = store.alert(&ids[0]).unwrap().version;
        let (sid, n) = store
            .suppress(
                &NewSuppression {
                    rule_id: Some("r1".into()),
                    entity: Some(("host".into(), "web-1".into())),
                    until: hour_from_now(),
                    reason: "patching".into(),
                },
                "ana",
            )
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(status(&store, &ids[0]), AlertStatus::Suppressed);
        assert_eq!(status(&store, &ids[1]), AlertStatus::New);
        assert_eq!(status(&store, &ids[2]), AlertStatus::New);
        assert_eq!(status(&store, &ids[3]), AlertStatus::Closed);
        assert_eq!(status(&store, &ids[4]), AlertStatus::Suppressed);
        assert_eq!(store.alert(&ids[0]).unwrap().version, before + 1);
        let history = store.audit_for("alert", &ids[4]).unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.action, "alert.suppress");
        assert_eq!(last.before.as_ref().unwrap()["status"], "acknowledged");
        let created = store.audit_for("suppression", &sid.to_string()).unwrap();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].after.as_ref().unwrap()["alerts"], 2);
        // Suppressed alerts leave a queue that lists the open statuses.
        let open = AlertFilter {
            statuses: vec![AlertStatus::New, AlertStatus::Acknowledged],
            limit: 10,
            ..Default::default()
        };
        assert_eq!(store.count_alerts(&open).unwrap(), 2);
    }

    #[test]
    fn rule_only_and_entity_only_suppressions_match_as_named() {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1).rule("r1").host("a").user("bob"),
                TestAlert::new(2).rule("r2").host("b").user("bob"),
                TestAlert::new(3).rule("r3").host("c").user("eve"),
            ],
        );
        let (_, n) = store
            .suppress(
                &NewSuppression {
                    rule_id: None,
                    entity: Some(("user".into(), "bob".into())),
                    until: hour_from_now(),
                    reason: String::new(),
                },
                "ana",
            )
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(status(&store, &ids[2]), AlertStatus::New);
        let (_, n) = store
            .suppress(
                &NewSuppression {
                    rule_id: Some("r3".into()),
                    entity: None,
                    until: hour_from_now(),
                    reason: String::new(),
                },
                "ana",
            )
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(status(&store, &ids[2]), AlertStatus::Suppressed);
    }

    #[test]
    fn bad_suppressions_are_refused() {
        let mut store = Store::in_memory().unwrap();
        let bad = [
            (None, None, hour_from_now()),
            (
                Some("r".to_string()),
                Some(("planet".to_string(), "x".to_string())),
                hour_from_now(),
            ),
            (
                None,
                Some(("host".to_string(), " ".to_string())),
                hour_from_now(),
            ),
            (
                Some("r".to_string()),
                None,
                Timestamp::now() - SignedDuration::from_mins(1),
            ),
        ];
        for (rule_id, entity, until) in bad {
            let err = store.suppress(
                &NewSuppression {
                    rule_id,
                    entity,
                    until,
                    reason: String::new(),
                },
                "ana",
            );
            assert!(matches!(err, Err(StoreError::Invalid(_))), "{err:?}");
        }
        assert!(store.suppressions(false).unwrap().is_empty());
    }

    #[test]
    fn new_alerts_matching_an_active_suppression_arrive_suppressed_and_folds_keep_status() {
        let mut store = Store::in_memory().unwrap();
        // With no suppression at all, nothing is looked up and alerts arrive new.
        raise_all(&mut store, &[TestAlert::new(1).rule("r1").host("web-1")]);
        let (sid, _) = store
            .suppress(
                &NewSuppression {
                    rule_id: Some("r1".into()),
                    entity: Some(("host".into(), "web-1".into())),
                    until: hour_from_now(),
                    reason: "noisy".into(),
                },
                "ana",
            )
            .unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(2).rule("r1").host("web-1").key("k2"),
                TestAlert::new(3).rule("r1").host("web-2").key("k3"),
                TestAlert::new(4).rule("r9").host("web-1").key("k4"),
            ],
        );
        assert_eq!(status(&store, &ids[0]), AlertStatus::Suppressed);
        assert_eq!(status(&store, &ids[1]), AlertStatus::New);
        assert_eq!(status(&store, &ids[2]), AlertStatus::New);
        let created = store.audit_for("alert", &ids[0]).unwrap();
        assert_eq!(created[0].after.as_ref().unwrap()["suppression"], sid);
        // A repeat folds into the suppressed alert and counts, still suppressed.
        raise_all(
            &mut store,
            &[TestAlert::new(5).rule("r1").host("web-1").key("k2")],
        );
        let folded = store.alert(&ids[0]).unwrap();
        assert_eq!((folded.count, folded.status), (2, AlertStatus::Suppressed));
        // Lifted: new alerts arrive new again; the suppressed one stays suppressed.
        store.lift_suppression(sid, "ana").unwrap();
        let later = raise_all(
            &mut store,
            &[TestAlert::new(6).rule("r1").host("web-1").key("k6")],
        );
        assert_eq!(status(&store, &later[0]), AlertStatus::New);
        assert_eq!(status(&store, &ids[0]), AlertStatus::Suppressed);
    }

    #[test]
    fn listing_and_lifting() {
        let mut store = Store::in_memory().unwrap();
        let mk = |rule: &str| NewSuppression {
            rule_id: Some(rule.into()),
            entity: None,
            until: hour_from_now(),
            reason: format!("because {rule}"),
        };
        let (a, _) = store.suppress(&mk("r1"), "ana").unwrap();
        let (b, _) = store.suppress(&mk("r2"), "bob").unwrap();
        let all = store.suppressions(false).unwrap();
        assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), vec![b, a]);
        assert_eq!(all[0].created_by, "bob");
        assert!(all[0].is_active_at(Timestamp::now()));
        store.lift_suppression(a, "carol").unwrap();
        let active = store.suppressions(true).unwrap();
        assert_eq!(active.iter().map(|s| s.id).collect::<Vec<_>>(), vec![b]);
        assert_eq!(store.suppressions(false).unwrap().len(), 2);
        let history = store.audit_for("suppression", &a.to_string()).unwrap();
        assert_eq!(history.last().unwrap().action, "suppression.lift");
        assert_eq!(history.last().unwrap().actor, "carol");
        // Lifting again is a no-op (no second audit row); an unknown id is not found.
        store.lift_suppression(a, "carol").unwrap();
        assert_eq!(
            store
                .audit_for("suppression", &a.to_string())
                .unwrap()
                .len(),
            2
        );
        assert!(matches!(
            store.lift_suppression(999, "carol"),
            Err(StoreError::NotFound { .. })
        ));
    }
}
