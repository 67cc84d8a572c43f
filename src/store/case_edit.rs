//! Changes to a case from the console's case pane: priority, assignee, taking alerts out, and
//! the case's alerts as light rows. Each change bumps the case's version and writes a
//! timeline entry and an audit row in one transaction.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::cases::{activity, check_version, touch};
use super::{AlertFilter, AlertSort, CaseRef, Result, Store, StoreError, audit, ms};
use crate::domain::{ActivityKind, Alert, AlertStatus, Case, Priority};

impl Store {
    /// Sets a case's priority (unchanged: nothing is written).
    pub fn set_case_priority<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        priority: Priority,
        actor: &str,
    ) -> Result<Case> {
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        let old: i64 = tx.query_row("SELECT priority FROM cases WHERE id = ?1", [&id], |r| {
            r.get(0)
        })?;
        let old = Priority::from_number(old);
        if old != priority {
            tx.execute(
                "UPDATE cases SET priority = ?2 WHERE id = ?1",
                params![id, priority.number()],
            )?;
            touch(&tx, &id, now)?;
            activity(
                &tx,
                &id,
                now,
                actor,
                ActivityKind::PriorityChange,
                &format!("priority {old} -> {priority}"),
                json!({"from": old, "to": priority}),
            )?;
            audit::append(
                &tx,
                now,
                actor,
                "case.priority",
                ("case", &id),
                Some(&json!({"priority": old})),
                Some(&json!({"priority": priority})),
            )?;
            tx.commit()?;
        } else {
            drop(tx);
        }
        self.case(&id).map(|d| d.case)
    }

    /// Assigns a case (`None`, or a blank name, unassigns; unchanged: nothing is written).
    pub fn set_case_assignee<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        assignee: Option<String>,
        actor: &str,
    ) -> Result<Case> {
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let assignee = assignee
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty());
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        let old: Option<String> =
            tx.query_row("SELECT assignee FROM cases WHERE id = ?1", [&id], |r| {
                r.get(0)
            })?;
        if old != assignee {
            tx.execute(
                "UPDATE cases SET assignee = ?2 WHERE id = ?1",
                params![id, assignee],
            )?;
            touch(&tx, &id, now)?;
            let name = |a: &Option<String>| a.clone().unwrap_or_else(|| "nobody".into());
            activity(
                &tx,
                &id,
                now,
                actor,
                ActivityKind::AssigneeChange,
                &format!("assigned {} -> {}", name(&old), name(&assignee)),
                json!({"from": old, "to": assignee}),
            )?;
            audit::append(
                &tx,
                now,
                actor,
                "case.assign",
                ("case", &id),
                Some(&json!({"assignee": old})),
                Some(&json!({"assignee": assignee})),
            )?;
            tx.commit()?;
        } else {
            drop(tx);
        }
        self.case(&id).map(|d| d.case)
    }

    /// Takes alerts out of a case: their case is cleared and an `escalated` alert goes back to
    /// `in_progress` (other statuses stay). The observables they brought stay on the case.
    /// Every alert must be in the case.
    pub fn remove_alerts_from_case<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        alert_ids: &[String],
        actor: &str,
    ) -> Result<Case> {
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let alert_ids = self.resolve_alerts(alert_ids)?;
        if alert_ids.is_empty() {
            return self.case(&id).map(|d| d.case);
        }
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        for alert_id in &alert_ids {
            let row: Option<(Option<String>, String)> = tx
                .query_row(
                    "SELECT case_id, status FROM alerts WHERE id = ?1",
                    [alert_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((Some(current), old_status)) = row.filter(|r| r.0.as_deref() == Some(&id))
            else {
                return Err(StoreError::Invalid(format!(
                    "alert {alert_id} is not in case {id}"
                )));
            };
            let status = if old_status == AlertStatus::Escalated.as_str() {
                AlertStatus::InProgress.as_str().to_string()
            } else {
                old_status.clone()
            };
            tx.execute(
                "UPDATE alerts SET case_id = NULL, status = ?2, version = version + 1, updated_at = ?3
                 WHERE id = ?1",
                params![alert_id, status, ms(now)],
            )?;
            audit::append(
                &tx,
                now,
                actor,
                "alert.update",
                ("alert", alert_id),
                Some(&json!({"case_id": current, "status": old_status})),
                Some(&json!({"case_id": null, "status": status})),
            )?;
            activity(
                &tx,
                &id,
                now,
                actor,
                ActivityKind::AlertRemoved,
                &format!("alert {alert_id} removed"),
                json!({"alert_id": alert_id}),
            )?;
        }
        touch(&tx, &id, now)?;
        audit::append(
            &tx,
            now,
            actor,
            "case.remove_alerts",
            ("case", &id),
            None,
            Some(&json!({"alerts": alert_ids})),
        )?;
        tx.commit()?;
        self.case(&id).map(|d| d.case)
    }

    /// A case's alerts as light rows (no `event_ids`), newest activity first.
    pub fn case_alerts(&self, case_id: &str) -> Result<Vec<Alert>> {
        let id = self.resolve_case(case_id)?;
        self.alert_rows(
            &AlertFilter {
                case_id: Some(id),
                sort: AlertSort::LastSeen,
                limit: usize::MAX,
                ..AlertFilter::default()
            },
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CaseStatus;
    use crate::store::NewCase;
    use crate::store::testkit::{TestAlert, raise_all};

    fn store_with_case() -> (Store, Case, Vec<String>) {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1).host("web-1").seen_min(0, 5),
                TestAlert::new(2).user("bob").seen_min(0, 30),
                TestAlert::new(3).host("db-1"),
            ],
        );
        let case = store
            .create_case(
                &NewCase {
                    title: "Brute force".into(),
                    alert_ids: ids[..2].to_vec(),
                    ..Default::default()
                },
                "ana",
            )
            .unwrap();
        (store, case, ids)
    }

    fn last_activity(store: &Store, id: &str) -> crate::domain::Activity {
        store.case(id).unwrap().activities.pop().unwrap()
    }

    #[test]
    fn priority_change_is_versioned_timelined_and_audited() {
        let (mut store, case, _) = store_with_case();
        assert_eq!(case.priority, Priority::P3);
        let after = store
            .set_case_priority(&case.id, Priority::P1, "bob")
            .unwrap();
        assert_eq!(after.priority, Priority::P1);
        assert_eq!(after.version, case.version + 1);
        let act = last_activity(&store, &case.id);
        assert_eq!(act.kind, ActivityKind::PriorityChange);
        assert_eq!(act.details["from"], "P3");
        let audit = store.audit_for("case", &case.id).unwrap();
        assert_eq!(audit.last().unwrap().action, "case.priority");
        // The same priority again writes nothing.
        let same = store
            .set_case_priority(&case.id, Priority::P1, "bob")
            .unwrap();
        assert_eq!(same.version, after.version);
        assert_eq!(
            store.audit_for("case", &case.id).unwrap().len(),
            audit.len()
        );
        // A stale version is a conflict naming who changed it.
        let err = store
            .set_case_priority(
                CaseRef::at_version(&case.id, case.version),
                Priority::P2,
                "carol",
            )
            .unwrap_err();
        match err {
            StoreError::Conflict { by, found, .. } => {
                assert_eq!((by.as_str(), found), ("bob", after.version));
            }
            other => panic!("{other:?}"),
        }
        let ok = store
            .set_case_priority(
                CaseRef::at_version(&case.id, after.version),
                Priority::P2,
                "carol",
            )
            .unwrap();
        assert_eq!(ok.priority, Priority::P2);
    }

    #[test]
    fn assignee_change_normalises_blank_to_nobody() {
        let (mut store, case, _) = store_with_case();
        let a = store
            .set_case_assignee(&case.id, Some(" dana ".into()), "ana")
            .unwrap();
        assert_eq!(a.assignee.as_deref(), Some("dana"));
        let act = last_activity(&store, &case.id);
        assert_eq!(act.kind, ActivityKind::AssigneeChange);
        assert_eq!(act.body, "assigned nobody -> dana");
        let b = store
            .set_case_assignee(&case.id, Some("  ".into()), "ana")
            .unwrap();
        assert_eq!(b.assignee, None);
        assert_eq!(b.version, a.version + 1);
        let audit = store.audit_for("case", &case.id).unwrap();
        assert_eq!(audit.last().unwrap().action, "case.assign");
        assert_eq!(
            audit.last().unwrap().before.as_ref().unwrap()["assignee"],
            "dana"
        );
    }

    #[test]
    fn removing_alerts_clears_their_case_and_keeps_observables() {
        let (mut store, case, ids) = store_with_case();
        assert_eq!(store.alert(&ids[0]).unwrap().status, AlertStatus::Escalated);
        let after = store
            .remove_alerts_from_case(&case.id, &ids[..1], "ana")
            .unwrap();
        assert_eq!(after.alert_ids, vec![ids[1].clone()]);
        assert_eq!(after.version, case.version + 1);
        let alert = store.alert(&ids[0]).unwrap();
        assert_eq!(
            (alert.case_id, alert.status),
            (None, AlertStatus::InProgress)
        );
        assert!(after.observables.iter().any(|o| o.value == "web-1"));
        let act = last_activity(&store, &case.id);
        assert_eq!(act.kind, ActivityKind::AlertRemoved);
        let history = store.audit_for("alert", &ids[0]).unwrap();
        assert_eq!(
            history.last().unwrap().after.as_ref().unwrap()["status"],
            "in_progress"
        );
        // An alert that is not in the case is refused, and nothing changes.
        let err = store.remove_alerts_from_case(&case.id, &ids[1..], "ana");
        assert!(matches!(err, Err(StoreError::Invalid(_))), "{err:?}");
        assert_eq!(
            store.case(&case.id).unwrap().case.alert_ids,
            vec![ids[1].clone()]
        );
        // A closed alert keeps its status when taken out.
        store
            .update_alert(
                &ids[1],
                &crate::store::AlertChange {
                    status: Some(AlertStatus::Closed),
                    ..Default::default()
                },
                "ana",
            )
            .unwrap();
        store
            .remove_alerts_from_case(&case.id, &ids[1..2], "ana")
            .unwrap();
        assert_eq!(store.alert(&ids[1]).unwrap().status, AlertStatus::Closed);
    }

    #[test]
    fn case_alerts_are_light_and_newest_first() {
        let (store, case, ids) = store_with_case();
        let rows = store.case_alerts(&case.id.to_lowercase()).unwrap();
        assert_eq!(
            rows.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec![ids[1].as_str(), ids[0].as_str()]
        );
        assert!(rows.iter().all(|a| a.event_ids.is_empty()));
        assert!(matches!(
            store.case_alerts("CASE-1999-0001"),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn notes_and_status_changes_bump_the_version_and_check_it() {
        let (mut store, case, ids) = store_with_case();
        store.add_note(&case.id, "looked at it", "ana").unwrap();
        let v1 = store.case(&case.id).unwrap().case.version;
        assert_eq!(v1, case.version + 1);
        let err = store.set_case_status(
            CaseRef::at_version(&case.id, case.version),
            CaseStatus::Closed,
            "",
            "bob",
        );
        assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
        let closed = store
            .set_case_status(
                CaseRef::at_version(&case.id, v1),
                CaseStatus::Closed,
                "done",
                "bob",
            )
            .unwrap();
        assert_eq!(closed.version, v1 + 1);
        let err = store.add_alerts_to_case(CaseRef::at_version(&case.id, v1), &ids[2..], "bob");
        assert!(matches!(err, Err(StoreError::Conflict { .. })), "{err:?}");
    }

    #[test]
    fn moving_an_alert_between_cases_records_it_on_both() {
        let (mut store, case, ids) = store_with_case();
        let other = store
            .create_case(
                &NewCase {
                    title: "Other".into(),
                    ..Default::default()
                },
                "ana",
            )
            .unwrap();
        store
            .add_alerts_to_case(&other.id, &ids[..1], "ana")
            .unwrap();
        let old = store.case(&case.id).unwrap();
        assert_eq!(old.case.alert_ids, vec![ids[1].clone()]);
        assert_eq!(old.case.version, case.version + 1);
        let act = old.activities.last().unwrap();
        assert_eq!(act.kind, ActivityKind::AlertRemoved);
        assert_eq!(act.details["to"], other.id.as_str());
    }
}
