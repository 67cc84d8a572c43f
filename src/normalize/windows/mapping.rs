//! What a Windows event means: its dataset from the channel, its action from the provider's
//! event id, its outcome, and a one-line message.

use std::fmt::Write as _;

use serde_json::Value;

use super::super::json;
use crate::domain::Outcome;

/// Messages longer than this (in characters) are cut, with an ellipsis.
const MESSAGE_MAX: usize = 400;

/// The log an event comes from, as far as the mapping cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Log {
    Sysmon,
    Security,
    System,
    PowerShell,
    TaskScheduler,
    Defender,
    Wmi,
    Other,
}

impl Log {
    /// From the channel (or, without one, the provider).
    pub(super) fn of(channel: Option<&str>, provider: Option<&str>) -> Self {
        let name = channel.or(provider).unwrap_or("").to_ascii_lowercase();
        match name.as_str() {
            "microsoft-windows-sysmon/operational" | "microsoft-windows-sysmon" => Log::Sysmon,
            "security" | "microsoft-windows-security-auditing" => Log::Security,
            "system" => Log::System,
            "windows powershell"
            | "microsoft-windows-powershell/operational"
            | "powershellcore/operational"
            | "microsoft-windows-powershell"
            | "powershell" => Log::PowerShell,
            n if n.contains("taskscheduler") => Log::TaskScheduler,
            n if n.contains("windows defender") => Log::Defender,
            n if n.contains("wmi-activity") => Log::Wmi,
            _ => Log::Other,
        }
    }
}

/// `sysmon`, `windows.security`, `windows.system`, `windows.powershell`, else
/// `windows.<channel lowercased, runs of non-alphanumerics as one _>`.
pub(super) fn dataset(log: Log, channel: Option<&str>) -> String {
    match log {
        Log::Sysmon => "sysmon".into(),
        Log::Security => "windows.security".into(),
        Log::System => "windows.system".into(),
        Log::PowerShell => "windows.powershell".into(),
        _ => {
            let Some(channel) = channel else {
                return "windows".into();
            };
            let mut out = String::from("windows.");
            let mut gap = false;
            for c in channel.chars() {
                if c.is_ascii_alphanumeric() {
                    if gap && !out.ends_with('.') {
                        out.push('_');
                    }
                    gap = false;
                    out.push(c.to_ascii_lowercase());
                } else {
                    gap = true;
                }
            }
            if out.ends_with('.') {
                out.pop();
            }
            out
        }
    }
}

/// What was done, from the log and event id (Sigma's category names where there is one).
pub(super) fn action(log: Log, id: i64) -> Option<&'static str> {
    Some(match (log, id) {
        (Log::Sysmon, 1) => "process_creation",
        (Log::Sysmon, 2) => "file_change",
        (Log::Sysmon, 3) => "network_connection",
        (Log::Sysmon, 4 | 16) => "sysmon_status",
        (Log::Sysmon, 5) => "process_termination",
        (Log::Sysmon, 6) => "driver_load",
        (Log::Sysmon, 7) => "image_load",
        (Log::Sysmon, 8) => "create_remote_thread",
        (Log::Sysmon, 9) => "raw_access_thread",
        (Log::Sysmon, 10) => "process_access",
        (Log::Sysmon, 11) => "file_event",
        (Log::Sysmon, 12..=14) => "registry_event",
        (Log::Sysmon, 15) => "create_stream_hash",
        (Log::Sysmon, 17 | 18) => "pipe_created",
        (Log::Sysmon, 19..=21) => "wmi_event",
        (Log::Sysmon, 22) => "dns_query",
        (Log::Sysmon, 23 | 26) => "file_delete",
        (Log::Sysmon, 24) => "clipboard_change",
        (Log::Sysmon, 25) => "process_tampering",
        (Log::Sysmon, 27) => "file_block_executable",
        (Log::Sysmon, 28) => "file_block_shredding",
        (Log::Sysmon, 29) => "file_executable_detected",
        (Log::Sysmon, 255) => "sysmon_error",
        (Log::Security, 1102) => "audit_log_cleared",
        (Log::Security, 4624 | 4625) => "logon",
        (Log::Security, 4634 | 4647) => "logoff",
        (Log::Security, 4648) => "explicit_credential_logon",
        (Log::Security, 4672) => "special_privileges_logon",
        (Log::Security, 4657) => "registry_value_modified",
        (Log::Security, 4663) => "object_access",
        (Log::Security, 4688) => "process_creation",
        (Log::Security, 4689) => "process_termination",
        (Log::Security, 4697) => "service_installed",
        (Log::Security, 4698) => "scheduled_task_created",
        (Log::Security, 4699) => "scheduled_task_deleted",
        (Log::Security, 4700) => "scheduled_task_enabled",
        (Log::Security, 4701) => "scheduled_task_disabled",
        (Log::Security, 4702) => "scheduled_task_updated",
        (Log::Security, 4719) => "audit_policy_changed",
        (Log::Security, 4720) => "user_created",
        (Log::Security, 4722) => "user_enabled",
        (Log::Security, 4724) => "password_reset",
        (Log::Security, 4726) => "user_deleted",
        (Log::Security, 4728 | 4732 | 4756) => "group_member_added",
        (Log::Security, 4740) => "account_locked",
        (Log::Security, 4768) => "kerberos_tgt_request",
        (Log::Security, 4769) => "kerberos_service_ticket",
        (Log::Security, 4771) => "kerberos_preauth_failed",
        (Log::Security, 4776) => "credential_validation",
        (Log::Security, 5140) => "share_access",
        (Log::Security, 5145) => "share_object_access",
        (Log::Security, 5156) => "network_connection",
        (Log::System, 104) => "log_cleared",
        (Log::System, 7036) => "service_state_change",
        (Log::System, 7040) => "service_start_type_changed",
        (Log::System, 7045) => "service_installed",
        (Log::PowerShell, 400) => "powershell_engine_start",
        (Log::PowerShell, 403) => "powershell_engine_stop",
        (Log::PowerShell, 600) => "powershell_provider_start",
        (Log::PowerShell, 800) => "powershell_pipeline",
        (Log::PowerShell, 4103) => "powershell_module",
        (Log::PowerShell, 4104) => "powershell_script_block",
        (Log::TaskScheduler, 106) => "scheduled_task_created",
        (Log::TaskScheduler, 140) => "scheduled_task_updated",
        (Log::TaskScheduler, 141) => "scheduled_task_deleted",
        (Log::TaskScheduler, 142) => "scheduled_task_disabled",
        (Log::TaskScheduler, 200) => "scheduled_task_action_started",
        (Log::TaskScheduler, 201) => "scheduled_task_action_completed",
        (Log::Defender, 1006 | 1116) => "malware_detected",
        (Log::Defender, 1007 | 1117) => "malware_action",
        (Log::Defender, 1008 | 1118 | 1119) => "malware_action_failed",
        (Log::Defender, 5001) => "realtime_protection_disabled",
        (Log::Defender, 5007) => "defender_config_changed",
        (Log::Defender, 5010 | 5012) => "defender_scanning_disabled",
        (Log::Wmi, 5857) => "wmi_provider_loaded",
        (Log::Wmi, 5858) => "wmi_client_failure",
        (Log::Wmi, 5859..=5861) => "wmi_event",
        _ => return None,
    })
}

/// Success or failure where the event says: logon ids, `Status` codes, audit keywords.
pub(super) fn outcome(
    log: Log,
    id: i64,
    fields: &Value,
    audit: Option<Outcome>,
) -> Option<Outcome> {
    match (log, id) {
        (Log::Security, 4624) => Some(Outcome::Success),
        (Log::Security, 4625 | 4771) => Some(Outcome::Failure),
        (Log::Security, 4776) => match json::str_at(fields, "Status") {
            Some(status) if is_zero_status(status) => Some(Outcome::Success),
            Some(_) => Some(Outcome::Failure),
            None => audit,
        },
        (Log::Security, _) => audit,
        _ => None,
    }
}

fn is_zero_status(status: &str) -> bool {
    let digits = status
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X");
    !digits.is_empty() && digits.bytes().all(|b| b == b'0')
}

/// A process id: a number, a decimal string, or Security's hex (`0x378`).
pub(super) fn pid(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => {
            let s = s.trim();
            match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// A scalar worth showing: a non-empty string other than `-`, a number or a boolean.
fn val<'a>(f: &'a Value, key: &str) -> Option<&'a Value> {
    match json::get(f, key)? {
        Value::String(s) if s.is_empty() || s == "-" => None,
        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Some(v),
        _ => None,
    }
}

/// The first of `keys` with a value worth showing.
fn any<'a>(f: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| val(f, k))
}

/// A message written word by word into one buffer.
struct Msg(String);

impl Msg {
    fn scalar(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.0.push_str(s),
            other => {
                let _ = write!(self.0, "{other}");
            }
        }
    }

    /// ` <prefix><value>` when the value is there.
    fn word(&mut self, prefix: &str, v: Option<&Value>) -> &mut Self {
        if let Some(v) = v {
            self.0.push(' ');
            self.0.push_str(prefix);
            self.scalar(v);
        }
        self
    }

    /// ` <prefix>ip:port` (`[ip]:port` for IPv6) when the address is there.
    fn endpoint(&mut self, prefix: &str, ip: Option<&Value>, port: Option<&Value>) -> &mut Self {
        let Some(ip) = ip else { return self };
        self.0.push(' ');
        self.0.push_str(prefix);
        let v6 = ip.as_str().is_some_and(|s| s.contains(':'));
        match port {
            Some(port) if v6 => {
                self.0.push('[');
                self.scalar(ip);
                self.0.push_str("]:");
                self.scalar(port);
            }
            Some(port) => {
                self.scalar(ip);
                self.0.push(':');
                self.scalar(port);
            }
            None => self.scalar(ip),
        }
        self
    }
}

/// What the event is about, in a few words, by action (each word with a leading space).
fn detail(action: Option<&str>, f: &Value, m: &mut Msg) {
    let g = |k: &str| val(f, k);
    match action.unwrap_or("") {
        "process_creation" => {
            m.word("", any(f, &["CommandLine", "Image", "NewProcessName"]));
        }
        "network_connection" => {
            m.word("", any(f, &["Image", "Application"]))
                .endpoint("", any(f, &["SourceIp", "SourceAddress"]), g("SourcePort"))
                .endpoint(
                    "-> ",
                    any(f, &["DestinationHostname", "DestinationIp", "DestAddress"]),
                    any(f, &["DestinationPort", "DestPort"]),
                );
        }
        "image_load" => {
            m.word("", g("Image")).word("loaded ", g("ImageLoaded"));
        }
        "driver_load" => {
            m.word("", g("ImageLoaded"));
        }
        "create_remote_thread" | "process_access" => {
            m.word("", g("SourceImage"))
                .word("-> ", g("TargetImage"))
                .word("access=", g("GrantedAccess"));
        }
        "registry_event" | "registry_value_modified" => {
            m.word("", g("EventType"))
                .word("", any(f, &["TargetObject", "ObjectName"]))
                .word("= ", g("Details"))
                .word("-> ", g("NewName"));
        }
        "dns_query" => {
            m.word("", g("Image"))
                .word("", g("QueryName"))
                .word("-> ", g("QueryResults"));
        }
        "pipe_created" => {
            m.word("", g("Image")).word("", g("PipeName"));
        }
        "logon" | "logoff" | "explicit_credential_logon" | "special_privileges_logon" => {
            m.word("", any(f, &["TargetUserName", "SubjectUserName"]))
                .word("from ", any(f, &["IpAddress", "WorkstationName"]))
                .word("type=", g("LogonType"))
                .word("via ", g("ProcessName"));
        }
        a if a.starts_with("scheduled_task") => {
            m.word("", g("TaskName"))
                .word("by ", any(f, &["SubjectUserName", "UserName"]));
        }
        a if a.starts_with("malware") => {
            m.word("", g("Threat Name"))
                .word("in ", g("Path"))
                .word("action=", g("Action Name"));
        }
        "service_installed" => {
            m.word("", g("ServiceName"))
                .word("", any(f, &["ImagePath", "ServiceFileName"]));
        }
        "powershell_script_block" => {
            m.word("", g("ScriptBlockText"));
        }
        "wmi_client_failure" | "wmi_event" => {
            m.word("", any(f, &["Operation", "Consumer", "Query"]));
        }
        a if a.starts_with("file_") || a == "create_stream_hash" => {
            m.word("", g("Image"))
                .word("-> ", any(f, &["TargetFilename", "Path"]));
        }
        _ => {
            let main = any(
                f,
                &[
                    "CommandLine",
                    "TargetObject",
                    "TargetFilename",
                    "Image",
                    "ProcessName",
                ],
            );
            match main {
                Some(v) => {
                    m.word("", Some(v));
                }
                None => pairs(f, 3, m),
            }
        }
    }
}

/// Up to `max` `key=value` pairs of the data, skipping the header and bookkeeping fields.
fn pairs(f: &Value, max: usize, m: &mut Msg) {
    let Some(obj) = f.as_object() else { return };
    let shown = obj
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "EventID"
                    | "Channel"
                    | "Provider_Name"
                    | "Computer"
                    | "EventRecordID"
                    | "Level"
                    | "Task"
                    | "Keywords"
                    | "RuleName"
                    | "UtcTime"
            )
        })
        .filter(|(_, v)| json::scalar_text(v).is_some())
        .take(max);
    for (k, v) in shown {
        m.0.push(' ');
        m.0.push_str(k);
        m.0.push('=');
        m.scalar(v);
    }
}

/// `Sysmon 1 process_creation: cmd.exe /c whoami`: who wrote it, the id, the action and a
/// detail, on one line.
pub(super) fn message(
    log: Log,
    provider: Option<&str>,
    channel: Option<&str>,
    id: i64,
    action: Option<&str>,
    fields: &Value,
) -> String {
    let label = match log {
        Log::Sysmon => "Sysmon",
        Log::Security => "Security",
        _ => provider
            .map(|p| p.strip_prefix("Microsoft-Windows-").unwrap_or(p))
            .or(channel)
            .unwrap_or("Windows"),
    };
    let mut m = Msg(String::with_capacity(128));
    let _ = write!(m.0, "{label} {id}");
    if let Some(a) = action {
        m.0.push(' ');
        m.0.push_str(a);
    }
    let head = m.0.len();
    detail(action, fields, &mut m);
    if m.0.len() > head {
        // The detail's leading space becomes `: `.
        m.0.insert(head, ':');
    }
    let clean =
        m.0.len() <= MESSAGE_MAX && !has_control(&m.0) && !m.0.ends_with(char::is_whitespace);
    if clean {
        m.0
    } else {
        one_line(&m.0, MESSAGE_MAX)
    }
}

/// Whether `text` holds a control character (checked on bytes first: C0 controls and DEL are
/// single bytes, C1 controls start with 0xC2).
fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && text.chars().any(char::is_control)
}

/// `text` with line breaks and other control characters as spaces, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 3));
    let mut last_space = false;
    let multiline = text.contains(['\r', '\n']);
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        let c = if c.is_control() { ' ' } else { c };
        // `\r\n` and indentation collapse to one space.
        if c == ' ' && last_space && multiline {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out
}
