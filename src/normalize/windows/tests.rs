//! Tests for the Windows normaliser, over SigmaHQ regression events (evtx and their JSON) and
//! hand-written Winlogbeat and flattened documents of the same events.

use std::path::{Path, PathBuf};

use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};

use super::{evtx_records, normalize};
use crate::domain::{Event, Outcome, Severity, content_id};
use crate::normalize::{Context, FieldMap, NormalizeError, Parsed};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/sigma/regression_data"
);

fn now() -> Timestamp {
    "2024-06-01T00:00:00Z".parse().unwrap()
}

fn try_event(value: Value, raw: &str) -> Result<Event, NormalizeError> {
    let id = content_id(raw.as_bytes(), 0);
    let map = FieldMap::default();
    let ctx = Context {
        id: &id,
        source: "test",
        ingested_at: now(),
        reference_time: now(),
        year: None,
        timezone: &TimeZone::UTC,
        field_map: &map,
    };
    match normalize(value, raw, &ctx)? {
        Parsed::Record(mut r) => {
            assert!(r.alert.is_none());
            assert_eq!(r.events.len(), 1);
            Ok(r.events.remove(0))
        }
        Parsed::Skip { reason } => panic!("skipped: {reason}"),
    }
}

fn event(value: Value) -> Event {
    let raw = value.to_string();
    try_event(value, &raw).unwrap_or_else(|e| panic!("{e}: {raw}"))
}

/// Every JSON object in a file (one, or several concatenated).
fn objects(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .map(|v| v.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The events of a binary evtx file, with format `evtx` as the reader's caller sets it.
fn evtx_events(path: &Path) -> Vec<Event> {
    let records = evtx_records(std::fs::read(path).unwrap()).unwrap();
    records
        .into_iter()
        .map(|r| {
            let text = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let value: Value = serde_json::from_str(&text).unwrap();
            let mut e = try_event(value, &text).unwrap();
            e.format = "evtx".into();
            e
        })
        .collect()
}

/// The fields every shape and source must agree on. Times are compared to the microsecond:
/// the crate renders 100 ns ticks, older `evtx_dump` JSON stops at microseconds.
fn core(e: &Event) -> Value {
    core_at(e, 1)
}

/// [`core`] with the time cut to `unit` microseconds (Beats and Logstash write milliseconds).
fn core_at(e: &Event, unit: i64) -> Value {
    let f = |k: &str| e.fields.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "time": e.timestamp.as_microsecond() / unit,
        "dataset": e.dataset, "host": e.host, "user": e.user, "process": e.process,
        "pid": e.pid, "command_line": e.command_line, "action": e.action,
        "outcome": e.outcome, "src_ip": e.src_ip, "dst_ip": e.dst_ip, "message": e.message,
        "EventID": f("EventID"), "Channel": f("Channel"), "Provider_Name": f("Provider_Name"),
        "Computer": f("Computer"), "Image": f("Image"), "CommandLine": f("CommandLine"),
        "TargetObject": f("TargetObject"), "TargetFilename": f("TargetFilename"),
        "Details": f("Details"),
    })
}

/// [`core`] with trailing blanks cut from every string.
fn trimmed(core: Value) -> Value {
    match core {
        Value::Object(o) => o.into_iter().map(|(k, v)| (k, trimmed(v))).collect(),
        Value::String(s) => Value::String(s.trim_end().to_string()),
        other => other,
    }
}

/// The .json / .evtx pairs under a regression folder.
fn pairs(root: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|json| (json.with_extension("evtx"), json))
        .collect();
    out.sort();
    out
}

fn regression(path: &str) -> PathBuf {
    Path::new(FIXTURES).join("sigma-regression").join(path)
}

fn first_event(folder: &str) -> Event {
    let (_, json) = pairs(&regression(folder)).remove(0);
    event(objects(&json).remove(0))
}

#[test]
fn fixture_json_and_evtx_give_the_same_events() {
    let pairs = pairs(&Path::new(FIXTURES).join("sigma-regression"));
    assert_eq!(pairs.len(), 12);
    let mut total = 0;
    for (evtx, json) in &pairs {
        let from_json: Vec<Event> = objects(json).into_iter().map(event).collect();
        let from_evtx = evtx_events(evtx);
        assert_eq!(from_json.len(), from_evtx.len(), "{}", json.display());
        for (a, b) in from_json.iter().zip(&from_evtx) {
            assert_eq!(core(a), core(b), "{}", json.display());
            assert_eq!(a.format, "windows_json");
            assert_eq!(b.format, "evtx");
        }
        total += from_json.len();
    }
    assert_eq!(total, 17);
}

#[test]
fn sysmon_process_creation() {
    let e = first_event("rules-emerging-threats/2025/Malware/Grixba");
    assert_eq!(e.dataset, "sysmon");
    assert_eq!(e.action.as_deref(), Some("process_creation"));
    assert_eq!(e.host.as_deref(), Some("swachchhanda"));
    assert_eq!(e.user.as_deref(), Some("swachchhanda\\xodih"));
    assert_eq!(
        e.process.as_deref(),
        Some("C:\\Users\\xodih\\Downloads\\GRB_NET.exe")
    );
    assert_eq!(e.pid, Some(10116));
    assert_eq!(
        e.command_line.as_deref(),
        Some("GRB_NET.exe  -m:scan -i:f -d:list.txt")
    );
    assert_eq!(
        e.message,
        "Sysmon 1 process_creation: GRB_NET.exe  -m:scan -i:f -d:list.txt"
    );
    assert_eq!(e.fields["EventID"], 1);
    assert_eq!(e.fields["Channel"], "Microsoft-Windows-Sysmon/Operational");
    assert_eq!(e.fields["Provider_Name"], "Microsoft-Windows-Sysmon");
    assert_eq!(e.fields["Computer"], "swachchhanda");
    assert_eq!(e.fields["ParentImage"], "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(e.fields["IntegrityLevel"], "Medium");
    assert!(!e.fields.contains_key("System") && !e.fields.contains_key("EventData"));
    assert_eq!(e.timestamp.to_string(), "2025-11-26T05:11:27.927693Z");
}

#[test]
fn sysmon_file_registry_image_load_and_access() {
    let e = first_event(
        "rules-emerging-threats/2026/Exploits/RedSun/file_event_win_exploit_redsun_indicators",
    );
    assert_eq!(e.action.as_deref(), Some("file_event"));
    assert!(e.message.starts_with(
        "Sysmon 11 file_event: C:\\Users\\xodih\\Downloads\\RedSun.exe -> C:\\Users\\xodih\\AppData"
    ));

    let e = first_event("rules/windows/registry/registry_set/registry_set_amsi_disable");
    assert_eq!(e.action.as_deref(), Some("registry_event"));
    assert_eq!(e.fields["EventID"], 13);
    assert_eq!(e.fields["Details"], "DWORD (0x00000000)");
    assert!(e.message.contains("SetValue HKU\\S-1-5-21"));
    assert!(e.message.ends_with("AmsiEnable = DWORD (0x00000000)"));

    let e = first_event("rules-threat-hunting");
    assert_eq!(e.action.as_deref(), Some("image_load"));
    assert!(
        e.message
            .ends_with("WerFaultSecure.exe loaded C:\\Windows\\System32\\dbgcore.dll")
    );

    let e = first_event("rules/windows/process_access");
    assert_eq!(e.action.as_deref(), Some("process_access"));
    assert_eq!(e.pid, Some(296));
    assert_eq!(e.user.as_deref(), Some("swachchhanda\\xodih"));
    assert!(
        e.message
            .contains("-> C:\\WINDOWS\\system32\\lsass.exe access=0x1fffff")
    );
}

#[test]
fn security_task_scheduler_defender_and_wmi() {
    let e = first_event(
        "rules/windows/builtin/security/win_security_susp_scheduled_task_delete_or_disable",
    );
    assert_eq!(e.dataset, "windows.security");
    assert_eq!(e.action.as_deref(), Some("scheduled_task_disabled"));
    assert_eq!(e.outcome, Some(Outcome::Success), "audit success keyword");
    assert_eq!(e.user.as_deref(), Some("xodih"));
    assert_eq!(
        e.message,
        "Security 4701 scheduled_task_disabled: \\Microsoft\\Windows\\SystemRestore\\SR by xodih"
    );
    assert!(e.fields["TaskContent"].as_str().unwrap().contains("<Task"));

    let e =
        first_event("rules/windows/builtin/security/win_security_explicit_credential_local_logon");
    assert_eq!(e.action.as_deref(), Some("explicit_credential_logon"));
    assert_eq!(e.user.as_deref(), Some("testuser"));
    assert_eq!(e.pid, Some(0x378), "hex ProcessId");
    assert_eq!(e.src_ip, None, "IpAddress `-` is absent");
    assert!(e.process.as_deref().unwrap().ends_with("LegacyHive.exe"));

    let e = first_event("rules/windows/builtin/taskscheduler");
    assert_eq!(
        e.dataset,
        "windows.microsoft_windows_taskscheduler_operational"
    );
    assert_eq!(e.action.as_deref(), Some("scheduled_task_disabled"));
    assert_eq!(
        e.fields["TaskName"],
        "\\Microsoft\\Windows\\SystemRestore\\SR"
    );
    assert_eq!(e.fields["UserName"], "System");
    assert!(!e.fields.contains_key("#attributes"));
    assert!(
        e.message
            .starts_with("TaskScheduler 142 scheduled_task_disabled: ")
    );

    let e = first_event(
        "rules-emerging-threats/2026/Exploits/RedSun/win_defender_exploit_redsun_tiering_engine_detected_as_eicar",
    );
    assert_eq!(
        e.dataset,
        "windows.microsoft_windows_windows_defender_operational"
    );
    assert_eq!(e.action.as_deref(), Some("malware_action_failed"));
    assert_eq!(e.severity, Some(Severity::High), "Level 2 (error)");
    assert_eq!(e.fields["Threat Name"], "Tool:Win32/EICAR_Test_File");
    assert_eq!(e.user.as_deref(), Some("swachchhanda\\xodih"));
    assert!(e.message.contains("Tool:Win32/EICAR_Test_File in file:_C:"));

    let e = first_event("rules/windows/builtin/wmi");
    assert_eq!(e.action.as_deref(), Some("wmi_client_failure"));
    assert!(
        e.fields["Operation"]
            .as_str()
            .unwrap()
            .contains("cleareventlog")
    );
    assert_eq!(e.fields["ClientProcessId"], 25920);
    assert_eq!(e.user.as_deref(), Some("swachchhanda\\xodih"));
}

#[test]
fn multi_object_file_gives_one_event_per_object() {
    let folder = "rules-emerging-threats/2025/Malware/Shai-Hulud";
    let (_, json) = pairs(&regression(folder)).remove(0);
    let events: Vec<Event> = objects(&json).into_iter().map(event).collect();
    assert_eq!(events.len(), 6);
    assert!(
        events
            .iter()
            .all(|e| e.action.as_deref() == Some("process_creation"))
    );
}

/// Winlogbeat and flattened documents written by hand from the documented shapes, for the same
/// events as the evtx-crate JSON fixtures, must give the same core fields.
#[test]
fn winlogbeat_and_flattened_match_the_evtx_form() {
    let dir = Path::new(FIXTURES).join("windows");
    for (doc, folder) in [
        (
            "winlogbeat-sysmon-1.json",
            "rules-emerging-threats/2025/Malware/Grixba",
        ),
        (
            "flattened-sysmon-1.json",
            "rules-emerging-threats/2025/Malware/Grixba",
        ),
        (
            "winlogbeat-security-4701.json",
            "rules/windows/builtin/security/win_security_susp_scheduled_task_delete_or_disable",
        ),
        (
            "flattened-security-4701.json",
            "rules/windows/builtin/security/win_security_susp_scheduled_task_delete_or_disable",
        ),
        (
            "winlogbeat-sysmon-13.json",
            "rules/windows/registry/registry_set/registry_set_amsi_disable",
        ),
        (
            "flattened-sysmon-13.json",
            "rules/windows/registry/registry_set/registry_set_amsi_disable",
        ),
    ] {
        let want = first_event(folder);
        let got = event(objects(&dir.join(doc)).remove(0));
        assert_eq!(core_at(&got, 1000), core_at(&want, 1000), "{doc}");
        assert_eq!(got.format, "windows_json");
    }
}

#[test]
fn event_data_variants() {
    let system = json!({"Provider": {"#attributes": {"Name": "Service Control Manager"}},
        "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7045},
        "Channel": "System", "Computer": "HOST1",
        "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T10:00:00.1234567Z"}}});
    let e = event(
        json!({"Event": {"System": system.clone(), "EventData": {"Data": [
        {"#attributes": {"Name": "ServiceName"}, "#text": "evil"},
        {"#attributes": {"Name": "ImagePath"}, "#text": "C:\\evil.exe"},
        "loose"]}}}),
    );
    assert_eq!(e.dataset, "windows.system");
    assert_eq!(e.action.as_deref(), Some("service_installed"));
    assert_eq!(e.fields["EventID"], 7045);
    assert_eq!(e.fields["ServiceName"], "evil");
    assert_eq!(e.fields["Data"], "loose");
    assert_eq!(
        e.message,
        "Service Control Manager 7045 service_installed: evil C:\\evil.exe"
    );
    assert_eq!(e.timestamp.as_nanosecond() % 1_000_000_000, 123_456_700);

    let e = event(
        json!({"Event": {"System": system.clone(), "EventData": {"Data": {"#text": ["a", "b"]}}}}),
    );
    assert_eq!(e.fields["Data"], json!(["a", "b"]));
    let e = event(
        json!({"Event": {"System": system.clone(), "EventData": {"Data": {"#text": "only"}, "Binary": "00FF"}}}),
    );
    assert_eq!(e.fields["Data"], "only");
    assert_eq!(e.fields["Binary"], "00FF");
    let e = event(json!({"Event": {"System": system.clone(), "EventData": null}}));
    assert_eq!(e.fields.len(), 4);
    let e = event(
        json!({"Event": {"System": system.clone(), "EventData": {"Channel": "x", "Image": {"#text": "y"}}}}),
    );
    assert_eq!(e.fields["Channel"], "System");
    assert_eq!(e.fields["EventData_Channel"], "x");
    assert_eq!(e.fields["Image"], "y");

    // evtx-crate output with separate attributes.
    let e = event(
        json!({"Event": {"System": {"Provider": "", "Provider_attributes": {"Name": "P"},
        "EventID": 4624, "Channel": "Security", "Computer": "DC1",
        "TimeCreated": "", "TimeCreated_attributes": {"SystemTime": "2024-01-01T10:00:00Z"}},
        "EventData": {"TargetUserName": "bob", "IpAddress": "10.1.2.3", "IpPort": "51000", "LogonType": 3}}}),
    );
    assert_eq!(e.fields["Provider_Name"], "P");
    assert_eq!(e.action.as_deref(), Some("logon"));
    assert_eq!(e.outcome, Some(Outcome::Success));
    assert_eq!(e.src_ip, Some("10.1.2.3".parse().unwrap()));
    assert_eq!(e.src_port, Some(51000));
    assert_eq!(e.message, "Security 4624 logon: bob from 10.1.2.3 type=3");
    assert_eq!(e.timestamp.to_string(), "2024-01-01T10:00:00Z");
}

#[test]
fn timestamps_ids_and_odd_input() {
    let system = |t: Value| json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "TimeCreated": {"#attributes": {"SystemTime": t}}}}});
    assert!(
        try_event(system(json!("not a time")), "x").is_err(),
        "present but unreadable"
    );
    assert_eq!(
        event(system(Value::Null)).timestamp,
        now(),
        "absent: ingestion time"
    );
    let no_id = json!({"Event": {"System": {"Channel": "Security"}}});
    assert_eq!(
        try_event(no_id, "x").unwrap_err(),
        NormalizeError::Missing("EventID")
    );
    assert!(try_event(json!({"EventID": "four", "Channel": "Security"}), "x").is_err());
    assert!(try_event(json!([1, 2]), "x").is_err());
    for odd in [
        json!({"Event": {"System": 5}}),
        json!({"Event": {"System": {"EventID": [1]}, "EventData": [1, {"a": 2}]}}),
        json!({"Event": {"System": {"EventID": 1}, "EventData": {"Data": [null, {"x": 1}, [2]]}, "UserData": "s"}}),
        json!({"winlog": 3, "event_id": 4}),
        json!({"winlog": {"event_id": "4625", "event_data": "x", "keywords": [1, "Audit Failure"]}}),
        json!({"EventID": 1, "Channel": "x", "EventData": 5, "Keywords": "0xZZ", "Level": {}}),
        json!({"EventID": -1, "Hostname": "h", "ProcessId": "0xFFFFFFFFFF", "IpAddress": "nope"}),
    ] {
        let raw = odd.to_string();
        let _ = try_event(odd, &raw);
    }
    let e = event(
        json!({"winlog": {"event_id": "4625", "channel": "Security", "keywords": ["Audit Failure"],
        "event_data": {"TargetUserName": "eve"}}, "@timestamp": "2024-01-01T00:00:00Z"}),
    );
    assert_eq!(e.outcome, Some(Outcome::Failure));
    assert_eq!(e.fields["EventID"], 4625);
}

#[test]
fn evtx_reader_rejects_junk_and_survives_damage() {
    assert!(evtx_records(Vec::new()).is_err());
    assert!(evtx_records(b"not an evtx file at all".to_vec()).is_err());
    let (evtx, _) = pairs(&regression("rules-emerging-threats/2025/Malware/Grixba")).remove(0);
    let good = std::fs::read(evtx).unwrap();
    // Cut into the first chunk, and flip bytes across the records: never a panic.
    for cut in [4096 + 100, 4096 + 512 + 300, good.len() / 2] {
        let _ = evtx_records(good[..cut.min(good.len())].to_vec());
    }
    for step in [97usize, 251, 1021] {
        let mut bad = good.clone();
        for i in (4096 + 512..bad.len()).step_by(step) {
            bad[i] ^= 0x5a;
        }
        if let Ok(records) = evtx_records(bad) {
            for text in records.into_iter().flatten() {
                if let Ok(value) = serde_json::from_str::<Value>(&text) {
                    let _ = try_event(value, &text);
                }
            }
        }
    }
}

/// The whole SigmaHQ regression set, when the shared data is there: every .json object
/// normalises (238 events in 202 files), and every .evtx reads to as many records, with the
/// same core fields (up to trailing blanks, which the .json renderings dropped).
#[test]
fn shared_regression_corpus() {
    let root = Path::new(SHARED);
    if !root.is_dir() {
        println!("skipped: ../shared/data absent");
        return;
    }
    let pairs = pairs(root);
    assert_eq!(pairs.len(), 202);
    let (mut events, mut multi, mut trailing) = (0, 0, 0);
    for (evtx, json) in &pairs {
        let from_json: Vec<Event> = objects(json).into_iter().map(event).collect();
        assert!(from_json.iter().all(|e| !e.message.is_empty()));
        let from_evtx = evtx_events(evtx);
        assert_eq!(from_json.len(), from_evtx.len(), "{}", evtx.display());
        for (a, b) in from_json.iter().zip(&from_evtx) {
            assert_eq!(trimmed(core(a)), trimmed(core(b)), "{}", json.display());
            trailing += usize::from(core(a) != core(b));
        }
        events += from_json.len();
        multi += usize::from(from_json.len() > 1);
    }
    assert_eq!(events, 238);
    assert_eq!(multi, 13);
    // The .json renderings lost trailing blanks that the .evtx records hold (13 CommandLines
    // like `"chcp  "`, one registry Details).
    assert_eq!(trailing, 14);
}
