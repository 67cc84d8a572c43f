//! Tests of the text index: schema round trip, replace-by-id, queries over a small index.

use super::*;
use crate::domain::Outcome;

fn event(id: &str, ts: &str, message: &str) -> Event {
    let t: Timestamp = ts.parse().unwrap();
    let mut e = Event::new(
        id.into(),
        t,
        t,
        "/var/log/auth.log",
        "sshd",
        "syslog",
        message.into(),
        format!("raw {message}"),
    );
    e.host = Some("web-01".into());
    e
}

fn sample() -> Vec<Event> {
    let mut a = event(
        "a",
        "2026-11-01T08:00:00Z",
        "Failed password for root from 10.0.0.5 port 22 ssh2",
    );
    a.user = Some("root".into());
    a.src_ip = Some("10.0.0.5".parse().unwrap());
    a.outcome = Some(Outcome::Failure);
    a.techniques = vec!["T1110".into(), "T1110.001".into()];
    a.template_id = Some("tpl-1".into());
    let mut b = event(
        "b",
        "2026-11-02T09:00:00Z",
        "Accepted password for alice from 10.0.0.6 port 22 ssh2",
    );
    b.user = Some("alice".into());
    b.src_ip = Some("10.0.0.6".parse().unwrap());
    let mut c = event("c", "2026-11-03T10:00:00Z", "password Failed oddly for bob");
    c.host = Some("db-02".into());
    c.dataset = "pam".into();
    vec![a, b, c]
}

fn indexed(events: &[Event]) -> (tempfile::TempDir, TextIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = TextIndex::open(&dir.path().join("index")).unwrap();
    let mut w = index.writer(15_000_000).unwrap();
    w.add_all(events).unwrap();
    w.commit().unwrap();
    index.reload().unwrap();
    (dir, index)
}

#[test]
fn stored_fields_round_trip() {
    let events = sample();
    let (_dir, index) = indexed(&events);
    let hits = index.search("user:root", 10, Order::Newest).unwrap();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!(h.id, "a");
    assert_eq!(h.ts, events[0].timestamp);
    assert_eq!(h.dataset, "sshd");
    assert_eq!(h.host.as_deref(), Some("web-01"));
    assert_eq!(h.src_ip.as_deref(), Some("10.0.0.5"));
    assert_eq!(h.message, events[0].message);
    assert_eq!(h.score, None);
    // Every keyword field is searchable by its exact value.
    for q in [
        "outcome:failure",
        "technique:T1110.001",
        "technique:T1110",
        "template:tpl-1",
        "src_ip:10.0.0.5",
        "source:\"/var/log/auth.log\" AND user:root",
    ] {
        assert_eq!(index.count(q).unwrap(), 1, "{q}");
    }
    // The raw input is stored, not indexed.
    assert!(index.count("raw:Failed").is_err());
}

#[test]
fn re_adding_an_event_replaces_it() {
    let events = sample();
    let (_dir, index) = indexed(&events);
    assert_eq!(index.num_docs(), 3);
    let mut w = index.writer(15_000_000).unwrap();
    w.add_all(&events).unwrap();
    let mut changed = events[1].clone();
    changed.message = "Accepted publickey for alice".into();
    w.add(&changed).unwrap();
    w.commit().unwrap();
    index.reload().unwrap();
    assert_eq!(index.num_docs(), 3);
    assert_eq!(index.count("publickey").unwrap(), 1);
    assert_eq!(index.count("Accepted AND password").unwrap(), 0);
}

#[test]
fn phrases_fields_and_boolean_queries() {
    let (_dir, index) = indexed(&sample());
    // The phrase needs the words in order; the bare words only need both.
    assert_eq!(index.count("\"Failed password\"").unwrap(), 1);
    assert_eq!(index.count("Failed password").unwrap(), 2);
    assert_eq!(index.count("failed OR accepted").unwrap(), 3);
    assert_eq!(index.count("password -root").unwrap(), 2);
    assert_eq!(index.count("password NOT host:web-01").unwrap(), 1);
    assert_eq!(index.count("dataset:sshd").unwrap(), 2);
    assert_eq!(index.count("host:web-01 AND user:alice").unwrap(), 1);
    // Exact-match fields do not match parts of a value.
    assert_eq!(index.count("host:web").unwrap(), 0);
}

#[test]
fn time_windows_and_order() {
    let (_dir, index) = indexed(&sample());
    assert_eq!(index.count("from:2026-11-02").unwrap(), 2);
    assert_eq!(index.count("to:2026-11-01").unwrap(), 1);
    assert_eq!(index.count("from:2026-11-02 to:2026-11-02").unwrap(), 1);
    assert_eq!(
        index
            .count("password from:2026-11-01T08:00:01Z to:2026-11-03T10:00:00Z")
            .unwrap(),
        1
    );
    // Far in the past relative to now: nothing in the last day.
    assert_eq!(index.count("last:24h").unwrap(), 0);
    let ids: Vec<String> = index
        .search("password", 10, Order::Newest)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, vec!["c", "b", "a"]);
    let scored = index.search("root", 10, Order::Score).unwrap();
    assert_eq!(scored.len(), 1);
    assert!(scored[0].score.is_some_and(|s| s > 0.0));
    assert!(
        index
            .search("password", 0, Order::Newest)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_queries_name_the_offending_token() {
    let (_dir, index) = indexed(&sample());
    let e = index
        .count("user:root hots:web-01")
        .unwrap_err()
        .to_string();
    assert!(e.contains("`hots:web-01`"), "{e}");
    assert!(e.contains("fields:"), "{e}");
    let e = index
        .count("user:root AND (password")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bad query at `"), "{e}");
    let e = index.count("password last:soon").unwrap_err().to_string();
    assert!(e.contains("`last:soon`"), "{e}");
}

#[test]
fn another_writer_is_refused_clearly() {
    let (_dir, index) = indexed(&sample());
    let _w = index.writer(15_000_000).unwrap();
    let e = index.writer(15_000_000).unwrap_err();
    assert!(matches!(e, IndexError::Locked(_)), "{e:?}");
    assert!(
        e.to_string()
            .contains("another tocsin process holds the index writer")
    );
}

#[test]
fn an_index_of_another_version_is_reported() {
    let (dir, index) = indexed(&sample());
    let path = index.dir().to_path_buf();
    drop(index);
    std::fs::write(path.join(VERSION_FILE), "0\n").unwrap();
    let e = TextIndex::open(&path).unwrap_err();
    assert!(e.to_string().contains("tocsin index rebuild"), "{e}");
    let fresh = TextIndex::recreate(&path).unwrap();
    assert_eq!(fresh.num_docs(), 0);
    drop(dir);
}

#[test]
fn commits_wait_for_the_interval() {
    let (_dir, index) = indexed(&[]);
    let mut w = index.writer(15_000_000).unwrap();
    assert!(!w.commit_if_due().unwrap(), "nothing pending");
    w.add(&sample()[0]).unwrap();
    w.last_commit = Instant::now() - COMMIT_EVERY;
    assert!(w.commit_if_due().unwrap());
    assert_eq!(w.pending(), 0);
    w.finish().unwrap();
    index.reload().unwrap();
    assert_eq!(index.num_docs(), 1);
}
