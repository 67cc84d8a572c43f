//! Generic JSON lines, mapped onto events with `[ingest.field_map]`, and plain text lines.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Context, NormalizeError, Parsed, Record, json, time};
use crate::domain::{Event, Outcome, Severity};

/// Where each event field is found in a generic JSON document: dotted paths, first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldMap {
    pub timestamp: Vec<String>,
    pub host: Vec<String>,
    pub user: Vec<String>,
    pub src_ip: Vec<String>,
    pub src_port: Vec<String>,
    pub dst_ip: Vec<String>,
    pub dst_port: Vec<String>,
    pub process: Vec<String>,
    pub command_line: Vec<String>,
    pub action: Vec<String>,
    pub outcome: Vec<String>,
    pub message: Vec<String>,
    pub severity: Vec<String>,
    /// The dataset name given to events from generic JSON.
    pub dataset: String,
}

fn paths(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            timestamp: paths(&["@timestamp", "timestamp", "time", "ts", "date"]),
            host: paths(&["host.name", "hostname", "host", "computer"]),
            user: paths(&["user.name", "user", "username"]),
            src_ip: paths(&["source.ip", "src_ip", "srcip", "client_ip"]),
            src_port: paths(&["source.port", "src_port", "srcport"]),
            dst_ip: paths(&["destination.ip", "dst_ip", "dest_ip", "dstip"]),
            dst_port: paths(&["destination.port", "dst_port", "dest_port", "dstport"]),
            process: paths(&["process.name", "process", "program", "app"]),
            command_line: paths(&["process.command_line", "command_line", "cmdline"]),
            action: paths(&["event.action", "action"]),
            outcome: paths(&["event.outcome", "outcome"]),
            message: paths(&["message", "msg", "log", "event.original"]),
            severity: paths(&["log.level", "severity", "level"]),
            dataset: "json".to_string(),
        }
    }
}

fn first<'v>(v: &'v Value, paths: &[String]) -> Option<&'v Value> {
    paths
        .iter()
        .find_map(|p| json::get(v, p).filter(|x| !x.is_null()))
}

fn first_text(v: &Value, paths: &[String]) -> Option<String> {
    paths.iter().find_map(|p| json::text_at(v, p))
}

/// Normalises a JSON document no specific format claimed. A timestamp that is present but
/// unreadable is an error; an absent one falls back to the ingestion time.
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    if !value.is_object() {
        return Err(NormalizeError::Unrecognised {
            format: "json",
            problem: "not a JSON object".into(),
        });
    }
    let map = ctx.field_map;
    let timestamp = match first(&value, &map.timestamp) {
        Some(t) => time::from_value(t, ctx.timezone)?,
        None => ctx.ingested_at,
    };
    let message =
        first_text(&value, &map.message).unwrap_or_else(|| raw.chars().take(400).collect());
    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        &map.dataset,
        "json",
        message,
        raw.to_string(),
    );
    e.host = first_text(&value, &map.host);
    e.user = first_text(&value, &map.user);
    e.src_ip = first_text(&value, &map.src_ip).and_then(|s| s.parse().ok());
    e.dst_ip = first_text(&value, &map.dst_ip).and_then(|s| s.parse().ok());
    e.src_port = first_text(&value, &map.src_port).and_then(|s| s.parse().ok());
    e.dst_port = first_text(&value, &map.dst_port).and_then(|s| s.parse().ok());
    e.process = first_text(&value, &map.process);
    e.command_line = first_text(&value, &map.command_line);
    e.action = first_text(&value, &map.action);
    e.outcome = first_text(&value, &map.outcome).and_then(|s| s.parse::<Outcome>().ok());
    e.severity = first_text(&value, &map.severity).and_then(|s| s.parse::<Severity>().ok());
    if let Value::Object(obj) = value {
        e.fields = obj;
    }
    Ok(Parsed::Record(Record::event(e)))
}

/// A plain text line as an event of dataset `text`, stamped with the ingestion time.
pub fn text_line(line: &str, ctx: &Context) -> Parsed {
    let e = Event::new(
        ctx.id.to_string(),
        ctx.ingested_at,
        ctx.ingested_at,
        ctx.source,
        "text",
        "text",
        line.to_string(),
        line.to_string(),
    );
    Parsed::Record(Record::event(e))
}

#[cfg(test)]
mod tests {
    use jiff::{Timestamp, tz::TimeZone};
    use serde_json::json;

    use super::*;

    fn run(value: Value, map: &FieldMap) -> Result<Parsed, NormalizeError> {
        let now: Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
        let ctx = Context {
            id: "id",
            source: "test",
            ingested_at: now,
            reference_time: now,
            year: None,
            timezone: &TimeZone::UTC,
            field_map: map,
        };
        let raw = value.to_string();
        normalize(value, &raw, &ctx)
    }

    fn event(p: Parsed) -> Event {
        match p {
            Parsed::Record(mut r) => r.events.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ecs_shaped_json_maps_with_the_defaults() {
        let v = json!({"@timestamp": "2026-11-20T09:00:00Z", "host": {"name": "web-01"},
            "source": {"ip": "203.0.113.9", "port": 4444}, "user": {"name": "deploy"},
            "event": {"action": "login", "outcome": "failure"}, "message": "login failed",
            "log": {"level": "high"}});
        let e = event(run(v, &FieldMap::default()).unwrap());
        assert_eq!(e.timestamp.to_string(), "2026-11-20T09:00:00Z");
        assert_eq!(e.host.as_deref(), Some("web-01"));
        assert_eq!(e.src_ip, Some("203.0.113.9".parse().unwrap()));
        assert_eq!(e.src_port, Some(4444));
        assert_eq!(e.user.as_deref(), Some("deploy"));
        assert_eq!(e.outcome, Some(Outcome::Failure));
        assert_eq!(e.severity, Some(Severity::High));
        assert_eq!(e.message, "login failed");
        assert_eq!(
            e.fields["host"]["name"], "web-01",
            "the document is kept whole"
        );
    }

    #[test]
    fn a_custom_map_and_its_dataset_win() {
        let map = FieldMap {
            timestamp: vec!["when".into()],
            host: vec!["box".into()],
            message: vec!["what".into()],
            dataset: "firewall".into(),
            ..FieldMap::default()
        };
        let e = event(
            run(
                json!({"when": 1795132800, "box": "fw-1", "what": "deny tcp"}),
                &map,
            )
            .unwrap(),
        );
        assert_eq!(e.dataset, "firewall");
        assert_eq!(e.host.as_deref(), Some("fw-1"));
        assert_eq!(e.timestamp.as_second(), 1795132800);
        assert_eq!(e.message, "deny tcp");
    }

    #[test]
    fn unreadable_timestamp_is_an_error_and_absent_one_is_ingestion_time() {
        assert!(matches!(
            run(json!({"ts": "soon"}), &FieldMap::default()),
            Err(NormalizeError::Timestamp { .. })
        ));
        let e = event(run(json!({"msg": "no time"}), &FieldMap::default()).unwrap());
        assert_eq!(e.timestamp.to_string(), "2026-11-20T12:00:00Z");
        assert!(run(json!([1, 2]), &FieldMap::default()).is_err());
    }
}
