//! Tests of `tocsin bench ui`: a tiny end-to-end run, the script, the percentiles.

use std::path::Path;

use super::session::{Press, cycle};
use super::*;

fn env(dir: &Path) -> Env {
    let loaded = crate::config::load_with_env(
        &crate::config::Overrides {
            no_user_config: true,
            data_dir: Some(dir.to_path_buf()),
            ..Default::default()
        },
        Vec::new(),
    )
    .unwrap();
    Env { loaded, json: true }
}

fn sane(p: &Pcts) {
    assert!(p.count > 0, "{p:?}");
    assert!(
        p.p50_ms >= 0.0 && p.p50_ms <= p.p99_ms && p.p99_ms <= p.max_ms,
        "{p:?}"
    );
}

#[test]
fn bench_ui_at_tiny_size_reports_everything() {
    let data = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    let env = env(data.path());
    let args = UiArgs {
        alerts: 2_000,
        keys: 30,
        width: 200,
        height: 60,
        reuse: Some(store.path().to_path_buf()),
        first_frame_runs: 3,
        draws: 50,
        probe_rss: None,
    };
    let r = measure(&env, &args, false).unwrap();
    assert_eq!(r.alerts, 2_000);
    assert!(r.fill_seconds.is_some());
    assert_eq!(r.first_frame.count, 3);
    sane(&r.first_frame);
    sane(&r.frames);
    sane(&r.draw_microbench);
    assert_eq!(r.draw_microbench.count, 50);
    sane(&r.key_to_paint);
    sane(&r.key_to_settled);
    assert_eq!(r.keys_pressed, 30);
    assert!(r.key_to_paint.count <= 30 && r.key_to_settled.count <= 30);
    assert!(r.frames.count >= r.key_to_paint.count);
    assert!(r.frames.count >= r.key_to_settled.count);
    assert!(!r.slowest_settled.is_empty() && r.slowest_settled.len() <= SLOWEST_KINDS);
    assert!(
        r.slowest_settled
            .windows(2)
            .all(|w| w[0].settled.max_ms >= w[1].settled.max_ms)
    );
    assert!(r.slowest_settled[0].settled.max_ms <= r.key_to_settled.max_ms);
    assert_eq!(r.peer, "none");
    assert!(r.checks.iter().any(|c| c.target.is_some()));
    for c in r.checks.iter().filter(|c| c.metric.contains("frame")) {
        assert!(c.measured.is_some(), "{c:?}");
    }
    if cfg!(target_os = "linux") {
        assert!(
            r.bench_rss
                .is_some_and(|m| m.hwm_mb >= m.rss_mb && m.rss_mb > 0.0)
        );
    }

    // The store is consistent: side tables match the JSON columns.
    let conn = Connection::open(store.path().join("tocsin.db")).unwrap();
    let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(q("SELECT COUNT(*) FROM alert_techniques"), 2_000);
    assert_eq!(q("SELECT COUNT(*) FROM alert_events"), 2_000);
    assert_eq!(
        q("SELECT COUNT(*) FROM alert_entities WHERE kind = 'host'"),
        2_000
    );
    assert_eq!(
        q("SELECT COUNT(*) FROM alert_entities WHERE kind = 'user'"),
        q("SELECT COUNT(*) FROM alerts WHERE user IS NOT NULL")
    );
    let new = q("SELECT COUNT(*) FROM alerts WHERE status = 'new'");
    assert!((1_200..1_600).contains(&new), "{new}");
    let fetched = Store::open(&store.path().join("tocsin.db"), Duration::from_secs(5))
        .unwrap()
        .alerts(&crate::store::AlertFilter::default())
        .unwrap();
    assert!(!fetched.is_empty());
    assert!(fetched.iter().all(|a| !a.entities.hosts.is_empty()));

    // One whole cycle of the script opens a detail, filters and groups.
    let setup = Setup::new(&env, store.path().join("tocsin.db"), &again_args());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let presses: Vec<Press> = cycle().unwrap();
    let n = presses.len();
    let whole = scripted_run(&rt, &setup, presses).unwrap();
    assert!(
        whole.seen.detail && whole.seen.grouped && whole.seen.filtered,
        "{:?}",
        whole.seen
    );
    // One timing per key; a key painted no later than it settled, and most keys did both.
    assert_eq!(whole.keys.len(), n);
    for k in &whole.keys {
        if let (Some(p), Some(s)) = (k.paint, k.settled) {
            assert!(p <= s, "{k:?}");
        }
        assert!(k.settled.is_none() || k.paint.is_some(), "{k:?}");
    }
    let painted = whole.keys.iter().filter(|k| k.paint.is_some()).count();
    assert!(painted * 2 > n, "{painted} of {n}");
    drop(whole.session);

    // A second run reuses the store, and the console probe works in-process.
    let again = measure(
        &env,
        &UiArgs {
            first_frame_runs: 1,
            keys: 10,
            draws: 10,
            ..args
        },
        false,
    )
    .unwrap();
    assert!(again.fill_seconds.is_none());
    assert_eq!(again.alerts, 2_000);
    let setup = Setup::new(&env, store.path().join("tocsin.db"), &again_args());
    let rss = probe(&setup, 10).unwrap();
    if cfg!(target_os = "linux") {
        assert!(rss.is_some_and(|m| m.hwm_mb > 0.0));
    }
}

fn again_args() -> UiArgs {
    UiArgs {
        alerts: 0,
        keys: 10,
        width: 120,
        height: 40,
        reuse: None,
        first_frame_runs: 1,
        draws: 1,
        probe_rss: None,
    }
}

#[test]
fn script_has_the_requested_keys() {
    let keys = script(300).unwrap();
    assert_eq!(keys.len(), 300);
    assert!(script(0).unwrap().is_empty());
}

#[test]
fn slowest_kinds_group_by_key_and_step() {
    let t = |key: &str, step, settled: Option<u64>| KeyTiming {
        key: key.to_string(),
        step,
        paint: settled.map(|_| Duration::from_millis(1)),
        settled: settled.map(Duration::from_millis),
    };
    let keys = [
        t("j", "scroll", Some(2)),
        t("j", "scroll", Some(3)),
        t("enter", "apply filter", Some(40)),
        t("enter", "detail", Some(9)),
        t("F", "clear filter", None),
        t("F", "clear filter", Some(30)),
    ];
    let slow = slowest_settled(&keys, 3);
    let got: Vec<(&str, &str, usize, f64)> = slow
        .iter()
        .map(|k| (k.key.as_str(), k.step, k.settled.count, k.settled.max_ms))
        .collect();
    assert_eq!(
        got,
        [
            ("enter", "apply filter", 1, 40.0),
            ("F", "clear filter", 1, 30.0),
            ("enter", "detail", 1, 9.0),
        ]
    );
    assert!(slowest_settled(&[], 3).is_empty());
}

#[test]
fn percentiles_are_nearest_rank() {
    let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
    let p = Pcts::of(&d);
    assert_eq!(
        (p.count, p.p50_ms, p.p99_ms, p.max_ms),
        (100, 50.0, 99.0, 100.0)
    );
    assert!(Pcts::of(&[]).p50_ms.is_nan());
    assert_eq!(median(&d), 50.5);
}
