//! Kibana / Elastic alerting webhook payloads: each matched document (`context.hits[]._source`)
//! becomes an event, the rule becomes one alert over all of them.

use serde_json::{Map, Value};

use super::json::{integer, pick, string, text};
use super::{Context, NormalizeError, Parsed, Record, json, time};
use crate::domain::{Alert, AlertSource, Event, Outcome, RuleRef, Severity, derived_id};

/// Normalises one Kibana webhook payload (`{"rule": {..}, "context": {"hits": [..], ..}}`).
///
/// Each hit's `_source` is cleaned of Elasticsearch keyword artefacts (`{"keyword": x}` becomes
/// `x`; a `name.keyword` beside `name` is dropped) and read as ECS. A payload without hits still
/// gives an alert, over one event made from the rule itself. Times missing from a hit fall back
/// to the payload's `context.date` / `date`, then to the ingestion time.
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let Value::Object(mut payload) = value else {
        return Err(NormalizeError::Unrecognised {
            format: "kibana",
            problem: "not a JSON object".into(),
        });
    };
    let hits = take_hits(&mut payload)?;
    let doc = Value::Object(payload);
    let rule_obj = match json::get(&doc, "rule") {
        Some(r @ Value::Object(_)) => r,
        _ => return Err(NormalizeError::Missing("rule")),
    };
    let name = json::text_at(rule_obj, "name")
        .or_else(|| json::text_at(rule_obj, "id"))
        .ok_or(NormalizeError::Missing("rule.name"))?;
    let rule = RuleRef {
        id: json::text_at(rule_obj, "id").unwrap_or_else(|| name.clone()),
        name,
        source: AlertSource::Kibana,
    };
    let score = json::get(rule_obj, "risk_score").and_then(number);
    let rule_severity = json::str_at(rule_obj, "severity")
        .and_then(Severity::from_sigma_level)
        .or_else(|| score.map(from_risk_score));
    let rule_techniques = rule_techniques(rule_obj);
    let fallback_time = match ["context.date", "date"]
        .iter()
        .find_map(|p| json::get(&doc, p).filter(|v| !v.is_null()))
    {
        Some(t) => time::from_value(t, ctx.timezone)?,
        None => ctx.ingested_at,
    };

    let mut events = Vec::with_capacity(hits.len().max(1));
    if hits.is_empty() {
        let mut e = Event::new(
            ctx.id.to_string(),
            fallback_time,
            ctx.ingested_at,
            ctx.source,
            "kibana",
            "kibana",
            rule.name.clone(),
            raw.to_string(),
        );
        e.severity = rule_severity;
        e.techniques = rule_techniques.clone();
        if let Value::Object(obj) = doc {
            e.fields = obj;
        }
        events.push(e);
    } else {
        let several = hits.len() > 1;
        for (i, hit) in hits.into_iter().enumerate() {
            let id = if several {
                derived_id(ctx.id, &format!("event:{i}"))
            } else {
                ctx.id.to_string()
            };
            let mut e = hit_event(hit, id, &rule.name, fallback_time, raw, ctx)?;
            e.severity = rule_severity;
            events.push(e);
        }
    }

    let Some((first, rest)) = events.split_first() else {
        return Err(NormalizeError::Missing("context.hits"));
    };
    let severity = rule_severity.unwrap_or(Severity::Medium);
    let summary = rule.name.clone();
    let mut alert = Alert::from_event(derived_id(ctx.id, "alert"), rule, severity, first, summary);
    alert.score = score;
    for t in rule_techniques {
        push_unique(&mut alert.techniques, t);
    }
    for e in rest {
        alert.event_ids.push(e.id.clone());
        alert.entities.add_from_event(e);
        for t in &e.techniques {
            if !alert.techniques.contains(t) {
                alert.techniques.push(t.clone());
            }
        }
        alert.first_seen = alert.first_seen.min(e.timestamp);
        alert.last_seen = alert.last_seen.max(e.timestamp);
    }
    Ok(Parsed::Record(Record {
        events,
        alert: Some(alert),
    }))
}

/// Takes `context.hits` out of the payload (moved, not copied). A hits list sent as a JSON
/// string (a quoted template variable) is parsed.
fn take_hits(payload: &mut Map<String, Value>) -> Result<Vec<Value>, NormalizeError> {
    let taken = match payload.get_mut("context") {
        Some(Value::Object(c)) => c.shift_remove("hits"),
        _ => payload.shift_remove("context.hits"),
    };
    match taken {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(NormalizeError::bad_field("context.hits", "not a list")),
            Err(e) => Err(NormalizeError::bad_field("context.hits", e.to_string())),
        },
        Some(_) => Err(NormalizeError::bad_field("context.hits", "not a list")),
    }
}

/// One event from one hit: its `_source` (or the hit itself when it has none) read as ECS.
fn hit_event(
    hit: Value,
    id: String,
    rule_name: &str,
    fallback_time: jiff::Timestamp,
    raw: &str,
    ctx: &Context,
) -> Result<Event, NormalizeError> {
    let Value::Object(hit) = hit else {
        return Err(NormalizeError::bad_field(
            "context.hits",
            "a hit is not an object",
        ));
    };
    if !hit.contains_key("_source") {
        // A list of bare documents.
        let mut source = Value::Object(hit);
        unwrap_keywords(&mut source);
        return ecs_event(source, id, rule_name, fallback_time, raw, ctx);
    }
    let mut source = Map::new();
    let mut meta = Vec::with_capacity(2);
    for (k, v) in hit {
        match k.as_str() {
            "_source" => match v {
                Value::Object(s) => source = s,
                _ => {
                    return Err(NormalizeError::bad_field(
                        "context.hits",
                        "_source is not an object",
                    ));
                }
            },
            "_index" | "_id" => meta.push((k, v)),
            _ => {}
        }
    }
    for (k, v) in meta {
        source.entry(k).or_insert(v);
    }
    let mut source = Value::Object(source);
    unwrap_keywords(&mut source);
    ecs_event(source, id, rule_name, fallback_time, raw, ctx)
}

/// One event from one ECS document (already cleaned of keyword artefacts).
fn ecs_event(
    source: Value,
    id: String,
    rule_name: &str,
    fallback_time: jiff::Timestamp,
    raw: &str,
    ctx: &Context,
) -> Result<Event, NormalizeError> {
    let s = Doc::new(&source);
    let f = s.fields();

    let timestamp = match f.timestamp.filter(|v| !v.is_null()) {
        Some(t) => time::from_value(t, ctx.timezone)?,
        None => fallback_time,
    };
    let message = text(f.message).unwrap_or_else(|| rule_name.to_string());
    let mut e = Event::new(
        id,
        timestamp,
        ctx.ingested_at,
        ctx.source,
        "kibana",
        "kibana",
        message,
        raw.to_string(),
    );
    e.host = text(f.host_name).or_else(|| text(f.host_hostname));
    e.user = text(f.user_name);
    e.src_ip = string(f.source_ip).and_then(|s| s.trim().parse().ok());
    e.src_port = f
        .source_port
        .and_then(integer)
        .and_then(|p| u16::try_from(p).ok());
    e.dst_ip = string(f.destination_ip).and_then(|s| s.trim().parse().ok());
    e.dst_port = f
        .destination_port
        .and_then(integer)
        .and_then(|p| u16::try_from(p).ok());
    e.process = text(f.process_name);
    e.pid = f
        .process_pid
        .and_then(integer)
        .and_then(|p| u32::try_from(p).ok());
    e.command_line = text(f.process_command_line);
    e.action = text(f.event_action);
    e.outcome = string(f.event_outcome).and_then(outcome);
    e.techniques = techniques(&s);
    if let Value::Object(obj) = source {
        e.fields = obj;
    }
    Ok(e)
}

/// Unwraps `{"keyword": x}` to `x` and drops `a.keyword` where `a` is present (renaming it to `a`
/// where it is not), at every depth, in place.
fn unwrap_keywords(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.len() == 1
                && let Some((k, inner)) = map.iter_mut().next()
                && k == "keyword"
            {
                let inner = inner.take();
                *v = inner;
                unwrap_keywords(v);
                return;
            }
            if map.keys().any(|k| k.ends_with(".keyword")) {
                let dotted: Vec<String> = map
                    .keys()
                    .filter(|k| k.ends_with(".keyword"))
                    .cloned()
                    .collect();
                for key in dotted {
                    let base = &key[..key.len() - ".keyword".len()];
                    if let Some(val) = map.shift_remove(&key)
                        && !base.is_empty()
                        && !map.contains_key(base)
                    {
                        map.insert(base.to_string(), val);
                    }
                }
            }
            for child in map.values_mut() {
                unwrap_keywords(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_keywords),
        _ => {}
    }
}

/// ATT&CK ids from `threat.technique.id` and `threat.technique.subtechnique.id`, whether written
/// as dotted keys, nested objects or arrays of objects (ECS allows all three).
fn techniques(s: &Doc) -> Vec<String> {
    let mut out = Vec::new();
    if s.flat {
        for path in ["threat.technique.id", "threat.technique.subtechnique.id"] {
            for t in json::strings_at(s.v, path) {
                push_unique(&mut out, t);
            }
        }
    }
    if let Some(threat) = s.threat() {
        walk(threat, &["technique", "id"], &mut out);
        walk(threat, &["technique", "subtechnique", "id"], &mut out);
    }
    out
}

/// A hit's document and how to look paths up in it: a nested document has its top-level ECS
/// groups indexed in one pass and their members picked in one pass each; a document with
/// dotted keys (`"host.name": ..`) goes through [`json::get`], which finds both spellings.
struct Doc<'a> {
    v: &'a Value,
    flat: bool,
    top: Top<'a>,
}

/// The top-level ECS members [`ecs_event`] reads.
#[derive(Default)]
struct Top<'a> {
    timestamp: Option<&'a Value>,
    message: Option<&'a Value>,
    host: Option<&'a Value>,
    user: Option<&'a Value>,
    source: Option<&'a Value>,
    destination: Option<&'a Value>,
    process: Option<&'a Value>,
    event: Option<&'a Value>,
    threat: Option<&'a Value>,
}

/// The ECS fields an event is built from.
#[derive(Default)]
struct Fields<'a> {
    timestamp: Option<&'a Value>,
    message: Option<&'a Value>,
    host_name: Option<&'a Value>,
    host_hostname: Option<&'a Value>,
    user_name: Option<&'a Value>,
    source_ip: Option<&'a Value>,
    source_port: Option<&'a Value>,
    destination_ip: Option<&'a Value>,
    destination_port: Option<&'a Value>,
    process_name: Option<&'a Value>,
    process_pid: Option<&'a Value>,
    process_command_line: Option<&'a Value>,
    event_action: Option<&'a Value>,
    event_outcome: Option<&'a Value>,
}

impl<'a> Doc<'a> {
    fn new(v: &'a Value) -> Self {
        let mut top = Top::default();
        let mut flat = false;
        if let Value::Object(m) = v {
            for (k, val) in m {
                let slot = match k.as_str() {
                    "@timestamp" => &mut top.timestamp,
                    "message" => &mut top.message,
                    "host" => &mut top.host,
                    "user" => &mut top.user,
                    "source" => &mut top.source,
                    "destination" => &mut top.destination,
                    "process" => &mut top.process,
                    "event" => &mut top.event,
                    "threat" => &mut top.threat,
                    other => {
                        flat |= other.contains('.');
                        continue;
                    }
                };
                *slot = Some(val);
            }
        }
        Doc { v, flat, top }
    }

    fn fields(&self) -> Fields<'a> {
        if self.flat {
            let g = |path: &str| json::get(self.v, path);
            return Fields {
                timestamp: g("@timestamp"),
                message: g("message"),
                host_name: g("host.name"),
                host_hostname: g("host.hostname"),
                user_name: g("user.name"),
                source_ip: g("source.ip"),
                source_port: g("source.port"),
                destination_ip: g("destination.ip"),
                destination_port: g("destination.port"),
                process_name: g("process.name"),
                process_pid: g("process.pid"),
                process_command_line: g("process.command_line"),
                event_action: g("event.action"),
                event_outcome: g("event.outcome"),
            };
        }
        let t = &self.top;
        let null = &Value::Null;
        let [host_name, host_hostname] = pick(t.host.unwrap_or(null), ["name", "hostname"]);
        let [user_name] = pick(t.user.unwrap_or(null), ["name"]);
        let [source_ip, source_port] = pick(t.source.unwrap_or(null), ["ip", "port"]);
        let [destination_ip, destination_port] =
            pick(t.destination.unwrap_or(null), ["ip", "port"]);
        let [process_name, process_pid, process_command_line] =
            pick(t.process.unwrap_or(null), ["name", "pid", "command_line"]);
        let [event_action, event_outcome] = pick(t.event.unwrap_or(null), ["action", "outcome"]);
        Fields {
            timestamp: t.timestamp,
            message: t.message,
            host_name,
            host_hostname,
            user_name,
            source_ip,
            source_port,
            destination_ip,
            destination_port,
            process_name,
            process_pid,
            process_command_line,
            event_action,
            event_outcome,
        }
    }

    /// The document's `threat` member.
    fn threat(&self) -> Option<&'a Value> {
        if self.flat {
            json::get(self.v, "threat")
        } else {
            self.top.threat
        }
    }
}

/// ECS `event.outcome` (success, failure, unknown), any case, without allocating.
fn outcome(word: &str) -> Option<Outcome> {
    let w = word.trim();
    [
        ("success", Outcome::Success),
        ("failure", Outcome::Failure),
        ("unknown", Outcome::Unknown),
    ]
    .into_iter()
    .find_map(|(name, o)| w.eq_ignore_ascii_case(name).then_some(o))
}

/// ATT&CK ids the rule itself names: Sigma-style tags (`attack.t1059.001`) and an Elastic
/// detection rule's `threat[].technique[].id` / `subtechnique[].id`.
fn rule_techniques(rule: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Array(tags)) = rule.get("tags") {
        for tag in tags.iter().filter_map(Value::as_str) {
            let Some(id) = tag.strip_prefix("attack.") else {
                continue;
            };
            let b = id.as_bytes();
            if b.len() >= 5
                && b[0].eq_ignore_ascii_case(&b't')
                && b[1..5].iter().all(u8::is_ascii_digit)
            {
                push_unique(&mut out, id.to_ascii_uppercase());
            }
        }
    }
    if let Some(threat) = rule.get("threat") {
        walk(threat, &["technique", "id"], &mut out);
        walk(threat, &["technique", "subtechnique", "id"], &mut out);
    }
    out
}

fn walk(v: &Value, path: &[&str], out: &mut Vec<String>) {
    match (v, path.split_first()) {
        (Value::Array(items), _) => items.iter().for_each(|i| walk(i, path, out)),
        (_, None) => {
            if let Some(t) = json::scalar_text(v) {
                push_unique(out, t);
            }
        }
        (Value::Object(map), Some((head, rest))) => {
            if let Some(child) = map.get(*head) {
                walk(child, rest, out);
            }
        }
        _ => {}
    }
}

fn push_unique(out: &mut Vec<String>, t: String) {
    if !out.contains(&t) {
        out.push(t);
    }
}

/// A number given as a number or a numeric string.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Elastic's risk score bands: 0-21 low, 22-47 medium, 48-73 high, 74-100 critical.
fn from_risk_score(score: f64) -> Severity {
    if score >= 74.0 {
        Severity::Critical
    } else if score >= 48.0 {
        Severity::High
    } else if score >= 22.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
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
        let now: jiff::Timestamp = "2024-06-01T12:00:00Z".parse().unwrap();
        let ctx = Context {
            id: "hook-7",
            source: "webhook:kibana",
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
    fn two_hits_two_events_one_alert() {
        let r = record(&fixture("kibana_two_hits.json"));
        assert_eq!(r.events.len(), 2);
        let ids: Vec<String> = (0..2)
            .map(|i| derived_id("hook-7", &format!("event:{i}")))
            .collect();
        assert_eq!(r.events[0].id, ids[0]);
        assert_eq!(r.events[1].id, ids[1]);
        let a = r.alert.unwrap();
        assert_eq!(a.id, derived_id("hook-7", "alert"));
        assert_eq!(a.event_ids, ids);
        assert_eq!(a.rule.name, "Windows Encoded PowerShell Command");
        assert_eq!(a.rule.id, "6f1c2a10-2f4e-11ef-9b8e-0242ac120002");
        assert_eq!(a.rule.source, AlertSource::Kibana);
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.score, Some(73.0));
        assert_eq!(a.entities.hosts, vec!["WS-FIN-022", "WS-FIN-023"]);
        assert_eq!(a.techniques, vec!["T1059.001", "T1027"]);
        assert!(a.first_seen < a.last_seen);

        let e0 = &r.events[0];
        assert_eq!(e0.format, "kibana");
        assert_eq!(e0.dataset, "kibana");
        // {"keyword": "jdoe"} unwrapped; host.name.keyword dropped beside host.name.
        assert_eq!(e0.user.as_deref(), Some("jdoe"));
        assert_eq!(e0.fields["user"]["name"], "jdoe");
        assert_eq!(e0.host.as_deref(), Some("WS-FIN-022"));
        let host = e0.fields["host"].as_object().unwrap();
        assert!(!host.contains_key("name.keyword"));
        assert_eq!(e0.process.as_deref(), Some("powershell.exe"));
        assert_eq!(e0.outcome, Some(Outcome::Success));
        assert_eq!(e0.action.as_deref(), Some("start"));
        assert_eq!(e0.fields["_id"], "Vx3lz48BqK1cL0f2a9Jm");

        // The second hit uses flattened keys.
        let e1 = &r.events[1];
        assert_eq!(e1.host.as_deref(), Some("WS-FIN-023"));
        assert!(!e1.fields.contains_key("host.name.keyword"));
        assert_eq!(e1.fields["user.name"], "asmith");
        assert_eq!(e1.src_ip, Some("10.20.30.40".parse().unwrap()));
        assert_eq!(e1.dst_port, Some(443));
        assert_eq!(e1.techniques, vec!["T1027"]);
    }

    #[test]
    fn one_hit_uses_the_record_id() {
        let r = record(&fixture("kibana_ssh_failures.json"));
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!(e.id, "hook-7");
        assert_eq!(e.outcome, Some(Outcome::Failure));
        assert_eq!(e.src_ip, Some("198.51.100.23".parse().unwrap()));
        assert_eq!(e.dst_port, Some(22));
        assert_eq!(e.user.as_deref(), Some("admin"));
        let a = r.alert.unwrap();
        assert_eq!(a.event_ids, vec!["hook-7".to_string()]);
        // No severity on the rule: the risk score decides (47 is medium).
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.techniques, vec!["T1110"]);
    }

    #[test]
    fn no_hits_still_an_alert() {
        let body = fixture("kibana_no_hits.json");
        let r = record(&body);
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!(e.id, "hook-7");
        assert_eq!(e.message, "Auditd rules changed on Linux hosts");
        assert_eq!(e.timestamp, "2024-06-01T10:15:00.000Z".parse().unwrap());
        assert_eq!(e.fields["context"]["value"], 3);
        // Sigma-style `attack.t…` rule tags name the technique.
        assert_eq!(e.techniques, vec!["T1562.012"]);
        let a = r.alert.unwrap();
        assert_eq!(a.rule.name, e.message);
        assert_eq!(a.event_ids, vec!["hook-7".to_string()]);
        assert_eq!(a.techniques, vec!["T1562.012"]);
        assert_eq!(a.severity, Severity::Medium);
    }

    #[test]
    fn keyword_cleaning_in_place() {
        let mut v = serde_json::json!({
            "a": {"keyword": {"keyword": 1}},
            "b.keyword": "only",
            "c": "x", "c.keyword": "x",
            "d": [{"keyword": "y"}, {"e": 1, "e.keyword": 1}],
            ".keyword": 5
        });
        unwrap_keywords(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "c": "x", "d": ["y", {"e": 1}], "b": "only"})
        );
    }

    #[test]
    fn bad_payloads() {
        let missing_name = r#"{"rule":{"tags":[]},"context":{"hits":[]}}"#;
        assert_eq!(
            decode(missing_name),
            Err(NormalizeError::Missing("rule.name"))
        );
        let bad_ts = r#"{"rule":{"name":"r"},"context":{"hits":[{"_source":{"@timestamp":"2024-13-45T00:00:00Z"}}]}}"#;
        assert!(matches!(
            decode(bad_ts),
            Err(NormalizeError::Timestamp { .. })
        ));
        let bad_hit = r#"{"rule":{"name":"r"},"context":{"hits":[1]}}"#;
        assert!(matches!(
            decode(bad_hit),
            Err(NormalizeError::BadField { .. })
        ));
        // Hits rendered as a JSON string are parsed; a hit without _source is the document.
        let quoted = r#"{"rule":{"name":"r"},"context":{"hits":"[{\"message\":\"m\"}]"}}"#;
        let r = record(quoted);
        assert_eq!(r.events[0].message, "m");
        assert_eq!(r.events[0].timestamp, r.events[0].ingested_at);
    }

    #[test]
    fn reshaped_members_never_panic() {
        for name in [
            "kibana_two_hits.json",
            "kibana_ssh_failures.json",
            "kibana_no_hits.json",
        ] {
            let doc: Value = serde_json::from_str(&fixture(name)).unwrap();
            crate::normalize::testkit::decode_every_mutant(&doc, Format::Kibana);
        }
    }
}
