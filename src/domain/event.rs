//! Event: one normalised record of something that happened, whatever format it arrived in.

use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Severity, named_enum};

/// Whether the thing an event describes succeeded (a login, a connection, a command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

named_enum!(Outcome, "outcome", {
    Success => "success",
    Failure => "failure",
    Unknown => "unknown",
});

/// A normalised event, ECS-like. `fields` keeps the source's own structured data (Windows
/// `EventData`, Zeek columns, the parsed JSON of a webhook) so detection and the detail view
/// lose nothing; `raw` keeps the input exactly as it arrived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable id: a content hash for files, the stream entry id for streams.
    pub id: String,
    /// When it happened, per the source (falls back to ingestion time when the source has none).
    pub timestamp: Timestamp,
    /// When tocsin received it.
    pub ingested_at: Timestamp,
    /// Where it came from: a file path, a stream key, a webhook name.
    pub source: String,
    /// What kind of log it is: `sshd`, `pam`, `syslog`, `wazuh`, `suricata`, `zeek.dns`, `sysmon`,
    /// `windows.security`, `splunk`, `kibana`, `json`, ...
    pub dataset: String,
    /// The wire format it was parsed from (see `normalize::Format`).
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<u16>,
    /// Program or image name (`sshd`, `C:\Windows\System32\cmd.exe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// What was done, in the source's words normalised to snake_case where known
    /// (`ssh_login`, `dns_query`, `process_creation`, `alert`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Human-readable one-line summary (the log message, the signature, the rule description).
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// ATT&CK technique ids (`T1110`, `T1059.001`) the source attached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    /// Log template id (filled by the template miner; empty until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Source-specific structured fields.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The input exactly as received (one line, one JSON document, or evtx-crate JSON).
    pub raw: String,
}

impl Event {
    /// A new event with the required parts set and everything optional empty.
    // Every argument is a required field of a different meaning; a builder would only move
    // the same eight values around.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        timestamp: Timestamp,
        ingested_at: Timestamp,
        source: &str,
        dataset: &str,
        format: &str,
        message: String,
        raw: String,
    ) -> Self {
        Event {
            id,
            timestamp,
            ingested_at,
            source: source.to_string(),
            dataset: dataset.to_string(),
            format: format.to_string(),
            host: None,
            user: None,
            src_ip: None,
            src_port: None,
            dst_ip: None,
            dst_port: None,
            process: None,
            pid: None,
            command_line: None,
            action: None,
            outcome: None,
            message,
            severity: None,
            techniques: Vec::new(),
            template_id: None,
            fields: serde_json::Map::new(),
            raw,
        }
    }
}
