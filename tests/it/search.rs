//! `tocsin search` end to end: the index agrees with the data and the store, re-ingesting
//! changes nothing, and a reader in another process sees new commits.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Sandbox, fixture};

const SSH: &str = "loghub/OpenSSH_2k.log";

fn count(sb: &Sandbox, query: &str) -> u64 {
    let v = sb.json(&["search", query, "--count"]);
    v["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("no count in {v}"))
}

fn store_count(sb: &Sandbox, sql: &str) -> u64 {
    let conn = rusqlite::Connection::open(sb.data_dir().join("tocsin.db")).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

#[test]
fn openssh_search_agrees_with_the_data_and_the_store() {
    let sb = Sandbox::new();
    let log = fixture(SSH);
    let text = std::fs::read_to_string(&log).unwrap();
    let failed = text
        .lines()
        .filter(|l| l.contains("Failed password"))
        .count() as u64;
    assert_eq!(failed, 520, "the fixture changed");

    let s = sb.json(&["ingest", &log, "--year", "2017"]);
    assert_eq!(s["new_events"], 2000, "{s}");
    assert_eq!(count(&sb, "\"Failed password\""), failed);

    let root = store_count(&sb, "SELECT COUNT(*) FROM events WHERE user = 'root'");
    assert!(root > 0);
    assert_eq!(count(&sb, "user:root"), root);
    let (ip, n): (String, i64) = rusqlite::Connection::open(sb.data_dir().join("tocsin.db"))
        .unwrap()
        .query_row(
            "SELECT src_ip, COUNT(*) FROM events WHERE src_ip IS NOT NULL
             GROUP BY src_ip ORDER BY 2 DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(count(&sb, &format!("src_ip:{ip}")), n as u64, "{ip}");
    let both = store_count(
        &sb,
        "SELECT COUNT(*) FROM events WHERE user = 'root' AND message LIKE '%Failed password%'",
    );
    assert_eq!(count(&sb, "\"Failed password\" AND user:root"), both);
    assert_eq!(count(&sb, "from:2017-01-01"), 2000);
    assert_eq!(count(&sb, "from:2017-01-01 last:1d"), 0);

    // Hits: newest first, with the fields the JSON promises.
    let hits: Value = sb.json(&["search", "\"Failed password\"", "--limit", "5"]);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 5);
    let ts: Vec<&str> = hits.iter().map(|h| h["ts"].as_str().unwrap()).collect();
    let mut sorted = ts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ts, sorted, "newest first");
    for h in hits {
        assert!(h["message"].as_str().unwrap().contains("Failed password"));
        assert_eq!(h["dataset"], "sshd");
        assert!(h["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(h["src_ip"].is_string(), "{h}");
    }

    // Re-ingesting the same file adds nothing to the index either.
    let again = sb.json(&["ingest", &log, "--year", "2017"]);
    assert_eq!(again["new_events"], 0, "{again}");
    assert_eq!(count(&sb, "\"Failed password\""), failed);
    assert_eq!(count(&sb, "from:2017-01-01"), 2000);

    // A bad query names its token and fails.
    let out = sb.run(&["search", "user:root hots:LabSZ"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`hots:LabSZ`"), "{err}");
}

#[test]
fn rebuild_indexes_events_stored_without_the_index() {
    let sb = Sandbox::new();
    let log = fixture(SSH);
    sb.json(&["ingest", &log, "--year", "2017", "--no-index"]);
    assert_eq!(count(&sb, "\"Failed password\""), 0);
    let r = sb.json(&["index", "rebuild"]);
    assert_eq!(r["indexed"], 2000, "{r}");
    assert_eq!(count(&sb, "\"Failed password\""), 520);
    let r = sb.json(&["index", "rebuild"]);
    assert_eq!(r["indexed"], 2000, "{r}");
    assert_eq!(count(&sb, "from:2017-01-01"), 2000);
}

#[test]
fn an_open_reader_sees_another_process_commit() {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(fixture(SSH)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (first, second) = lines.split_at(lines.len() / 2);
    let failed = |ls: &[&str]| ls.iter().filter(|l| l.contains("Failed password")).count();
    let a = sb.dir.path().join("a.log");
    let b = sb.dir.path().join("b.log");
    std::fs::write(&a, first.join("\n") + "\n").unwrap();
    std::fs::write(&b, second.join("\n") + "\n").unwrap();

    sb.json(&["ingest", a.to_str().unwrap(), "--year", "2017"]);
    let index = tocsin::index::TextIndex::open(&sb.data_dir().join("index")).unwrap();
    let phrase = "\"Failed password\"";
    assert_eq!(index.count(phrase).unwrap(), failed(first));
    assert!(failed(second) > 0);

    sb.json(&["ingest", b.to_str().unwrap(), "--year", "2017"]);
    let want = failed(first) + failed(second);
    let started = Instant::now();
    let mut seen = index.count(phrase).unwrap();
    while seen != want && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
        seen = index.count(phrase).unwrap();
    }
    assert_eq!(seen, want, "the reader did not follow the commit");
    eprintln!("reader caught up after {:?}", started.elapsed());
}
