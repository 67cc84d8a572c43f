//! Several processes on one data dir at once: writers queue on SQLite's lock and nothing is
//! lost or duplicated.

use std::collections::HashSet;
use std::process::Stdio;

use crate::common::{Sandbox, fixture};

#[test]
fn concurrent_writer_processes_lose_nothing() {
    let sb = Sandbox::new();
    // Initialise the database first, so the processes race on writes, not on creating it.
    sb.json(&["stats"]);
    let ingest = |file: String, batch: &str| {
        sb.cmd()
            .env("TOCSIN_INGEST_BATCH_SIZE", batch)
            .args(["ingest", &file, "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ingest")
    };
    let a = ingest(fixture("loghub/OpenSSH_2k.log"), "25");
    let b = ingest(fixture("suricata/eve.json"), "10");
    let case_ids: Vec<String> = std::thread::scope(|s| {
        let makers: Vec<_> = (0..2)
            .map(|w| {
                let sb = &sb;
                s.spawn(move || {
                    (0..12)
                        .map(|i| {
                            let c = sb.json(&[
                                "--as",
                                &format!("writer{w}"),
                                "cases",
                                "create",
                                "--title",
                                &format!("w{w} case {i}"),
                            ]);
                            c["id"].as_str().unwrap().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        makers.into_iter().flat_map(|m| m.join().unwrap()).collect()
    });
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let unique: HashSet<&String> = case_ids.iter().collect();
    assert_eq!(
        unique.len(),
        24,
        "case ids must be unique across processes: {case_ids:?}"
    );
    let stats = sb.json(&["stats"]);
    assert_eq!(stats["events"], 2000 + 265, "{stats}");
    assert_eq!(stats["cases"], 24);
    let cases = sb.json(&["cases", "list", "--limit", "100"]);
    assert_eq!(cases.as_array().unwrap().len(), 24);
}
