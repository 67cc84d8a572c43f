//! Detection end to end: Sigma rule loading and refusals, the SigmaHQ regression events (JSON
//! and `.evtx`), the sshd brute-force correlation on real sshd logs, ATT&CK roll-up and the
//! Navigator layer of the demo incident.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Sandbox, fixture, repo};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// The rule id an `info.yml` names (`rule_metadata: - id: ...`).
fn info_rule_id(info: &Path) -> String {
    let text = std::fs::read_to_string(info).expect("info.yml");
    let after = text.split("rule_metadata:").nth(1).expect("rule_metadata");
    let line = after
        .lines()
        .find(|l| l.trim_start().starts_with("- id:"))
        .expect("rule id");
    line.trim().trim_start_matches("- id:").trim().to_string()
}

/// Every event file (`.json`, `.evtx`) under a regression folder, with its rule id.
fn regression_files(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in walkdir(root) {
        if entry.file_name().and_then(|n| n.to_str()) == Some("info.yml") {
            let id = info_rule_id(&entry);
            let dir = entry.parent().expect("folder");
            for f in std::fs::read_dir(dir).expect("read folder") {
                let p = f.expect("entry").path();
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                if ext == "json" || ext == "evtx" {
                    out.push((p, id.clone()));
                }
            }
        }
    }
    out.sort();
    out
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Runs `sigma test --json` and returns input path -> rule ids that matched it.
fn matches(sb: &Sandbox, rules: &[String], events: &str) -> HashMap<String, HashSet<String>> {
    let mut args: Vec<&str> = vec!["sigma", "test", events, "--no-builtin", "--rules"];
    args.extend(rules.iter().map(String::as_str));
    let out = sb.json(&args);
    let mut by: HashMap<String, HashSet<String>> = HashMap::new();
    for m in out.as_array().expect("array") {
        assert!(m["position"].as_u64().is_some() && m["title"].is_string());
        by.entry(m["input"].as_str().expect("input").to_string())
            .or_default()
            .insert(m["rule_id"].as_str().expect("rule id").to_string());
    }
    by
}

fn assert_all_matched(by: &HashMap<String, HashSet<String>>, files: &[(PathBuf, String)]) {
    let misses: Vec<String> = files
        .iter()
        .filter(|(f, id)| {
            !by.get(&f.display().to_string())
                .is_some_and(|ids| ids.contains(id))
        })
        .map(|(f, id)| format!("{} (rule {id})", f.display()))
        .collect();
    assert!(misses.is_empty(), "not matched by their rule: {misses:#?}");
}

#[test]
fn fixture_rules_all_load_and_a_bad_rule_is_reported_with_its_reason() {
    let sb = Sandbox::new();
    let r = sb.json(&["sigma", "check", &fixture("sigma-rules")]);
    // 17 SigmaHQ rule files + 3 built-in files (4 rules, 2 of them correlations).
    assert_eq!(r["files"], 20);
    assert_eq!(r["rules"], 19);
    assert_eq!(r["correlations"], 2);
    assert_eq!(r["refused"].as_array().map(Vec::len), Some(0));

    let bad = sb.dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("old_aggregation.yml"),
        "title: t\nlogsource: {product: linux}\ndetection:\n  sel: {a: 1}\n  condition: sel | count() > 5\n",
    )
    .unwrap();
    let out = sb.run(&[
        "sigma",
        "check",
        "--no-builtin",
        &bad.display().to_string(),
        "--json",
    ]);
    assert!(!out.status.success(), "a refusal is a non-zero exit");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        r["refused"][0]["path"],
        bad.join("old_aggregation.yml").display().to_string()
    );
    assert!(
        r["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Condition")
    );
}

#[test]
fn regression_fixture_events_match_their_rules_from_json_and_evtx() {
    let sb = Sandbox::new();
    let root = PathBuf::from(fixture("sigma-regression"));
    let files = regression_files(&root);
    assert_eq!(files.len(), 24, "12 folders, a .json and an .evtx each");
    let by = matches(&sb, &[fixture("sigma-rules")], &root.display().to_string());
    assert_all_matched(&by, &files);
}

#[test]
fn sshd_brute_force_on_real_logs_raises_one_alert_per_source_with_every_attempt() {
    let sb = Sandbox::new();
    let s = sb.json(&[
        "ingest",
        &fixture("loghub/OpenSSH_2k.log"),
        "--year",
        "2017",
    ]);
    assert_eq!(s["events"], 2000);
    let alerts = sb.json(&[
        "alerts",
        "list",
        "--entity",
        "183.62.140.253",
        "--limit",
        "50",
    ]);
    let list = alerts
        .as_array()
        .or_else(|| alerts["alerts"].as_array())
        .expect("alerts");
    let brute: Vec<&Value> = list
        .iter()
        .filter(|a| a["rule"]["name"] == "SSH Brute Force From One Source Address")
        .collect();
    assert_eq!(brute.len(), 1, "{list:#?}");
    // 286 "Failed password" lines come from 183.62.140.253 (grep the log).
    assert_eq!(brute[0]["count"], 286);
    assert_eq!(brute[0]["severity"], "high");
    assert_eq!(brute[0]["techniques"][0], "T1110.001");
    // Ingesting again changes nothing.
    let again = sb.json(&[
        "ingest",
        &fixture("loghub/OpenSSH_2k.log"),
        "--year",
        "2017",
    ]);
    assert_eq!(again["new_alerts"], 0);
    assert_eq!(again["folded_alerts"], 0);
}

#[test]
fn demo_rollup_and_navigator_layer_follow_the_layer_format() {
    let sb = Sandbox::new();
    sb.json(&["ingest", &repo("data/demo"), "--year", "2026"]);
    let rollup = sb.json(&["attack", "rollup"]);
    let rows = rollup.as_array().expect("rows");
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["count"].as_u64() >= r["alerts"].as_u64())
    );
    let t1110 = rows
        .iter()
        .find(|r| r["technique"] == "T1110.001")
        .expect("T1110.001");
    assert_eq!(t1110["name"], "Brute Force: Password Guessing");

    let out = sb.run(&["export-layer"]);
    assert!(out.status.success());
    let layer: Value = serde_json::from_slice(&out.stdout).expect("layer JSON");
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["domain"], "enterprise-attack");
    assert!(layer["name"].is_string());
    let g = &layer["gradient"];
    assert!(g["colors"].as_array().unwrap().len() >= 2);
    assert!(g["maxValue"].as_f64() > g["minValue"].as_f64());
    let allowed = [
        "techniqueID",
        "tactic",
        "comment",
        "enabled",
        "score",
        "color",
        "metadata",
        "links",
        "showSubtechniques",
    ];
    let techniques = layer["techniques"].as_array().unwrap();
    assert!(!techniques.is_empty());
    for t in techniques {
        let id = t["techniqueID"].as_str().unwrap();
        assert!(id.starts_with('T'), "{id}");
        for key in t.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "unknown technique key {key}"
            );
        }
    }
    // T1078 sits under four tactics: one tactic-qualified entry each.
    let t1078 = techniques
        .iter()
        .filter(|t| t["techniqueID"] == "T1078")
        .count();
    assert_eq!(t1078, 4);
}

#[test]
fn corpus_every_sigmahq_rule_loads_or_is_reported() {
    let sigma = Path::new(SHARED).join("sigma");
    if !sigma.exists() {
        println!("skipped: ../shared/data absent");
        return;
    }
    let sb = Sandbox::new();
    let rules = sigma.join("rules").display().to_string();
    let r = sb.json(&["sigma", "check", "--no-builtin", &rules]);
    // SOURCE.txt: rules/ holds 3,141 rule files; every one loads.
    assert_eq!(r["files"], 3141);
    assert_eq!(
        r["refused"].as_array().map(Vec::len),
        Some(0),
        "{:#}",
        r["refused"]
    );
    let all: Vec<String> = [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-placeholder",
        "rules-compliance",
        "deprecated",
        "unsupported",
    ]
    .iter()
    .map(|d| sigma.join(d).display().to_string())
    .collect();
    let mut args = vec!["sigma", "check", "--no-builtin"];
    args.extend(all.iter().map(String::as_str));
    let out = sb.run(
        &args
            .iter()
            .chain(["--json"].iter())
            .copied()
            .collect::<Vec<_>>(),
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["files"], 4039);
    let refused = r["refused"].as_array().unwrap();
    // Only Sigma v1 aggregations (`| count()`, `near`) in unsupported/ and one deprecated rule.
    assert_eq!(refused.len(), 59);
    for f in refused {
        let p = f["path"].as_str().unwrap();
        assert!(
            p.contains("/unsupported/") || p.contains("/deprecated/"),
            "{f}"
        );
        assert!(f["reason"].as_str().unwrap().contains("Condition"), "{f}");
    }
}

#[test]
fn corpus_every_regression_event_matches_its_rule_among_all_rules() {
    let sigma = Path::new(SHARED).join("sigma");
    if !sigma.exists() {
        println!("skipped: ../shared/data absent");
        return;
    }
    let sb = Sandbox::new();
    let root = sigma.join("regression_data");
    let files = regression_files(&root);
    // 202 folders with a .json and its .evtx each (SOURCE.txt).
    assert_eq!(files.len(), 404);
    let rules: Vec<String> = [
        "rules",
        "rules-emerging-threats",
        "rules-threat-hunting",
        "rules-placeholder",
        "rules-compliance",
    ]
    .iter()
    .map(|d| sigma.join(d).display().to_string())
    .collect();
    let by = matches(&sb, &rules, &root.display().to_string());
    assert_all_matched(&by, &files);
}
