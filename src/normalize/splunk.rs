//! Splunk webhook alert-action payloads: the first result row becomes an event, the saved
//! search that fired becomes the alert's rule.

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::json::{string, text};
use super::{Context, NormalizeError, Parsed, Record, json, time};
use crate::domain::{Alert, AlertSource, Event, Outcome, RuleRef, Severity, derived_id};

/// The webhook's own keys kept on the event beside the result row's fields.
const META_KEYS: [&str; 5] = ["search_name", "sid", "results_link", "owner", "app"];

/// Normalises one Splunk webhook payload
/// (`{"result": {..}, "sid", "results_link", "search_name", "owner", "app"}`) into one event and
/// one alert. The rule is the search name; Splunk sends `search_name: null` for some searches,
/// so the rule then falls back to the search id (without its per-run suffix) and app, and is
/// never empty. A result without `_time` is stamped with the ingestion time.
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let Value::Object(payload) = value else {
        return Err(NormalizeError::Unrecognised {
            format: "splunk",
            problem: "not a JSON object".into(),
        });
    };
    // One pass over the payload, moving the row and the webhook's own keys out of it.
    let mut result = None;
    let mut meta: Vec<(String, Value)> = Vec::with_capacity(META_KEYS.len());
    for (k, v) in payload {
        if k == "result" {
            result = Some(v);
        } else if META_KEYS.contains(&k.as_str()) && !v.is_null() {
            meta.push((k, v));
        }
    }
    let mut fields = match result {
        Some(Value::Object(map)) => map,
        Some(Value::Null) | None => return Err(NormalizeError::Missing("result")),
        Some(_) => return Err(NormalizeError::bad_field("result", "not an object")),
    };
    let meta_str = |key: &str| {
        meta.iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim()),
                _ => None,
            })
    };
    let rule = rule_ref(meta_str("search_name"), meta_str("sid"), meta_str("app"));

    let row = Row::read(&fields);
    let timestamp = match row.time {
        Some(Value::Null) | None => ctx.ingested_at,
        Some(t) => time::from_value(t, ctx.timezone)?,
    };
    let message = text(row.raw)
        .or_else(|| text(row.message))
        .unwrap_or_else(|| rule.name.clone());
    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        "splunk",
        "splunk",
        message,
        raw.to_string(),
    );
    let src = string(row.src);
    let dest = string(row.dest);
    e.host = text(row.host)
        .or_else(|| text(row.dest_host))
        .or_else(|| text(row.dvc))
        .or_else(|| dest.filter(|d| !is_ip(d)).map(str::to_string));
    e.user = text(row.user).or_else(|| text(row.src_user));
    e.src_ip = ip(row.src_ip).or_else(|| ip(row.src));
    e.src_port = port(row.src_port);
    e.dst_ip = ip(row.dest_ip).or_else(|| ip(row.dest));
    e.dst_port = port(row.dest_port);
    e.process = text(row.process_name);
    e.command_line = text(row.process);
    e.action = text(row.action);
    e.outcome = e.action.as_deref().and_then(outcome);
    e.severity = [row.severity, row.urgency]
        .into_iter()
        .find_map(|v| string(v).and_then(severity_word));
    e.techniques = techniques(&row.techniques);
    let score = row.risk_score.and_then(number);

    let severity = e.severity.unwrap_or(Severity::Medium);
    let summary = rule.name.clone();
    let mut alert = Alert::from_event(derived_id(ctx.id, "alert"), rule, severity, &e, summary);
    alert.score = score;
    for name in [src, dest].into_iter().flatten().filter(|n| !is_ip(n)) {
        alert.entities.add_host(name);
    }
    if let Some(u) = string(row.src_user) {
        alert.entities.add_user(u);
    }

    keep_meta(&mut fields, meta);
    e.fields = fields;
    Ok(Parsed::Record(Record {
        events: vec![e],
        alert: Some(alert),
    }))
}

/// The result-row fields an event is built from, found in one pass over the row (a row is flat
/// and often wide, so this beats a map lookup per candidate name).
#[derive(Default)]
struct Row<'a> {
    time: Option<&'a Value>,
    raw: Option<&'a Value>,
    message: Option<&'a Value>,
    host: Option<&'a Value>,
    dest_host: Option<&'a Value>,
    dvc: Option<&'a Value>,
    user: Option<&'a Value>,
    src_user: Option<&'a Value>,
    src_ip: Option<&'a Value>,
    src: Option<&'a Value>,
    src_port: Option<&'a Value>,
    dest_ip: Option<&'a Value>,
    dest: Option<&'a Value>,
    dest_port: Option<&'a Value>,
    process_name: Option<&'a Value>,
    process: Option<&'a Value>,
    action: Option<&'a Value>,
    severity: Option<&'a Value>,
    urgency: Option<&'a Value>,
    risk_score: Option<&'a Value>,
    /// `mitre_technique_id` and the `annotations.mitre_attack` spellings, in row order.
    techniques: Vec<&'a Value>,
}

impl<'a> Row<'a> {
    fn read(row: &'a Map<String, Value>) -> Self {
        let mut r = Row::default();
        for (k, v) in row {
            let slot = match k.as_str() {
                "_time" => &mut r.time,
                "_raw" => &mut r.raw,
                "message" => &mut r.message,
                "host" => &mut r.host,
                "dest_host" => &mut r.dest_host,
                "dvc" => &mut r.dvc,
                "user" => &mut r.user,
                "src_user" => &mut r.src_user,
                "src_ip" => &mut r.src_ip,
                "src" => &mut r.src,
                "src_port" => &mut r.src_port,
                "dest_ip" => &mut r.dest_ip,
                "dest" => &mut r.dest,
                "dest_port" => &mut r.dest_port,
                "process_name" => &mut r.process_name,
                "process" => &mut r.process,
                "action" => &mut r.action,
                "severity" => &mut r.severity,
                "urgency" => &mut r.urgency,
                "risk_score" => &mut r.risk_score,
                "mitre_technique_id"
                | "annotations.mitre_attack"
                | "annotations.mitre_attack.mitre_technique_id" => {
                    r.techniques.push(v);
                    continue;
                }
                "annotations" => {
                    if let Some(m) = json::get(v, "mitre_attack") {
                        r.techniques.push(m.get("mitre_technique_id").unwrap_or(m));
                    }
                    continue;
                }
                _ => continue,
            };
            *slot = Some(v);
        }
        r
    }
}

fn ip(v: Option<&Value>) -> Option<std::net::IpAddr> {
    string(v).and_then(|s| s.trim().parse().ok())
}

fn port(v: Option<&Value>) -> Option<u16> {
    number(v?)
        .filter(|p| p.fract() == 0.0 && (0.0..=65535.0).contains(p))
        .map(|p| p as u16)
}

/// The rule: the search name, else the search id's stable part and the app.
fn rule_ref(search_name: Option<&str>, sid: Option<&str>, app: Option<&str>) -> RuleRef {
    let (id, name) = match (search_name, sid, app) {
        (Some(n), _, _) => (n.to_string(), n.to_string()),
        (None, Some(sid), app) => {
            let stem = sid_stem(sid);
            let name = match app {
                Some(a) => format!("{stem} ({a})"),
                None => stem.to_string(),
            };
            (stem.to_string(), name)
        }
        (None, None, Some(a)) => (format!("app:{a}"), format!("Splunk alert ({a})")),
        (None, None, None) => ("splunk".to_string(), "Splunk alert".to_string()),
    };
    RuleRef {
        id,
        name,
        source: AlertSource::Splunk,
    }
}

/// A scheduled search's sid without its per-run `_at_<epoch>_<n>` suffix, so every run of one
/// saved search shares a rule id.
fn sid_stem(sid: &str) -> &str {
    match sid.rfind("_at_") {
        Some(pos) if pos > 0 => &sid[..pos],
        _ => sid,
    }
}

/// Puts the webhook's own keys into the event fields; a key the result row already uses is kept
/// as `webhook.<key>` instead, so neither value is lost.
fn keep_meta(fields: &mut Map<String, Value>, meta: Vec<(String, Value)>) {
    for (key, v) in meta {
        match fields.entry(key) {
            Entry::Vacant(slot) => {
                slot.insert(v);
            }
            Entry::Occupied(taken) => {
                let renamed = format!("webhook.{}", taken.key());
                fields.insert(renamed, v);
            }
        }
    }
}

/// Splunk's `success` / `failure` (CIM `action`), any case, without allocating.
fn outcome(action: &str) -> Option<Outcome> {
    let a = action.trim();
    [
        ("success", Outcome::Success),
        ("failure", Outcome::Failure),
        ("unknown", Outcome::Unknown),
    ]
    .into_iter()
    .find_map(|(name, o)| a.eq_ignore_ascii_case(name).then_some(o))
}

/// ES `urgency` / `severity` words (informational .. critical), any case, without allocating.
fn severity_word(word: &str) -> Option<Severity> {
    let w = word.trim();
    [
        ("informational", Severity::Info),
        ("info", Severity::Info),
        ("low", Severity::Low),
        ("medium", Severity::Medium),
        ("high", Severity::High),
        ("critical", Severity::Critical),
    ]
    .into_iter()
    .find_map(|(name, s)| w.eq_ignore_ascii_case(name).then_some(s))
}

fn is_ip(s: &str) -> bool {
    s.trim().parse::<std::net::IpAddr>().is_ok()
}

/// A number given as a number or a numeric string.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Array(items) => items.iter().find_map(number),
        _ => None,
    }
}

/// ATT&CK ids from `mitre_technique_id` or the `annotations.mitre_attack` annotations (a string
/// or a multi-value array each).
fn techniques(sources: &[&Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in sources {
        let items = match v {
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(*one),
        };
        for t in items.iter().filter_map(Value::as_str).map(str::trim) {
            if is_technique(t) && !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
    }
    out
}

/// `T1110`, `T1059.001`.
fn is_technique(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Decoder, FieldMap, Format};

    fn fixture(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks/");
        let path = format!("{dir}{name}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // A webhook body is one JSON document, pretty-printed or not.
        text.trim_end().to_string()
    }

    fn decode(body: &str) -> Result<Parsed, NormalizeError> {
        let tz = jiff::tz::TimeZone::UTC;
        let map = FieldMap::default();
        let now: jiff::Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
        let ctx = Context {
            id: "hook-1",
            source: "webhook:splunk",
            ingested_at: now,
            reference_time: now,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        Decoder::new(None).decode_line(body, &ctx)
    }

    fn record(body: &str) -> Record {
        match decode(body).unwrap() {
            Parsed::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn brute_force_search() {
        let r = record(&fixture("splunk_brute_force.json"));
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!(e.id, "hook-1");
        assert_eq!(e.format, "splunk");
        assert_eq!(e.dataset, "splunk");
        assert_eq!(e.timestamp.as_second(), 1717200000);
        assert_eq!(e.host.as_deref(), Some("web-01"));
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(e.src_ip, Some("203.0.113.45".parse().unwrap()));
        assert_eq!(e.dst_port, Some(22));
        assert_eq!(e.outcome, Some(Outcome::Failure));
        assert!(e.message.contains("Failed password for root"));
        assert_eq!(e.techniques, vec!["T1110.001"]);
        assert_eq!(e.severity, Some(Severity::High));
        for key in ["sid", "results_link", "owner", "app", "search_name"] {
            assert!(e.fields.contains_key(key), "{key}");
        }
        assert_eq!(e.fields["count"], "57");

        let a = r.alert.unwrap();
        assert_eq!(a.id, derived_id("hook-1", "alert"));
        assert_eq!(a.rule.id, "SSH Brute Force - Excessive Failed Logins");
        assert_eq!(a.rule.name, a.rule.id);
        assert_eq!(a.rule.source, AlertSource::Splunk);
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.score, Some(80.0));
        assert_eq!(a.event_ids, vec!["hook-1".to_string()]);
        assert_eq!(a.techniques, vec!["T1110.001"]);
    }

    #[test]
    fn null_search_name_falls_back_to_sid_and_app() {
        let r = record(&fixture("splunk_null_search_name.json"));
        let a = r.alert.unwrap();
        assert_eq!(a.rule.id, "scheduler_admin_search_W2");
        assert_eq!(a.rule.name, "scheduler_admin_search_W2 (search)");
        let e = &r.events[0];
        // No _time in the row: a webhook may omit it, so the ingestion time stands in.
        assert_eq!(e.timestamp, e.ingested_at);
        assert_eq!(e.message, a.rule.name);
        assert_eq!(e.fields["sourcetype"], "mongod");
        assert_eq!(a.severity, Severity::Medium);
        assert!(!e.fields.contains_key("search_name"));
    }

    #[test]
    fn notable_with_annotations_and_colliding_app() {
        let r = record(&fixture("splunk_es_notable.json"));
        let e = &r.events[0];
        let a = r.alert.unwrap();
        assert_eq!(a.techniques, vec!["T1059.001", "T1105"]);
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(e.process.as_deref(), Some("powershell.exe"));
        assert!(
            e.command_line
                .as_deref()
                .unwrap()
                .contains("DownloadString")
        );
        assert_eq!(e.fields["app"], "win:sysmon");
        assert_eq!(e.fields["webhook.app"], "SplunkEnterpriseSecuritySuite");
        assert_eq!(a.entities.hosts, vec!["WS-FIN-022"]);
    }

    #[test]
    fn bad_payloads() {
        let bad_time = r#"{"result":{"_time":"yesterday"},"sid":"x","search_name":"s"}"#;
        assert!(matches!(
            decode(bad_time),
            Err(NormalizeError::Timestamp { .. })
        ));
        let not_obj = r#"{"result":[1],"sid":"x","search_name":"s"}"#;
        assert!(matches!(
            decode(not_obj),
            Err(NormalizeError::BadField { .. })
        ));
        let bare = record(r#"{"result":{},"results_link":"http://x"}"#);
        assert_eq!(bare.alert.unwrap().rule.name, "Splunk alert");
        assert_eq!(sid_stem("_at_1"), "_at_1");
        assert_eq!(sid_stem("rt_1700000000.42"), "rt_1700000000.42");
    }

    #[test]
    fn reshaped_members_never_panic() {
        for name in [
            "splunk_brute_force.json",
            "splunk_null_search_name.json",
            "splunk_es_notable.json",
        ] {
            let doc: Value = serde_json::from_str(&fixture(name)).unwrap();
            crate::normalize::testkit::decode_every_mutant(&doc, Format::Splunk);
        }
    }
}
