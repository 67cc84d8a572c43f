//! The mapping Zeek TSV and JSON share: one Zeek record (an object keyed by Zeek field name) to
//! an event, with per-log action, outcome, user and one-line message; notices also to an alert.

use std::borrow::Cow;

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::super::{Context, NormalizeError, Parsed, Record, json, time};
use super::line::{Ends, Line};
use super::notice::notice_alert;
use crate::domain::{Event, Outcome, Severity};

/// The log type a record with no `_path` most likely comes from, from its field names
/// (`""` when nothing fits).
pub(super) fn infer_path(obj: &Map<String, Value>) -> &'static str {
    let has = |k: &str| obj.contains_key(k);
    if has("note") {
        "notice"
    } else if has("conn_state") || (has("history") && has("orig_bytes")) {
        "conn"
    } else if has("qtype_name") || has("rcode_name") || (has("query") && has("trans_id")) {
        "dns"
    } else if has("auth_success") || has("host_key") {
        "ssh"
    } else if has("cookie") || has("security_protocol") {
        "rdp"
    } else if has("validation_status") || has("ssl_history") || has("server_name") {
        "ssl"
    } else if has("request_type") && has("client") {
        "kerberos"
    } else if has("server_nb_computer_name") || has("domainname") {
        "ntlm"
    } else if has("mailfrom") || has("rcptto") || has("helo") {
        "smtp"
    } else if has("reply_code") && has("command") {
        "ftp"
    } else if has("method") || has("status_code") {
        "http"
    } else if has("facility") && has("message") {
        "syslog"
    } else if has("name") && has("peer") && has("notice") {
        "weird"
    } else if has("machine") && has("is_exe") {
        "pe"
    } else if has("fuid") && (has("md5") || has("sha1") || has("mime_type")) {
        "files"
    } else if has("fingerprint") && has("certificate.subject") {
        "x509"
    } else {
        ""
    }
}

/// Maps one Zeek record onto an event (and, for `notice`, an alert). `format` is the wire
/// format recorded on the event; the record is moved into `event.fields`.
pub(super) fn to_record(
    obj: Map<String, Value>,
    path: &str,
    raw: &str,
    ctx: &Context,
    format: &str,
) -> Result<Parsed, NormalizeError> {
    let v = Value::Object(obj);
    let timestamp = match v.get("ts") {
        None | Some(Value::Null) => ctx.ingested_at,
        Some(t) => zeek_time(t, ctx)?,
    };
    let dataset = dataset(path);
    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        dataset.as_ref(),
        format,
        String::new(),
        raw.to_string(),
    );
    let orig_h = s(&v, "id.orig_h");
    let resp_h = s(&v, "id.resp_h");
    e.src_ip = orig_h.and_then(|ip| ip.trim().parse().ok());
    e.src_port = json::port_at(&v, "id.orig_p");
    e.dst_ip = resp_h.and_then(|ip| ip.trim().parse().ok());
    e.dst_port = json::port_at(&v, "id.resp_p");
    let ends = Ends {
        src: e.src_ip.and(orig_h).map(|ip| (ip, e.src_port)),
        dst: e.dst_ip.and(resp_h).map(|ip| (ip, e.dst_port)),
    };
    describe(&mut e, &v, path, ends);
    let alert = (path == "notice").then(|| notice_alert(&e, &v, ctx));
    if let Value::Object(obj) = v {
        e.fields = obj;
    }
    Ok(Parsed::Record(Record {
        events: vec![e],
        alert,
    }))
}

/// The common logs' paths and datasets, so most records need no formatting or copying.
const KNOWN: [(&str, &str); 13] = [
    ("conn", "zeek.conn"),
    ("dns", "zeek.dns"),
    ("ssl", "zeek.ssl"),
    ("http", "zeek.http"),
    ("files", "zeek.files"),
    ("weird", "zeek.weird"),
    ("notice", "zeek.notice"),
    ("ssh", "zeek.ssh"),
    ("rdp", "zeek.rdp"),
    ("x509", "zeek.x509"),
    ("syslog", "zeek.syslog"),
    ("analyzer", "zeek.analyzer"),
    ("", "zeek"),
];

/// A log path as a `'static` name when it is a common one (copied otherwise).
pub(super) fn path_name(path: &str) -> Cow<'static, str> {
    match KNOWN.iter().find(|(p, _)| *p == path) {
        Some((p, _)) => Cow::Borrowed(p),
        None => Cow::Owned(path.to_string()),
    }
}

/// `zeek.<path>` (`zeek` without a path).
fn dataset(path: &str) -> Cow<'static, str> {
    match KNOWN.iter().find(|(p, _)| *p == path) {
        Some((_, d)) => Cow::Borrowed(d),
        None => Cow::Owned(format!("zeek.{path}")),
    }
}

/// A Zeek time: epoch seconds (TSV, or JSON written with epoch timestamps) read to the
/// microsecond Zeek writes, or an ISO 8601 string (JSON's default).
fn zeek_time(v: &Value, ctx: &Context) -> Result<Timestamp, NormalizeError> {
    let bad = |problem: &str| NormalizeError::Timestamp {
        value: v.to_string(),
        problem: problem.to_string(),
    };
    match v {
        Value::Number(n) => {
            let secs = n.as_f64().ok_or_else(|| bad("not a number"))?;
            if !secs.is_finite() || secs.abs() > 1e13 {
                return Err(bad("epoch out of range"));
            }
            // f64 holds epoch microseconds exactly; rounding undoes the float's binary noise so
            // TSV `1521911720.865716` and JSON `2018-03-24T17:15:20.865716Z` agree.
            let micros = (secs * 1e6).round() as i64;
            Timestamp::from_microsecond(micros).map_err(|e| bad(&e.to_string()))
        }
        Value::String(s) => time::parse(s, ctx.timezone),
        _ => Err(bad("not a string or number")),
    }
}

/// A non-empty string field (`-` and `""` count as absent).
fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    json::str_at(v, key)
}

fn flag(v: &Value, key: &str) -> Option<bool> {
    json::get(v, key).and_then(Value::as_bool)
}

/// Fills action, outcome, user, severity and message from the log's own fields.
fn describe(e: &mut Event, v: &Value, path: &str, ends: Ends) {
    let text = |key: &str| json::text_at(v, key);
    let mut m;
    let action: Option<&str>;
    match path {
        "conn" => {
            action = Some("connection");
            m = Line::new(s(v, "proto").unwrap_or("conn"));
            m.word(Some("connection"))
                .ends(ends)
                .kv("service", s(v, "service"))
                .kv("state", s(v, "conn_state"));
        }
        "dns" => {
            action = Some("dns_query");
            m = Line::new("DNS query");
            m.word(s(v, "qtype_name"))
                .word(s(v, "query"))
                .ends(ends)
                .kv("rcode", s(v, "rcode_name"))
                .list("answers", v, "answers", 5);
        }
        "ssl" => {
            action = Some("tls_handshake");
            m = Line::new("TLS");
            m.word(s(v, "version"))
                .ends(ends)
                .kv("server_name", s(v, "server_name"))
                .kv("validation", s(v, "validation_status"));
        }
        "ssh" => {
            let success = flag(v, "auth_success");
            e.outcome = success.map(outcome);
            action = Some(if success.is_some() {
                "ssh_login"
            } else {
                "ssh_connection"
            });
            m = Line::new(match success {
                Some(true) => "SSH login succeeded",
                Some(false) => "SSH login failed",
                None => "SSH connection",
            });
            m.ends(ends)
                .kv("client", s(v, "client"))
                .kv("server", s(v, "server"));
        }
        "rdp" => {
            action = Some("rdp_connection");
            e.user = s(v, "cookie").map(str::to_string);
            m = Line::new("RDP");
            m.ends(ends)
                .kv("cookie", s(v, "cookie"))
                .kv("result", s(v, "result"))
                .kv("security", s(v, "security_protocol"));
        }
        "ntlm" => {
            action = Some("ntlm_auth");
            let success = flag(v, "success");
            e.outcome = success.map(outcome);
            e.user = s(v, "username").map(str::to_string);
            m = Line::new(&auth_head("NTLM auth", success));
            m.ends(ends)
                .kv("user", s(v, "username"))
                .kv("domain", s(v, "domainname"))
                .kv("host", s(v, "hostname"))
                .kv(
                    "server",
                    s(v, "server_dns_computer_name").or_else(|| s(v, "server_nb_computer_name")),
                );
        }
        "kerberos" => {
            action = Some("kerberos_auth");
            let success = flag(v, "success");
            e.outcome = success.map(outcome);
            e.user = s(v, "client").map(str::to_string);
            m = Line::new(&auth_head("Kerberos", success));
            m.word(s(v, "request_type"))
                .ends(ends)
                .kv("client", s(v, "client"))
                .kv("service", s(v, "service"))
                .kv("error", s(v, "error_msg"));
        }
        "smtp" => {
            action = Some("smtp_mail");
            m = Line::new("SMTP");
            m.ends(ends)
                .kv("from", s(v, "mailfrom").or_else(|| s(v, "from")))
                .list("to", v, "rcptto", 3)
                .kv("subject", s(v, "subject"))
                .kv("reply", s(v, "last_reply"));
        }
        "ftp" => {
            action = Some("ftp_command");
            e.user = s(v, "user").map(str::to_string);
            let code = json::i64_at(v, "reply_code");
            e.outcome = code.map(|c| {
                if c < 400 {
                    Outcome::Success
                } else {
                    Outcome::Failure
                }
            });
            m = Line::new("FTP");
            m.ends(ends)
                .kv("user", s(v, "user"))
                .word(s(v, "command"))
                .word(s(v, "arg"))
                .kv("reply", text("reply_code").as_deref())
                .word(s(v, "reply_msg"));
        }
        "http" => {
            action = Some("http_request");
            e.user = s(v, "username").map(str::to_string);
            let target = format!(
                "{}{}",
                s(v, "host").unwrap_or(""),
                s(v, "uri").unwrap_or("")
            );
            m = Line::new("HTTP");
            m.word(s(v, "method"))
                .word(Some(target.as_str()))
                .kv("status", text("status_code").as_deref())
                .ends(ends);
        }
        "weird" => {
            action = Some("weird");
            m = Line::new("weird");
            m.word(s(v, "name")).ends(ends).kv("addl", s(v, "addl"));
        }
        "syslog" => {
            action = Some("syslog");
            let level = match (s(v, "facility"), s(v, "severity")) {
                (Some(f), Some(l)) => Some(format!("{f}.{l}")),
                (f, l) => f.or(l).map(str::to_string),
            };
            m = Line::new("syslog");
            m.word(level.as_deref()).ends(ends).word(s(v, "message"));
        }
        "files" => {
            action = Some("file_transfer");
            m = Line::new("file");
            m.word(s(v, "mime_type"))
                .word(s(v, "filename"))
                .list("from", v, "tx_hosts", 3)
                .list("to", v, "rx_hosts", 3)
                .kv("md5", s(v, "md5"))
                .kv("sha1", s(v, "sha1"))
                .kv("sha256", s(v, "sha256"));
        }
        "pe" => {
            action = Some("pe_analysis");
            let kind = match flag(v, "is_exe") {
                Some(true) => Some("exe"),
                Some(false) => Some("dll"),
                None => None,
            };
            m = Line::new("PE");
            m.word(kind)
                .word(s(v, "machine"))
                .kv("os", s(v, "os"))
                .kv("subsystem", s(v, "subsystem"))
                .kv("file", s(v, "id"));
        }
        "x509" => {
            action = Some("certificate");
            m = Line::new("x509 certificate");
            m.kv("subject", s(v, "certificate.subject"))
                .kv("issuer", s(v, "certificate.issuer"));
        }
        "notice" => {
            action = Some("notice");
            e.severity = Some(Severity::Medium);
            let mut ends = ends;
            if ends.src.is_none() {
                e.src_ip = json::ip_at(v, "src");
                ends.src = e.src_ip.and(s(v, "src")).map(|ip| (ip, None));
            }
            if ends.dst.is_none() {
                e.dst_ip = json::ip_at(v, "dst");
                e.dst_port = e.dst_port.or_else(|| json::port_at(v, "p"));
                ends.dst = e.dst_ip.and(s(v, "dst")).map(|ip| (ip, e.dst_port));
            }
            let head = match (s(v, "note"), s(v, "msg")) {
                (Some(note), Some(msg)) => format!("{note}: {msg}"),
                (note, msg) => note.or(msg).unwrap_or("notice").to_string(),
            };
            m = Line::new(&head);
            m.ends(ends).kv("sub", s(v, "sub"));
        }
        _ => {
            action = None;
            let mut ends = ends;
            if ends.src.is_none() && ends.dst.is_none() {
                e.src_ip = json::ip_at(v, "host");
                e.src_port = json::port_at(v, "port_num").or_else(|| json::port_at(v, "host_p"));
                ends.src = e.src_ip.and(s(v, "host")).map(|ip| (ip, e.src_port));
            }
            m = Line::new(if path.is_empty() { "zeek" } else { path });
            m.ends(ends);
            generic_pairs(&mut m, v, 4);
        }
    }
    e.action = action.map(str::to_string);
    e.message = m.finish();
}

fn outcome(success: bool) -> Outcome {
    if success {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

fn auth_head(what: &str, success: Option<bool>) -> String {
    match success {
        Some(true) => format!("{what} succeeded"),
        Some(false) => format!("{what} failed"),
        None => what.to_string(),
    }
}

/// Up to `max` `key=value` pairs of a log nothing more specific describes: text, integers and
/// booleans only (floats print differently in TSV and JSON), skipping bookkeeping fields.
fn generic_pairs(m: &mut Line, v: &Value, max: usize) {
    let Some(obj) = v.as_object() else { return };
    let mut added = 0;
    for (key, value) in obj {
        if added == max {
            break;
        }
        if matches!(
            key.as_str(),
            "ts" | "_path" | "_write_ts" | "_system_name" | "uid" | "host" | "port_num" | "host_p"
        ) || key.starts_with("id.")
        {
            continue;
        }
        let text = match value {
            Value::String(s) if !s.is_empty() && s != "-" => s.clone(),
            Value::Number(n) if !n.is_f64() => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Array(items) if !items.is_empty() => {
                let parts: Vec<String> =
                    items.iter().take(3).filter_map(json::scalar_text).collect();
                if parts.is_empty() {
                    continue;
                }
                parts.join(",")
            }
            _ => continue,
        };
        m.kv(key, Some(&text));
        added += 1;
    }
}
