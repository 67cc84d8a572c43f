//! Tests of the pure parts of `bench search`: the corpus generator, the event reader, the
//! percentile helper and the brute-force neighbours. Nothing here is timed.

use std::time::Duration;

use super::corpus::{self, EventReader, SplitMix};
use super::knn::brute_force;
use super::{Pcts, percentile};

fn corpus(lines: u64, seed: u64) -> (Vec<u8>, corpus::CorpusInfo) {
    let mut out = Vec::new();
    let info = corpus::generate(&mut out, lines, seed).expect("generate");
    (out, info)
}

#[test]
fn corpus_is_deterministic_for_a_seed() {
    let (a, ia) = corpus(2_000, 7);
    let (b, ib) = corpus(2_000, 7);
    let (c, _) = corpus(2_000, 8);
    assert_eq!(a, b);
    assert_eq!(ia, ib);
    assert_ne!(a, c);
    assert_eq!(ia.bytes, a.len() as u64);
    assert_eq!(ia.lines, 2_000);
    // The first lines do not depend on how many follow.
    let (short, _) = corpus(100, 7);
    assert!(a.starts_with(&short));
}

#[test]
fn corpus_lines_parse_into_events() {
    let (bytes, info) = corpus(5_000, 3);
    let text = String::from_utf8(bytes).expect("utf-8");
    let mut reader = EventReader::new();
    let mut programs = std::collections::BTreeSet::new();
    let mut ids = std::collections::HashSet::new();
    let mut last = i64::MIN;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["ts", "host", "program", "user", "message"]);
        let e = reader.event(line).expect("event");
        assert_eq!(e.raw, line);
        assert_eq!(e.process.as_deref(), Some(e.dataset.as_str()));
        assert!(e.host.as_deref().is_some_and(|h| h.starts_with("web")));
        assert!(e.timestamp.as_second() >= last);
        last = e.timestamp.as_second();
        programs.insert(e.dataset.clone());
        assert!(ids.insert(e.id), "ids stay distinct, repeated lines too");
    }
    assert_eq!(last, info.last_ts);
    assert_eq!(
        programs.into_iter().collect::<Vec<_>>(),
        ["cron", "kernel", "nginx", "sshd", "sudo"]
    );
    let quoted = text
        .lines()
        .find(|l| l.contains("apparmor"))
        .expect("a kernel line");
    let e = EventReader::new().event(quoted).expect("event");
    assert!(e.message.contains(r#"apparmor="DENIED""#), "{}", e.message);
}

#[test]
fn repeated_lines_get_their_ordinal() {
    let line = r#"{"ts": 5, "host": "web01", "program": "sudo", "user": "bob", "message": "m"}"#;
    let mut r = EventReader::new();
    let a = r.event(line).expect("event");
    let b = r.event(line).expect("event");
    assert_ne!(a.id, b.id);
    assert_eq!(r.duplicates, 1);
    assert_eq!(a.id, crate::domain::content_id(line.as_bytes(), 0));
    assert_eq!(b.id, crate::domain::content_id(line.as_bytes(), 1));
    assert!(r.event("not json").is_err());
}

#[test]
fn splitmix_ranges() {
    let mut r = SplitMix::new(1);
    for _ in 0..10_000 {
        assert!(r.unit() < 1.0);
        assert!(r.below(7) < 7);
        assert!((1024..=65535).contains(&r.int(1024, 65535)));
    }
}

#[test]
fn percentiles_by_nearest_rank() {
    let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&sorted, 0.50), 50.0);
    assert_eq!(percentile(&sorted, 0.99), 99.0);
    assert_eq!(percentile(&sorted, 1.0), 100.0);
    assert_eq!(percentile(&[4.0], 0.99), 4.0);
    assert!(percentile(&[], 0.5).is_nan());
    let samples: Vec<Duration> = (1..=10).rev().map(Duration::from_millis).collect();
    let p = Pcts::of(&samples);
    assert_eq!(p.count, 10);
    assert!((p.p50_ms - 5.0).abs() < 1e-9);
    assert!((p.max_ms - 10.0).abs() < 1e-9);
}

#[test]
fn brute_force_finds_the_nearest() {
    let items: Vec<(u64, Vec<f32>)> = vec![
        (10, vec![1.0, 0.0]),
        (11, vec![0.0, 1.0]),
        (12, vec![0.6, 0.8]),
    ];
    let found = brute_force(&items, &[vec![1.0, 0.0], vec![0.0, 1.0]], 2).expect("search");
    let keys: Vec<Vec<u64>> = found
        .iter()
        .map(|n| n.iter().map(|n| n.key).collect())
        .collect();
    assert_eq!(keys, [vec![10, 12], vec![11, 12]]);
}
