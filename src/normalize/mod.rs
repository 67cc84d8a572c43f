//! Normalisers: raw input in the formats SOCs really have, turned into [`Event`]s (and
//! [`Alert`]s where the source is itself an alerting system).
//!
//! Each format lives in its own module. JSON formats take the already-parsed value (so a JSON
//! line is parsed once, whatever format it turns out to be) and the raw text; line formats take
//! the line. The [`Decoder`] holds the little state some formats need (Zeek TSV headers) and
//! routes each record to its module: by the `--format` the user gave, else by content.

pub mod generic;
pub mod json;
pub mod kibana;
pub mod splunk;
pub mod suricata;
pub mod syslog;
pub mod template;
#[cfg(test)]
mod testkit;
pub mod time;
pub mod wazuh;
pub mod windows;
pub mod zeek;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{Alert, Event, named_enum};

pub use generic::FieldMap;

/// The input formats tocsin understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Wazuh `alerts.json` records.
    Wazuh,
    /// Splunk alert-action webhook payloads.
    Splunk,
    /// Kibana / Elastic alerting webhook payloads.
    Kibana,
    /// Suricata EVE JSON.
    Suricata,
    /// Zeek JSON streaming logs.
    ZeekJson,
    /// Zeek TSV logs with `#fields` / `#types` headers.
    ZeekTsv,
    /// Syslog, RFC 3164 or RFC 5424 (sshd and pam messages parsed further).
    Syslog,
    /// Windows events as JSON: evtx-crate output, Winlogbeat, or flattened shipper JSON.
    WindowsJson,
    /// Binary Windows `.evtx` files.
    Evtx,
    /// Any other JSON, mapped with `[ingest.field_map]`.
    Json,
    /// Plain text lines taken as they are (only when asked for with `--format text`).
    Text,
}

named_enum!(Format, "format", {
    Wazuh => "wazuh",
    Splunk => "splunk",
    Kibana => "kibana",
    Suricata => "suricata",
    ZeekJson => "zeek_json",
    ZeekTsv => "zeek_tsv",
    Syslog => "syslog",
    WindowsJson => "windows_json",
    Evtx => "evtx",
    Json => "json",
    Text => "text",
});

impl Format {
    /// True for formats whose records are JSON documents.
    pub fn is_json(self) -> bool {
        matches!(
            self,
            Format::Wazuh
                | Format::Splunk
                | Format::Kibana
                | Format::Suricata
                | Format::ZeekJson
                | Format::WindowsJson
                | Format::Json
        )
    }
}

/// What the caller knows about a record that the record itself may not say.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The record's stable id (content hash or stream entry id). Events derive their ids from it.
    pub id: &'a str,
    /// Where the record came from (file path, stream key, webhook name).
    pub source: &'a str,
    /// When tocsin received it.
    pub ingested_at: Timestamp,
    /// The time a year-less timestamp is resolved against (a file's modification time, or now):
    /// the year is the reference's, unless that would put the line in the future, then the year
    /// before.
    pub reference_time: Timestamp,
    /// A year forced by config or flag for year-less timestamps (wins over `reference_time`).
    pub year: Option<i16>,
    /// The time zone of timestamps that carry none (RFC 3164 syslog).
    pub timezone: &'a jiff::tz::TimeZone,
    /// Field mapping for generic JSON.
    pub field_map: &'a FieldMap,
}

/// What one raw record became.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub events: Vec<Event>,
    /// Set when the source is itself an alert (Wazuh, Splunk, Kibana, Suricata `alert`, Zeek
    /// `notice`). Its `event_ids` point into `events`.
    pub alert: Option<Alert>,
}

impl Record {
    pub fn event(event: Event) -> Self {
        Record {
            events: vec![event],
            alert: None,
        }
    }
}

/// The outcome of normalising one record that did not fail.
// Returned by value once per record and consumed at once: boxing the record would cost an
// allocation per record on the hottest path to save stack space nobody keeps.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Record(Record),
    /// Deliberately not an event (Suricata `stats`, Zeek header lines); counted, not stored.
    Skip {
        reason: &'static str,
    },
}

/// Why a record could not be normalised. The text is what the analyst sees in the rejects list.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum NormalizeError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}`: {problem}")]
    BadField {
        field: &'static str,
        problem: String,
    },
    #[error("bad timestamp `{value}`: {problem}")]
    Timestamp { value: String, problem: String },
    /// The reader could not even cut a record out of the input (a broken evtx record, a JSON
    /// document stream that stops parsing); the text is the reader's reason.
    #[error("{0}")]
    Unreadable(String),
    #[error("not {format}: {problem}")]
    Unrecognised {
        format: &'static str,
        problem: String,
    },
}

impl NormalizeError {
    pub fn bad_field(field: &'static str, problem: impl Into<String>) -> Self {
        NormalizeError::BadField {
            field,
            problem: problem.into(),
        }
    }
}

/// Which JSON format a parsed document is, from its shape.
pub fn detect_json(v: &Value) -> Format {
    let Some(obj) = v.as_object() else {
        return Format::Json;
    };
    let has = |k: &str| obj.contains_key(k);
    if has("Event") && v.pointer("/Event/System").is_some() {
        return Format::WindowsJson;
    }
    if has("winlog") || (has("EventID") && (has("Channel") || has("Hostname") || has("Computer"))) {
        return Format::WindowsJson;
    }
    if has("event_type") && (has("src_ip") || has("flow_id") || has("timestamp")) {
        return Format::Suricata;
    }
    if let Some(rule) = obj.get("rule").and_then(Value::as_object) {
        if rule.contains_key("level") && (has("agent") || has("decoder") || has("manager")) {
            return Format::Wazuh;
        }
        if has("context") || rule.contains_key("name") && has("alert") {
            return Format::Kibana;
        }
    }
    if has("context") && v.pointer("/context/hits").is_some() {
        return Format::Kibana;
    }
    if has("result") && (has("search_name") || has("sid") || has("results_link")) {
        return Format::Splunk;
    }
    if has("_path") || (has("ts") && (has("uid") || has("id.orig_h") || has("_write_ts"))) {
        return Format::ZeekJson;
    }
    Format::Json
}

/// Per-input state and routing. One decoder reads one input (a file, a stream), record by record.
#[derive(Debug, Default)]
pub struct Decoder {
    forced: Option<Format>,
    zeek: Option<zeek::TsvHeader>,
    /// Records of this input so far that were JSON / syslog, so a line that is neither can be
    /// explained in terms of what the input evidently is.
    json_seen: u64,
    syslog_seen: u64,
}

impl Decoder {
    /// A decoder that detects the format of each record, or always uses `forced`.
    pub fn new(forced: Option<Format>) -> Self {
        Decoder {
            forced,
            ..Default::default()
        }
    }

    /// Normalises one line of a line-oriented input (the line has no trailing newline).
    pub fn decode_line(&mut self, line: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
        match self.forced {
            Some(Format::Syslog) => return syslog::normalize(line, ctx),
            Some(Format::Text) => return Ok(generic::text_line(line, ctx)),
            Some(Format::ZeekTsv) => return self.zeek_line(line, ctx),
            Some(Format::Evtx) => {
                return Err(NormalizeError::Unrecognised {
                    format: "evtx",
                    problem: "evtx is a binary file format, not a line format".into(),
                });
            }
            Some(f) if f.is_json() => return self.decode_json_text(line, ctx),
            _ => {}
        }
        if line.starts_with('#') || self.zeek.is_some() {
            return self.zeek_line(line, ctx);
        }
        if line.trim_start().starts_with('{') {
            self.json_seen += 1;
            return self.decode_json_text(line, ctx);
        }
        match syslog::normalize(line, ctx) {
            Ok(parsed) => {
                self.syslog_seen += 1;
                Ok(parsed)
            }
            // A JSON-lines input with a broken line: say what is wrong with it as JSON.
            Err(_) if self.json_seen > 0 && self.syslog_seen == 0 => {
                self.decode_json_text(line, ctx)
            }
            Err(e) if self.syslog_seen > 0 => Err(e),
            Err(e) => Err(NormalizeError::Unrecognised {
                format: "a known format",
                problem: format!(
                    "not JSON (no `{{`), not Zeek TSV (no `#fields` header), {e}; use --format text to keep such lines as plain text"
                ),
            }),
        }
    }

    fn zeek_line(&mut self, line: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
        if let Some(rest) = line.strip_prefix('#') {
            let header = self.zeek.get_or_insert_with(zeek::TsvHeader::default);
            header.directive(rest)?;
            return Ok(Parsed::Skip {
                reason: "zeek header",
            });
        }
        match &self.zeek {
            Some(header) => header.row(line, ctx),
            None => Err(NormalizeError::Unrecognised {
                format: "zeek_tsv",
                problem: "data row before any #fields header".into(),
            }),
        }
    }

    fn decode_json_text(&mut self, text: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| NormalizeError::Json(e.to_string()))?;
        self.decode_value(value, text, ctx)
    }

    /// Normalises one JSON document already parsed (`raw` is its text, kept on the event).
    pub fn decode_value(
        &mut self,
        value: Value,
        raw: &str,
        ctx: &Context,
    ) -> Result<Parsed, NormalizeError> {
        let format = match self.forced {
            Some(f) if f.is_json() => f,
            _ => detect_json(&value),
        };
        match format {
            Format::Wazuh => wazuh::normalize(value, raw, ctx),
            Format::Splunk => splunk::normalize(value, raw, ctx),
            Format::Kibana => kibana::normalize(value, raw, ctx),
            Format::Suricata => suricata::normalize(value, raw, ctx),
            Format::ZeekJson => zeek::normalize_json(value, raw, ctx),
            Format::WindowsJson => windows::normalize(value, raw, ctx),
            _ => generic::normalize(value, raw, ctx),
        }
    }
}
