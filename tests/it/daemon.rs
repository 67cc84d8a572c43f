//! The stream daemon end to end: the real `tocsin --daemon` binary against a real
//! `redis-server` started on a free loopback port for each test (or `REDIS_URL` when set):
//! round trips of real files, kill -9 mid-run, two daemons in one group, Redis restarts,
//! dead letters, webhooks.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::common::{Sandbox, fixture};

/// A throwaway redis-server, killed on drop; or the one `REDIS_URL` names.
struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    url: String,
    external: bool,
    appendonly: bool,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl RedisServer {
    fn start() -> Self {
        Self::with_persistence(false)
    }

    fn with_persistence(appendonly: bool) -> Self {
        if let Ok(url) = std::env::var("REDIS_URL") {
            return RedisServer {
                child: None,
                port: 0,
                dir: tempfile::tempdir().expect("tempdir"),
                url,
                external: true,
                appendonly,
            };
        }
        let port = free_port();
        let mut s = RedisServer {
            child: None,
            port,
            dir: tempfile::tempdir().expect("tempdir"),
            url: format!("redis://127.0.0.1:{port}"),
            external: false,
            appendonly,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(["--appendonly", if self.appendonly { "yes" } else { "no" }])
            .args(["--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        wait_for("redis-server to answer", Duration::from_secs(10), || {
            redis::Client::open(self.url.as_str())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
    }

    /// Stops the server gracefully (SIGTERM: the AOF is complete on disk).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "TERM");
            let _ = child.wait();
        }
    }

    fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("connect to redis")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(ok.success());
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A key prefix no other test (or run) shares.
fn prefix(test: &str) -> String {
    format!("it{}:{test}", std::process::id())
}

/// Writes a config for the daemon into the sandbox and returns its path.
fn config(sb: &Sandbox, url: &str, streams: &[&str], extra: &str) -> PathBuf {
    let path = sb.dir.path().join("tocsin.toml");
    let streams: Vec<String> = streams.iter().map(|s| format!("{s:?}")).collect();
    let text = format!(
        "[redis]\nurl = {url:?}\nstreams = [{}]\ngroup = \"it\"\nblock_ms = 200\ncount = 200\nrescan_interval = \"1s\"\n{}{extra}",
        streams.join(", "),
        if extra.contains("claim_idle") {
            ""
        } else {
            "claim_idle = \"1s\"\n"
        }
    );
    let text = if text.contains("[webhook]") {
        text
    } else {
        format!("{text}\n[webhook]\nlisten = \"\"\n")
    };
    std::fs::write(&path, text).expect("write config");
    path
}

fn daemon(sb: &Sandbox, config: &PathBuf, env: &[(&str, &str)]) -> Child {
    let mut c = sb.cmd();
    c.arg("--config").arg(config).arg("--daemon");
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tocsin --daemon")
}

fn stats(sb: &Sandbox) -> Value {
    sb.json(&["stats"])
}

fn events(sb: &Sandbox) -> i64 {
    stats(sb)["events"].as_i64().unwrap_or(-1)
}

/// Entries of `stream` not yet acked by group `it` (0 when there is no such group yet).
fn pending(r: &mut redis::Connection, stream: &str) -> u64 {
    let reply: redis::RedisResult<(u64, Value2, Value2, Value2)> =
        redis::cmd("XPENDING").arg(stream).arg("it").query(r);
    reply.map(|(n, ..)| n).unwrap_or(0)
}

type Value2 = redis::Value;

fn xlen(r: &mut redis::Connection, key: &str) -> u64 {
    redis::cmd("XLEN").arg(key).query(r).expect("XLEN")
}

/// Pushes `lines` as ASF entries (`data`), pipelined.
fn push(r: &mut redis::Connection, stream: &str, lines: impl IntoIterator<Item = String>) -> u64 {
    let mut pipe = redis::pipe();
    let mut n = 0;
    for line in lines {
        pipe.cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("data")
            .arg(line)
            .ignore();
        n += 1;
        if n % 1000 == 0 {
            pipe.query::<()>(r).expect("XADD");
            pipe = redis::pipe();
        }
    }
    if n % 1000 != 0 {
        pipe.query::<()>(r).expect("XADD");
    }
    n
}

/// The non-blank lines of a file (lossy UTF-8, as a shipper would send them).
fn lines(path: &str) -> Vec<String> {
    let bytes = std::fs::read(path).expect("read fixture");
    bytes
        .split(|b| *b == b'\n')
        .map(|l| {
            String::from_utf8_lossy(l)
                .trim_end_matches('\r')
                .to_string()
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

fn synthetic(n: u64, from: u64) -> impl Iterator<Item = String> {
    (from..from + n).map(|i| {
        format!(
            r#"{{"timestamp":"2026-11-22T10:00:00Z","host":"web{:02}","message":"Failed password for invalid user u{i} from 192.168.4.7 port 52311 ssh2","seq":{i}}}"#,
            i % 50
        )
    })
}

/// SIGTERM; the daemon must exit 0 within 5 s.
fn stop_cleanly(mut child: Child) {
    signal(&child, "TERM");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            assert!(status.success(), "daemon exited with {status}: {err}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "daemon did not exit within 5 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill9(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn round_trip_of_real_files_matches_file_ingest() {
    let redis = RedisServer::start();
    let mut r = redis.conn();
    let p = prefix("roundtrip");
    let (suricata, wazuh, ssh, splunk) = (
        format!("{p}:suricata"),
        format!("{p}:wazuh"),
        format!("{p}:ssh"),
        format!("{p}:splunk"),
    );
    let files = [
        (fixture("suricata/eve.json"), &suricata),
        (fixture("wazuh/alerts.json"), &wazuh),
        (fixture("loghub/OpenSSH_2k.log"), &ssh),
    ];
    for (file, stream) in &files {
        push(&mut r, stream, lines(file));
    }
    let hooks = [
        fixture("webhooks/splunk_brute_force.json"),
        fixture("webhooks/splunk_es_notable.json"),
    ];
    for hook in &hooks {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(hook).unwrap()).unwrap();
        push(&mut r, &splunk, [doc.to_string()]);
    }

    let reference = Sandbox::new();
    let mut args = vec!["ingest", "--year", "2026"];
    args.extend(files.iter().map(|(f, _)| f.as_str()));
    args.extend(hooks.iter().map(String::as_str));
    reference.json(&args);
    let want = stats(&reference);

    let sb = Sandbox::new();
    let pattern = format!("{p}:*");
    let cfg = config(&sb, &redis.url, &[&pattern], "[ingest]\nyear = 2026\n");
    let child = daemon(&sb, &cfg, &[]);
    let streams = [&suricata, &wazuh, &ssh, &splunk];
    wait_for("every entry acked", Duration::from_secs(60), || {
        streams.iter().all(|s| {
            let info: redis::RedisResult<Vec<redis::Value>> = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(s.as_str())
                .query(&mut r);
            info.is_ok_and(|g| !g.is_empty()) && pending(&mut r, s) == 0
        }) && stats(&sb)["events"] == want["events"]
    });
    let got = stats(&sb);
    for key in ["events", "alerts", "rejected"] {
        assert_eq!(got[key], want[key], "{key}: stream {got} vs file {want}");
    }
    assert!(want["events"].as_i64().unwrap() > 2000, "{want}");

    // One writer per data dir.
    let second = sb
        .cmd()
        .arg("--config")
        .arg(&cfg)
        .arg("--daemon")
        .output()
        .unwrap();
    assert!(!second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("one writer per data dir"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );

    // Stream health for the console and scripts.
    let out = sb
        .cmd()
        .arg("--config")
        .arg(&cfg)
        .args(["streams", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let health: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = health.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{health}");
    assert!(
        rows.iter().all(|r| r["pending"] == 0 && r["lag"] == 0),
        "{health}"
    );

    // The daemon feeds the indexes: every stored event is searchable (a search is another
    // process reading the daemon's commits), and the vectors hold the logs' templates.
    let search_in = |sb: &Sandbox, query: &str| {
        let out = sb
            .cmd()
            .args(["search", query, "--count", "--json"])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout)
            .map(|v| v["count"].as_i64().unwrap_or(-1))
            .unwrap_or(-1)
    };
    wait_for("events searchable", Duration::from_secs(10), || {
        search_in(&sb, "from:2000-01-01") == want["events"].as_i64().unwrap()
    });
    let failed = search_in(&sb, "\"Failed password\"");
    assert!(failed >= 520, "{failed}");
    assert_eq!(failed, search_in(&reference, "\"Failed password\""));
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(sb.data_dir().join("vectors/templates.meta.json")).unwrap(),
    )
    .unwrap();
    assert!(meta["count"].as_u64().unwrap() > 20, "{meta}");

    stop_cleanly(child);
}

#[test]
fn kill_9_mid_run_then_restart_stores_every_event_exactly_once() {
    const N: u64 = 100_000;
    let redis = RedisServer::start();
    let mut r = redis.conn();
    let stream = format!("{}:load", prefix("kill9"));
    assert_eq!(push(&mut r, &stream, synthetic(N, 0)), N);

    let sb = Sandbox::new();
    let cfg = config(&sb, &redis.url, &[&stream], "");
    let first = daemon(&sb, &cfg, &[]);
    wait_for(
        "a fifth of the run stored",
        Duration::from_secs(120),
        || events(&sb) >= (N / 5) as i64,
    );
    kill9(first);
    let at_kill = events(&sb);
    let pending_at_kill = pending(&mut r, &stream);
    assert!(at_kill < N as i64, "the run finished before the kill");

    let second = daemon(&sb, &cfg, &[]);
    wait_for(
        "the whole run stored and acked",
        Duration::from_secs(150),
        || events(&sb) == N as i64 && pending(&mut r, &stream) == 0,
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(events(&sb), N as i64, "an event was stored twice or lost");
    assert_eq!(pending(&mut r, &stream), 0);
    eprintln!("kill -9 at {at_kill} events stored, {pending_at_kill} entries pending");
    stop_cleanly(second);
}

#[test]
fn two_daemons_in_one_group_split_the_work() {
    const N: u64 = 20_000;
    let redis = RedisServer::start();
    let mut r = redis.conn();
    let stream = format!("{}:shared", prefix("two"));
    let (a, b) = (Sandbox::new(), Sandbox::new());
    // Long claim idle: each entry is worked by the daemon it was delivered to.
    let long = "claim_idle = \"60s\"\n";
    let (cfg_a, cfg_b) = (
        config(&a, &redis.url, &[&stream], long),
        config(&b, &redis.url, &[&stream], long),
    );
    let (da, db) = (daemon(&a, &cfg_a, &[]), daemon(&b, &cfg_b, &[]));
    wait_for(
        "both consumers in the group",
        Duration::from_secs(30),
        || {
            let c: redis::RedisResult<Vec<redis::Value>> = redis::cmd("XINFO")
                .arg("CONSUMERS")
                .arg(&stream)
                .arg("it")
                .query(&mut r);
            c.is_ok_and(|c| c.len() == 2)
        },
    );
    let mut sent = 0;
    while sent < N {
        push(&mut r, &stream, synthetic(1000, sent));
        sent += 1000;
        std::thread::sleep(Duration::from_millis(20));
    }
    wait_for("all events stored", Duration::from_secs(120), || {
        events(&a) + events(&b) >= N as i64 && pending(&mut r, &stream) == 0
    });
    let (na, nb) = (events(&a), events(&b));
    assert_eq!(na + nb, N as i64, "stored twice: {na} + {nb}");
    assert!(na > 0 && nb > 0, "one daemon did all the work: {na} / {nb}");
    stop_cleanly(da);
    stop_cleanly(db);
}

#[test]
fn redis_restart_mid_run_loses_nothing() {
    let mut redis = RedisServer::with_persistence(true);
    if redis.external {
        eprintln!("REDIS_URL is set: cannot restart someone else's Redis; skipped");
        return;
    }
    let mut r = redis.conn();
    let stream = format!("{}:restart", prefix("restart"));
    push(&mut r, &stream, synthetic(30_000, 0));
    let sb = Sandbox::new();
    let cfg = config(&sb, &redis.url, &[&stream], "");
    let child = daemon(&sb, &cfg, &[]);
    wait_for("some events stored", Duration::from_secs(60), || {
        events(&sb) >= 3_000
    });
    redis.stop();
    std::thread::sleep(Duration::from_millis(1500));
    redis.spawn();
    let mut r = redis.conn();
    push(&mut r, &stream, synthetic(10_000, 30_000));
    wait_for(
        "everything stored after the restart",
        Duration::from_secs(120),
        || events(&sb) == 40_000 && pending(&mut r, &stream) == 0,
    );
    assert_eq!(xlen(&mut r, &stream), 40_000);
    stop_cleanly(child);
}

#[test]
fn malformed_entries_end_in_the_dead_letter_stream() {
    let redis = RedisServer::start();
    let mut r = redis.conn();
    let stream = format!("{}:suricata", prefix("dead"));
    let file = fixture("suricata/eve_broken.json");
    let pushed = push(&mut r, &stream, lines(&file));

    let reference = Sandbox::new();
    let summary = reference.json(&["ingest", &file]);
    let want = stats(&reference);
    let rejected = summary["rejected"].as_u64().unwrap();
    assert!(rejected >= 6, "{summary}");

    let sb = Sandbox::new();
    let cfg = config(&sb, &redis.url, &[&stream], "");
    let child = daemon(&sb, &cfg, &[]);
    let dead = format!("{stream}:dead");
    wait_for("every entry handled", Duration::from_secs(60), || {
        xlen(&mut r, &dead) == rejected
            && pending(&mut r, &stream) == 0
            && events(&sb) == want["events"].as_i64().unwrap()
    });
    let got = stats(&sb);
    assert_eq!(got["events"], want["events"]);
    assert_eq!(got["rejected"], want["rejected"]);
    assert!(pushed > rejected);

    let with_cfg = |args: &[&str]| -> Value {
        let out = sb
            .cmd()
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let listed = with_cfg(&["dead", "list"]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len() as u64, rejected);
    for d in listed {
        assert!(!d["reason"].as_str().unwrap().is_empty(), "{d}");
        assert!(d["original_id"].as_str().unwrap().contains('-'), "{d}");
        assert!(d["at"].as_str().unwrap().starts_with("20"), "{d}");
        assert!(d["fields"]["data"].is_string(), "{d}");
        assert_eq!(d["stream"], stream.as_str());
    }
    assert_eq!(with_cfg(&["stats"])["dead_letters"], rejected);

    // Drop one; replay the rest: they fail again and come back as dead letters, once each.
    let first = listed[0]["dead_id"].as_str().unwrap();
    with_cfg(&["dead", "drop", first]);
    assert_eq!(xlen(&mut r, &dead), rejected - 1);
    let replayed = with_cfg(&["dead", "replay", "--all"]);
    assert_eq!(replayed.as_array().unwrap().len() as u64, rejected - 1);
    wait_for(
        "replayed entries dead again",
        Duration::from_secs(30),
        || {
            xlen(&mut r, &dead) == rejected - 1
                && pending(&mut r, &stream) == 0
                && xlen(&mut r, &stream) == pushed + rejected - 1
        },
    );
    stop_cleanly(child);
}

/// One HTTP/1.1 request; returns the status and body.
fn http(port: u16, method: &str, path: &str, auth: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(token) = auth {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn webhooks_answer_auth_size_and_json_errors_and_queue_nothing_for_them() {
    let redis = RedisServer::start();
    let mut r = redis.conn();
    let p = prefix("hooks");
    let stream = format!("{p}:splunk");
    let port = free_port();
    let sb = Sandbox::new();
    let cfg = config(
        &sb,
        &redis.url,
        &[&stream],
        &format!(
            "[webhook]\nlisten = \"127.0.0.1:{port}\"\ntoken_env = \"IT_HOOK_TOKEN\"\nbody_limit = 4096\n"
        ),
    );
    let child = daemon(&sb, &cfg, &[("IT_HOOK_TOKEN", "s3cret-token")]);
    wait_for("the HTTP server", Duration::from_secs(30), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let path = format!("/webhook/{stream}");
    let good = std::fs::read(fixture("webhooks/splunk_brute_force.json")).unwrap();

    assert_eq!(http(port, "POST", &path, None, &good).0, 401);
    assert_eq!(http(port, "POST", &path, Some("wrong"), &good).0, 401);
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000));
    assert_eq!(
        http(port, "POST", &path, Some("s3cret-token"), big.as_bytes()).0,
        413
    );
    let (status, body) = http(port, "POST", &path, Some("s3cret-token"), b"{\"result\": ");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid JSON"), "{body}");
    assert_eq!(
        http(port, "POST", &path, Some("s3cret-token"), b"42").0,
        400
    );
    let other = format!("/webhook/{p}:elsewhere");
    assert_eq!(
        http(port, "POST", &other, Some("s3cret-token"), &good).0,
        404
    );
    let exists: bool = redis::cmd("EXISTS")
        .arg(format!("{p}:elsewhere"))
        .query(&mut r)
        .unwrap();
    assert!(!exists);
    // The stream exists (the daemon created it with its group) but nothing was queued.
    assert_eq!(xlen(&mut r, &stream), 0);

    let (status, body) = http(port, "POST", &path, Some("s3cret-token"), &good);
    assert_eq!(status, 202, "{body}");
    assert_eq!(xlen(&mut r, &stream), 1);
    wait_for(
        "the webhook's alert stored",
        Duration::from_secs(30),
        || stats(&sb)["alerts"] == 1,
    );

    let (status, body) = http(port, "GET", "/healthz", None, b"");
    assert_eq!(status, 200, "{body}");
    let (status, metrics) = http(port, "GET", "/metrics", None, b"");
    assert_eq!(status, 200);
    for name in [
        "tocsin_entries_in_total 1",
        "tocsin_alerts_raised_total 1",
        "tocsin_entries_acked_total 1",
        "tocsin_dead_lettered_total 0",
        "tocsin_batch_seconds_count",
        "tocsin_webhook_refused_total",
    ] {
        assert!(metrics.contains(name), "{name} missing in\n{metrics}");
    }
    wait_for("stream gauges", Duration::from_secs(10), || {
        http(port, "GET", "/metrics", None, b"")
            .1
            .contains("tocsin_stream_pending{stream=")
    });
    stop_cleanly(child);
}
