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
