//! The store's guarantees, through the library: folding, version checks, the append-only audit
//! log, migrations.

use jiff::{SignedDuration, Timestamp};
use tocsin::domain::{Alert, AlertSource, AlertStatus, Event, RuleRef, Severity, Verdict};
use tocsin::store::{AlertChange, AlertFilter, Batch, Store, StoreError};

fn event(i: u32, ts: Timestamp, ip: &str) -> Event {
    let mut e = Event::new(
        tocsin::domain::content_id(format!("line {i}").as_bytes(), 0),
        ts,
        ts,
        "test",
        "sshd",
        "syslog",
        format!("Failed password for root from {ip} port 22 ssh2"),
        format!("raw {i}"),
    );
    e.src_ip = ip.parse().ok();
    e.host = Some("bastion-01".into());
    e
}

fn alert_for(e: &Event) -> Alert {
    let rule = RuleRef {
        id: "brute".into(),
        name: "SSH brute force".into(),
        source: AlertSource::Tocsin,
    };
    let mut a = Alert::from_event(
        tocsin::domain::derived_id(&e.id, "alert"),
        rule,
        Severity::High,
        e,
        "x".into(),
    );
    a.techniques = vec!["T1110.001".into()];
    a
}

fn batch(events: Vec<Event>) -> Batch {
    let alerts = events.iter().map(alert_for).collect();
    Batch {
        source: "test".into(),
        events,
        alerts,
        rejected: vec![],
    }
}

#[test]
fn repeats_fold_inside_the_window_and_redelivery_is_a_no_op() {
    let mut store = Store::in_memory().unwrap();
    let t0: Timestamp = "2026-11-20T08:00:00Z".parse().unwrap();
    let evs: Vec<Event> = (0..5)
        .map(|i| event(i, t0 + SignedDuration::from_mins(i as i64), "203.0.113.45"))
        .collect();
    let b = batch(evs);
    let out = store
        .write_batch(&b, "daemon", SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(
        (out.new_events, out.new_alerts, out.folded_alerts),
        (5, 1, 4)
    );
    let again = store
        .write_batch(&b, "daemon", SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(
        (
            again.new_events,
            again.new_alerts,
            again.folded_alerts,
            again.known_alerts
        ),
        (0, 0, 0, 5)
    );
    let alerts = store
        .alerts(&AlertFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 5);
    assert_eq!(alerts[0].event_ids.len(), 5);
    // A sub-technique matches its parent technique filter.
    let f = AlertFilter {
        technique: Some("t1110".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.count_alerts(&f).unwrap(), 1);
    // Outside the window, or another source address: a new alert.
    let later = batch(vec![
        event(9, t0 + SignedDuration::from_hours(3), "203.0.113.45"),
        event(10, t0, "198.51.100.7"),
    ]);
    let out = store
        .write_batch(&later, "daemon", SignedDuration::from_hours(1))
        .unwrap();
    assert_eq!(out.new_alerts, 2);
    // Folding off: every alert stands alone.
    let mut store = Store::in_memory().unwrap();
    let out = store
        .write_batch(&b, "daemon", SignedDuration::ZERO)
        .unwrap();
    assert_eq!(out.new_alerts, 5);
}

#[test]
fn stale_version_is_a_conflict_naming_who_changed_it() {
    let mut store = Store::in_memory().unwrap();
    let t0: Timestamp = "2026-11-20T08:00:00Z".parse().unwrap();
    store
        .write_batch(
            &batch(vec![event(1, t0, "203.0.113.45")]),
            "daemon",
            SignedDuration::ZERO,
        )
        .unwrap();
    let id = store
        .alerts(&AlertFilter {
            limit: 1,
            ..Default::default()
        })
        .unwrap()[0]
        .id
        .clone();
    let v1 = store.alert(&id).unwrap().version;
    store
        .update_alert(
            &id,
            &AlertChange {
                status: Some(AlertStatus::Acknowledged),
                expected_version: Some(v1),
                ..Default::default()
            },
            "alice",
        )
        .unwrap();
    let stale = AlertChange {
        verdict: Some((Verdict::Benign, "noise".into())),
        expected_version: Some(v1),
        ..Default::default()
    };
    match store.update_alert(&id, &stale, "bob") {
        Err(StoreError::Conflict {
            by,
            found,
            expected,
            ..
        }) => {
            assert_eq!((by.as_str(), found, expected), ("alice", v1 + 1, v1));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.alert(&id).unwrap().status, AlertStatus::Acknowledged);
}

#[test]
fn audit_log_is_append_only_and_schema_is_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.db");
    {
        let mut store = Store::open(&path, std::time::Duration::from_secs(1)).unwrap();
        let t0: Timestamp = "2026-11-20T08:00:00Z".parse().unwrap();
        store
            .write_batch(
                &batch(vec![event(1, t0, "203.0.113.45")]),
                "daemon",
                SignedDuration::ZERO,
            )
            .unwrap();
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(n >= 2);
    let upd = conn
        .execute("UPDATE audit SET actor = 'mallory'", [])
        .unwrap_err()
        .to_string();
    assert!(upd.contains("append-only"), "{upd}");
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    // Reopening applies nothing new; a newer schema is refused with a clear message.
    let store = Store::open(&path, std::time::Duration::from_secs(1)).unwrap();
    let v = store.schema_version().unwrap();
    drop(store);
    conn.pragma_update(None, "user_version", v + 1).unwrap();
    let err = Store::open(&path, std::time::Duration::from_secs(1))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("newer than this tocsin knows"), "{err}");
}
