//! The command line end to end on real third-party data (copied into tests/fixtures).

use serde_json::Value;

use crate::common::{Sandbox, fixture, repo};

fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
}

#[test]
fn openssh_2k_gives_2000_events_and_reingest_changes_nothing() {
    let sb = Sandbox::new();
    let log = fixture("loghub/OpenSSH_2k.log");
    let first = sb.json(&["ingest", &log]);
    assert_eq!(n(&first, "events"), 2000, "{first}");
    assert_eq!(n(&first, "new_events"), 2000);
    assert_eq!(n(&first, "rejected"), 0, "{first}");
    assert_eq!(first["formats"]["syslog"]["events"], 2000);
    let stats1 = sb.json(&["stats"]);
    assert_eq!(n(&stats1, "events"), 2000);

    let second = sb.json(&["ingest", &log]);
    assert_eq!(n(&second, "events"), 2000);
    assert_eq!(n(&second, "new_events"), 0, "{second}");
    assert_eq!(n(&second, "known_events"), 2000);
    let stats2 = sb.json(&["stats"]);
    for key in ["events", "alerts", "cases", "rejected"] {
        assert_eq!(stats1[key], stats2[key], "{key} changed on re-ingest");
    }
}

#[test]
fn eve_broken_keeps_every_bad_line_with_its_reason() {
    // The file has 273 lines: 4 blank, 6 that are not JSON, 1 valid JSON whose timestamp has a
    // garbage suffix, 1 `stats` record, and 261 good events (68 of them alerts).
    let sb = Sandbox::new();
    let eve = fixture("suricata/eve_broken.json");
    let s = sb.json(&["ingest", &eve]);
    assert_eq!(n(&s, "events"), 261, "{s}");
    assert_eq!(n(&s, "rejected"), 7, "{s}");
    assert_eq!(n(&s, "blank_lines"), 4);
    assert_eq!(s["skipped"]["suricata stats record"], 1, "{s}");
    let lines: Vec<u64> = s["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| n(r, "line"))
        .collect();
    assert_eq!(lines, vec![1, 2, 4, 5, 104, 160, 270]);
    let reasons: Vec<&str> = s["rejects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("not JSON"), "{reasons:?}");
    assert!(
        reasons[6].starts_with("invalid JSON"),
        "once the input is JSON, a bad line says why as JSON: {reasons:?}"
    );
    assert!(reasons[1].contains("timestamp"), "{reasons:?}");

    let rejects = sb.json(&["rejects", "list"]);
    assert_eq!(rejects.as_array().unwrap().len(), 7);
    assert!(
        rejects
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"].as_str().unwrap().ends_with("eve_broken.json"))
    );
    assert!(
        rejects
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["raw"].as_str().unwrap().contains("asdjpqawjdp"))
    );

    // Again: nothing new, every count the same.
    let before = sb.json(&["stats"]);
    let again = sb.json(&["ingest", &eve]);
    assert_eq!(n(&again, "new_rejected"), 0);
    assert_eq!(n(&again, "new_events"), 0);
    assert_eq!(before, {
        let mut after = sb.json(&["stats"]);
        after["audit"] = before["audit"].clone();
        after
    });
}

#[test]
fn wazuh_record_becomes_a_t1110_alert_at_medium() {
    let sb = Sandbox::new();
    let s = sb.json(&["ingest", &fixture("wazuh/alerts.json")]);
    assert_eq!(n(&s, "alerts"), 1, "{s}");
    let alerts = sb.json(&["alerts", "list", "--technique", "T1110"]);
    let a = &alerts[0];
    assert_eq!(a["rule"]["id"], "5712");
    assert_eq!(a["rule"]["source"], "wazuh");
    assert_eq!(a["severity"], "medium");
    assert_eq!(a["status"], "new");
    assert!(
        a["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "T1110")
    );
    let id = a["id"].as_str().unwrap();
    let shown = sb.json(&["alerts", "show", &id[..8]]);
    assert_eq!(shown["events"].as_array().unwrap().len(), 1);
    assert_eq!(shown["history"][0]["action"], "alert.create");
}

#[test]
fn triage_and_case_lifecycle_are_audited() {
    let sb = Sandbox::new();
    sb.json(&["ingest", &fixture("suricata/eve.json")]);
    sb.json(&["ingest", &fixture("wazuh/alerts.json")]);
    // The 68 Suricata alerts share signature and addresses within the hour: they fold into one.
    let suricata = sb.json(&["alerts", "list", "--source", "suricata"]);
    assert_eq!(suricata.as_array().unwrap().len(), 1);
    assert_eq!(suricata[0]["count"], 68);
    assert_eq!(suricata[0]["event_ids"].as_array().unwrap().len(), 68);
    let alerts = sb.json(&["alerts", "list", "--sort", "severity", "--asc"]);
    let ids: Vec<String> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        alerts[0]["rule"]["source"], "suricata",
        "ascending severity puts the low one first"
    );

    let acked = sb.json(&["--as", "alice", "alerts", "ack", &ids[0]]);
    assert_eq!(acked[0]["status"], "acknowledged");
    assert_eq!(acked[0]["version"], 2);

    let case = sb.json(&[
        "--as",
        "alice",
        "cases",
        "create",
        "--title",
        "apt traffic",
        "--priority",
        "p2",
        "--alert",
        &ids[0],
    ]);
    let case_id = case["id"].as_str().unwrap().to_string();
    assert!(
        case_id.starts_with("CASE-") && case_id.len() == "CASE-2026-0001".len(),
        "{case_id}"
    );
    assert_eq!(case["alert_ids"][0], ids[0].as_str());
    assert!(
        case["observables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["value"] == "172.17.0.2"),
        "{case}"
    );

    sb.json(&[
        "--as",
        "bob",
        "cases",
        "note",
        &case_id,
        "checked: package manager traffic",
    ]);
    let closed = sb.json(&[
        "--as",
        "bob",
        "cases",
        "close",
        &case_id.to_lowercase(),
        "--reason",
        "benign",
    ]);
    assert_eq!(closed["status"], "closed");
    let detail = sb.json(&["cases", "show", &case_id]);
    let kinds: Vec<&str> = detail["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["created", "alert_added", "note", "status_change"]
    );
    let actors: Vec<&str> = detail["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, vec!["alice", "alice", "bob", "bob"]);

    let history = sb.json(&["alerts", "show", &ids[0]])["history"].clone();
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "alert.create");
    assert!(
        actions.iter().filter(|a| **a == "alert.update").count() >= 2,
        "{actions:?}"
    );

    let verdict = sb.json(&[
        "alerts",
        "verdict",
        "false_positive",
        &ids[1],
        "--reason",
        "apt mirror",
    ]);
    assert_eq!(verdict[0]["status"], "closed");
    assert_eq!(verdict[0]["verdict"], "false_positive");
    let open = sb.json(&["alerts", "list", "--status", "new", "--count"]);
    assert_eq!(n(&open, "count"), 0);
    let escalated = sb.json(&[
        "alerts",
        "list",
        "--status",
        "escalated",
        "--case",
        &case_id,
    ]);
    assert_eq!(escalated[0]["id"], ids[0].as_str());
}

#[test]
fn bad_config_names_file_line_and_key() {
    let sb = Sandbox::new();
    let cfg = sb.dir.path().join("tocsin.toml");
    std::fs::write(
        &cfg,
        "[ingest]\nbatch_size = 10\ntimezone = \"UTC\"\nfield_mapp = {}\n",
    )
    .unwrap();
    let out = sb.run(&["--config", cfg.to_str().unwrap(), "stats"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tocsin.toml:4:1")
            && err.contains("ingest.field_mapp")
            && err.contains("unknown field"),
        "{err}"
    );

    let out = sb
        .cmd()
        .env("TOCSIN_INGEST_BATCH_SIZE", "lots")
        .arg("stats")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && err.contains("TOCSIN_INGEST_BATCH_SIZE")
            && err.contains("an integer"),
        "{err}"
    );
}

#[test]
fn example_config_loads_and_paths_reports_it() {
    let sb = Sandbox::new();
    let p = sb.json(&["--config", &repo("config.example.toml"), "paths"]);
    assert_eq!(
        p["data_dir"].as_str().unwrap(),
        sb.data_dir().to_str().unwrap()
    );
    assert!(p["database"].as_str().unwrap().ends_with("tocsin.db"));
    assert_eq!(p["user_config_exists"], false);
}

#[test]
fn missing_input_and_garbage_are_reported_not_fatal() {
    let sb = Sandbox::new();
    let junk = sb.dir.path().join("junk.log");
    std::fs::write(
        &junk,
        "this is not syslog\n\u{0}\u{1}binary\u{fffd}\n{\"half\": \n",
    )
    .unwrap();
    let out = sb
        .cmd()
        .args([
            "ingest",
            junk.to_str().unwrap(),
            "/nonexistent/x.log",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a missing input fails the run");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&s, "rejected"), 3, "{s}");
    assert_eq!(s["input_errors"][0]["input"], "/nonexistent/x.log");
    assert_eq!(n(&sb.json(&["stats"]), "rejected"), 3);
}

#[test]
fn stdin_and_gzip_are_read() {
    use std::io::Write;
    let sb = Sandbox::new();
    let log = std::fs::read(fixture("loghub/OpenSSH_2k.log")).unwrap();
    let gz_path = sb.dir.path().join("auth.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::fast(),
    );
    let half = log
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(999)
        .unwrap()
        .0
        + 1;
    gz.write_all(&log[..half]).unwrap();
    gz.finish().unwrap();
    let s = sb.json(&["ingest", gz_path.to_str().unwrap()]);
    assert_eq!(n(&s, "events"), 1000, "{s}");

    let mut child = sb
        .cmd()
        .args(["ingest", "-", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&log).unwrap();
    let out = child.wait_with_output().unwrap();
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n(&s, "events"), 2000);
    // The same lines from another input map to the same ids: only the second half is new.
    assert_eq!(n(&s, "new_events"), 1000, "{s}");
    assert_eq!(n(&sb.json(&["stats"]), "events"), 2000);
}
