//! Similarity end to end on real logs: vectors written while ingesting, `~"..."` and hybrid
//! queries, `tocsin similar` for alerts and events, a rebuild, another process picking up new
//! vector files, and the labelled fallback when no model is there.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tocsin::embed::Embedder;
use tocsin::index::semantic::Semantic;

use crate::common::{Sandbox, fixture};

const SSH: &str = "loghub/OpenSSH_2k.log";
const LINUX: &str = "loghub/Linux_2k.log";

/// Runs `tocsin ARGS --json` with the model (or none: the fallback) and returns stdout as JSON
/// and stderr as text.
fn run(sb: &Sandbox, model: Option<&PathBuf>, args: &[&str]) -> (Value, String) {
    let mut cmd = sb.cmd();
    match model {
        Some(dir) => cmd.env("TOCSIN_EMBED_MODEL_DIR", dir),
        None => cmd.env_remove("TOCSIN_EMBED_MODEL_DIR"),
    };
    let out = cmd.args(args).arg("--json").output().expect("run tocsin");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "tocsin {args:?} failed: {stderr}");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "tocsin {args:?}: bad JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (v, stderr)
}

fn meta(sb: &Sandbox, name: &str) -> Value {
    let path = sb
        .data_dir()
        .join("vectors")
        .join(format!("{name}.meta.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn store_count(sb: &Sandbox, sql: &str) -> u64 {
    let conn = rusqlite::Connection::open(sb.data_dir().join("tocsin.db")).unwrap();
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() as u64
}

fn messages(hits: &Value) -> Vec<String> {
    hits.as_array()
        .expect("hits")
        .iter()
        .map(|h| h["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn semantic_search_similar_and_rebuild_with_minilm() {
    let model = crate::embed::model_dir();
    let sb = Sandbox::new();
    let m = Some(&model);
    run(&sb, m, &["ingest", &fixture(SSH), "--year", "2017"]);

    // One vector per distinct template and per alert, made by the real model.
    let templates = store_count(&sb, "SELECT COUNT(DISTINCT template_id) FROM events");
    let alerts = store_count(&sb, "SELECT COUNT(*) FROM alerts");
    assert!(templates > 20 && alerts > 0, "{templates} {alerts}");
    assert_eq!(meta(&sb, "templates")["count"], templates);
    assert_eq!(meta(&sb, "templates")["model_id"], "all-MiniLM-L6-v2");
    assert_eq!(meta(&sb, "alerts")["count"], alerts);

    // Semantic: no word of the query is in the log, the meaning is.
    let (hits, stderr) = run(
        &sb,
        m,
        &[
            "search",
            r#"~"brute force password guessing""#,
            "--limit",
            "10",
        ],
    );
    assert!(stderr.contains("all-MiniLM-L6-v2"), "{stderr}");
    let msgs = messages(&hits);
    assert_eq!(msgs.len(), 10);
    assert!(msgs[0].contains("Failed password"), "{msgs:?}");
    let auth = msgs
        .iter()
        .filter(|m| m.contains("Failed") || m.contains("authentication failure"))
        .count();
    assert!(auth >= 5, "{msgs:?}");
    // Every hit carries its fused score, best first.
    let scores: Vec<f64> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().expect("score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    // Hybrid: field filters narrow both sides.
    let (hits, _) = run(
        &sb,
        m,
        &["search", r#"user:root ~"login rejected""#, "--limit", "20"],
    );
    for h in hits.as_array().unwrap() {
        assert_eq!(h["user"], "root", "{h}");
    }
    let (count, _) = run(
        &sb,
        m,
        &["search", r#"user:root ~"login rejected""#, "--count"],
    );
    let root = store_count(&sb, "SELECT COUNT(*) FROM events WHERE user = 'root'");
    let n = count["count"].as_u64().unwrap();
    assert!(n > 0 && n <= root, "{n} of {root}");

    // Similar alerts: the brute-force alerts of other addresses are near.
    let (list, _) = run(&sb, m, &["alerts", "list"]);
    let first = &list.as_array().unwrap()[0];
    let id = first["id"].as_str().unwrap();
    let (sim, _) = run(&sb, m, &["similar", &id[..10]]);
    assert_eq!(sim["kind"], "alert");
    assert_eq!(sim["of"]["id"], id);
    let near = sim["similar"].as_array().unwrap();
    assert_eq!(near.len() as u64, alerts - 1, "{sim}");
    assert!(near.iter().all(|a| a["id"] != id));
    assert_eq!(near[0]["rule"]["name"], first["rule"]["name"]);
    assert!(near[0]["similarity"].as_f64().unwrap() > 0.9, "{sim}");

    // Similar events: the event's own template first, never the event itself.
    let (hits, _) = run(&sb, m, &["search", r#""Invalid user""#, "--limit", "1"]);
    let event = hits[0]["id"].as_str().unwrap().to_string();
    let template = hits[0]["template"].clone();
    let (sim, _) = run(&sb, m, &["similar", &event, "--limit", "5"]);
    assert_eq!(sim["kind"], "event");
    assert_eq!(sim["semantic"]["templates"][0]["id"], template, "{sim}");
    let hits = sim["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.iter().all(|h| h["id"] != event.as_str()));
    assert!(hits.iter().all(|h| h["template"] == template), "{sim}");

    // A rebuild embeds the same things again.
    let (r, _) = run(&sb, m, &["index", "rebuild"]);
    assert_eq!(r["templates"], templates, "{r}");
    assert_eq!(r["alerts"], alerts, "{r}");

    // Another process publishes new vectors; an open reader picks the files up.
    let embedder = Arc::new(Embedder::minilm(&model).expect("model"));
    let mut reader = Semantic::open(&sb.data_dir(), embedder).expect("reader");
    assert_eq!(reader.counts().0 as u64, templates);
    run(&sb, m, &["ingest", &fixture(LINUX), "--year", "2005"]);
    reader.refresh().expect("refresh");
    let all = store_count(&sb, "SELECT COUNT(DISTINCT template_id) FROM events");
    assert!(all > templates);
    assert_eq!(reader.counts().0 as u64, all);
    let near = reader
        .templates_near_text("kernel hardware driver message", 3)
        .expect("search");
    let linux: std::collections::HashSet<String> = {
        let conn = rusqlite::Connection::open(sb.data_dir().join("tocsin.db")).unwrap();
        let mut stmt = conn
            .prepare("SELECT DISTINCT template_id FROM events WHERE source LIKE '%Linux%'")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert!(linux.contains(&near[0].id), "{near:?}");
}

#[test]
fn without_a_model_the_fallback_is_labelled_and_never_mixed() {
    let sb = Sandbox::new();
    let none = sb.dir.path().join("no-model");
    let missing = Some(&none);
    let (_, stderr) = run(&sb, missing, &["ingest", &fixture(SSH), "--year", "2017"]);
    assert!(stderr.contains("lexical hashing embedder"), "{stderr}");
    assert!(
        stderr.contains("no-model"),
        "names where it looked: {stderr}"
    );
    assert_eq!(meta(&sb, "templates")["model_id"], "hashing-v1");
    let (hits, stderr) = run(
        &sb,
        missing,
        &["search", r#"~"Failed password for root""#, "--limit", "3"],
    );
    assert!(stderr.contains("hashing"), "{stderr}");
    assert!(messages(&hits)[0].contains("Failed password"), "{hits}");

    // The real model never reads the fallback's vectors: it says to rebuild.
    let model = crate::embed::model_dir();
    let out = sb
        .cmd()
        .env("TOCSIN_EMBED_MODEL_DIR", &model)
        .args(["search", r#"~"brute force""#])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hashing-v1") && err.contains("tocsin index rebuild"),
        "{err}"
    );
    let (r, _) = run(&sb, Some(&model), &["index", "rebuild"]);
    assert!(
        r["embedder"]
            .as_str()
            .unwrap()
            .starts_with("all-MiniLM-L6-v2"),
        "{r}"
    );
    assert_eq!(meta(&sb, "templates")["model_id"], "all-MiniLM-L6-v2");
}
