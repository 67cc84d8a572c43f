//! Suricata EVE JSON records, routed by `event_type`: alerts become an event plus an alert,
//! protocol records (dns, http, flow, fileinfo, tls, ...) become events, stats are skipped.

use std::fmt::Write as _;
use std::net::IpAddr;

use serde_json::{Map, Value};

use super::json::{integer, pick, string};
use super::{Context, NormalizeError, Parsed, Record, json, time};
use crate::domain::{Alert, AlertSource, Entities, Event, RuleRef, Severity, derived_id};

/// Normalises one EVE record. `stats` records are skipped; an absent or unreadable timestamp is
/// an error (Suricata always writes one).
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let Value::Object(obj) = &value else {
        return Err(NormalizeError::Unrecognised {
            format: "suricata",
            problem: "not a JSON object".into(),
        });
    };
    let v = Eve::read(obj);
    let event_type = match v.event_type {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        Some(Value::Null) | None => return Err(NormalizeError::Missing("event_type")),
        Some(_) => return Err(NormalizeError::bad_field("event_type", "not a string")),
    };
    if event_type == "stats" {
        return Ok(Parsed::Skip {
            reason: "suricata stats record",
        });
    }
    let timestamp = match v.timestamp {
        Some(Value::Null) | None => return Err(NormalizeError::Missing("timestamp")),
        Some(t) => time::from_value(t, ctx.timezone)?,
    };

    let alert_parts = (event_type == "alert").then(|| {
        pick(
            v.alert.unwrap_or(&Value::Null),
            ["signature_id", "signature", "severity", "metadata"],
        )
    });
    let (message, action) = match &alert_parts {
        Some(parts) => (alert_message(parts), "alert".to_string()),
        None => summarise(event_type, &v),
    };
    let dataset = dataset(event_type);
    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        &dataset,
        "suricata",
        message,
        raw.to_string(),
    );
    e.host = at::text_at(&v, "host");
    e.src_ip = at::ip_at(&v, "src_ip");
    e.src_port = at::port_at(&v, "src_port");
    e.dst_ip = at::ip_at(&v, "dest_ip");
    e.dst_port = at::port_at(&v, "dest_port");
    e.action = Some(action);

    let alert = match alert_parts {
        Some(parts) => Some(build_alert(&v, parts, &mut e, ctx)?),
        None => None,
    };
    if let Value::Object(obj) = value {
        e.fields = obj;
    }
    Ok(Parsed::Record(Record {
        events: vec![e],
        alert,
    }))
}

/// `suricata.<event_type>`, without building a string for the common types.
fn dataset(event_type: &str) -> std::borrow::Cow<'static, str> {
    let known = match event_type {
        "alert" => "suricata.alert",
        "dns" => "suricata.dns",
        "http" => "suricata.http",
        "flow" => "suricata.flow",
        "fileinfo" => "suricata.fileinfo",
        "tls" => "suricata.tls",
        "ssh" => "suricata.ssh",
        "anomaly" => "suricata.anomaly",
        "smtp" => "suricata.smtp",
        "netflow" => "suricata.netflow",
        other => return format!("suricata.{other}").into(),
    };
    known.into()
}

/// The members of an `alert` object the normaliser reads: signature id, signature, severity,
/// metadata.
type AlertParts<'a> = [Option<&'a Value>; 4];

/// The alert of an `alert` record; also sets the event's severity and techniques.
fn build_alert(
    value: &Eve,
    [sid, _, priority, metadata]: AlertParts,
    e: &mut Event,
    ctx: &Context,
) -> Result<Alert, NormalizeError> {
    let sid = match sid {
        Some(Value::Null) | None => return Err(NormalizeError::Missing("alert.signature_id")),
        Some(v) => json::scalar_text(v)
            .ok_or_else(|| NormalizeError::bad_field("alert.signature_id", "not a number"))?,
    };
    let priority = priority.and_then(integer);
    let severity = priority.map_or(Severity::Info, Severity::from_suricata);
    e.severity = Some(severity);
    if let Some(metadata) = metadata {
        e.techniques = json::strings_at(metadata, "mitre_technique_id");
    }

    // The event's message is already the signature (or `sid N` without one).
    let rule = RuleRef {
        name: e.message.clone(),
        id: sid,
        source: AlertSource::Suricata,
    };
    let summary = e.message.clone();
    let mut alert = Alert::from_event(derived_id(ctx.id, "alert"), rule, severity, e, summary);
    alert.score = priority.map(|p| p as f64);
    add_observables(value, &mut alert.entities);
    Ok(alert)
}

/// Domains (HTTP host, DNS names, TLS SNI) and file hashes an alert record carries.
fn add_observables(value: &Eve, entities: &mut Entities) {
    for path in ["http.hostname", "dns.rrname", "tls.sni"] {
        if let Some(d) = at::str_at(value, path) {
            add_domain(entities, d);
        }
    }
    for list in ["dns.queries", "dns.query"] {
        if let Some(Value::Array(items)) = at::get(value, list) {
            for d in items.iter().filter_map(|q| json::str_at(q, "rrname")) {
                add_domain(entities, d);
            }
        }
    }
    add_hashes(at::get(value, "fileinfo"), entities);
    if let Some(Value::Array(files)) = at::get(value, "files") {
        for f in files {
            add_hashes(Some(f), entities);
        }
    }
}

fn add_domain(entities: &mut Entities, name: &str) {
    // An HTTP "hostname" is often a bare address; that is an IP, not a domain.
    if name.parse::<IpAddr>().is_err() {
        entities.add_domain(name);
    }
}

fn add_hashes(file: Option<&Value>, entities: &mut Entities) {
    let Some(file) = file else { return };
    for key in ["md5", "sha1", "sha256"] {
        if let Some(h) = json::str_at(file, key) {
            entities.add_hash(h);
        }
    }
}

fn alert_message([sid, signature, ..]: &AlertParts) -> String {
    signature
        .and_then(json::scalar_text)
        .or_else(|| sid.and_then(json::scalar_text).map(|s| format!("sid {s}")))
        .unwrap_or_else(|| "Suricata alert".to_string())
}

/// Appends ` part` when there is a part.
fn push(out: &mut String, part: Option<&str>) {
    if let Some(p) = part {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p);
    }
}

/// `proto src:port -> dst:port`, from the record's own endpoints.
fn endpoints(value: &Eve) -> String {
    let mut out = String::new();
    push(&mut out, at::str_at(value, "proto"));
    let end = |ip: &str, port: &str| match (at::str_at(value, ip), at::i64_at(value, port)) {
        (Some(i), Some(p)) => format!("{i}:{p}"),
        (Some(i), None) => i.to_string(),
        _ => "?".to_string(),
    };
    let _ = write!(
        out,
        "{}{} -> {}",
        if out.is_empty() { "" } else { " " },
        end("src_ip", "src_port"),
        end("dest_ip", "dest_port")
    );
    out
}

/// The one-line message and the action of a non-alert record.
fn summarise(event_type: &str, v: &Eve) -> (String, String) {
    let mut m = String::new();
    let action = match event_type {
        "dns" => {
            let [kind, rrname, rrtype, rcode, queries] = pick(
                v.dns.unwrap_or(&Value::Null),
                ["type", "rrname", "rrtype", "rcode", "queries"],
            );
            let answer = matches!(string(kind), Some("answer" | "response"));
            let first = |field: &str| match queries {
                Some(Value::Array(items)) => items.iter().find_map(|q| json::str_at(q, field)),
                _ => None,
            };
            m.push_str(if answer { "DNS answer" } else { "DNS query" });
            push(&mut m, string(rrtype).or_else(|| first("rrtype")));
            push(&mut m, string(rrname).or_else(|| first("rrname")));
            if answer {
                push(&mut m, string(rcode));
            }
            if answer { "dns_answer" } else { "dns_query" }
        }
        "http" => {
            http_line(v, &mut m);
            "http_request"
        }
        "fileinfo" => {
            let [filename, size, state] = pick(
                v.fileinfo.unwrap_or(&Value::Null),
                ["filename", "size", "state"],
            );
            m.push_str("file");
            push(&mut m, string(filename));
            let size = size.and_then(integer);
            let state = string(state);
            match (size, state) {
                (Some(n), Some(st)) => {
                    let _ = write!(m, " ({n} bytes, {st})");
                }
                (Some(n), None) => {
                    let _ = write!(m, " ({n} bytes)");
                }
                (None, Some(st)) => {
                    let _ = write!(m, " ({st})");
                }
                (None, None) => {}
            }
            if let Some(host) = at::str_at(v, "http.hostname") {
                m.push_str(" from ");
                m.push_str(host);
            }
            "file_info"
        }
        "flow" => {
            m.push_str("flow ");
            m.push_str(&endpoints(v));
            push(&mut m, at::str_at(v, "flow.state"));
            push(&mut m, at::str_at(v, "flow.reason"));
            "flow"
        }
        "tls" => {
            m.push_str("TLS");
            push(&mut m, at::str_at(v, "tls.version"));
            push(
                &mut m,
                at::str_at(v, "tls.sni").or_else(|| at::str_at(v, "tls.subject")),
            );
            "tls_handshake"
        }
        "ssh" => {
            m.push_str("SSH");
            push(&mut m, at::str_at(v, "ssh.client.software_version"));
            m.push_str(" ->");
            push(&mut m, at::str_at(v, "ssh.server.software_version"));
            "ssh_session"
        }
        "anomaly" => {
            m.push_str("anomaly");
            push(&mut m, at::str_at(v, "anomaly.type"));
            push(&mut m, at::str_at(v, "anomaly.event"));
            "anomaly"
        }
        "smtp" => {
            m.push_str("SMTP");
            if let Some(from) =
                at::str_at(v, "email.from").or_else(|| at::str_at(v, "smtp.mail_from"))
            {
                let _ = write!(m, " from {from}");
            }
            let to = at::strings_at(v, "email.to");
            let to = if to.is_empty() {
                at::strings_at(v, "smtp.rcpt_to")
            } else {
                to
            };
            if !to.is_empty() {
                let _ = write!(m, " to {}", to.join(", "));
            }
            push(&mut m, at::str_at(v, "email.subject"));
            "smtp"
        }
        other => {
            m.push_str(other);
            m.push(' ');
            m.push_str(&endpoints(v));
            return (m, other.to_string());
        }
    };
    (m, action.to_string())
}

/// `GET deb.debian.org/debian/... 200`.
fn http_line(v: &Eve, m: &mut String) {
    let [method, host, url, status] = pick(
        v.http.unwrap_or(&Value::Null),
        ["http_method", "hostname", "url", "status"],
    );
    push(m, string(method));
    match (string(host), string(url)) {
        (Some(h), Some(u)) if !u.contains("://") => {
            if !m.is_empty() {
                m.push(' ');
            }
            m.push_str(h);
            m.push_str(u);
        }
        (h, u) => push(m, u.or(h)),
    }
    match status {
        Some(Value::Number(n)) => {
            if !m.is_empty() {
                m.push(' ');
            }
            let _ = write!(m, "{n}");
        }
        Some(Value::String(st)) => push(m, Some(st)),
        _ => {}
    }
    if m.is_empty() {
        m.push_str("HTTP");
    }
}

/// The top-level members of an EVE record this module reads, found in one pass over the record
/// (cheaper than a hashed lookup per name).
#[derive(Default)]
struct Eve<'a> {
    event_type: Option<&'a Value>,
    timestamp: Option<&'a Value>,
    host: Option<&'a Value>,
    src_ip: Option<&'a Value>,
    src_port: Option<&'a Value>,
    dest_ip: Option<&'a Value>,
    dest_port: Option<&'a Value>,
    proto: Option<&'a Value>,
    alert: Option<&'a Value>,
    dns: Option<&'a Value>,
    http: Option<&'a Value>,
    tls: Option<&'a Value>,
    ssh: Option<&'a Value>,
    smtp: Option<&'a Value>,
    email: Option<&'a Value>,
    fileinfo: Option<&'a Value>,
    files: Option<&'a Value>,
    flow: Option<&'a Value>,
    anomaly: Option<&'a Value>,
}

impl<'a> Eve<'a> {
    fn read(obj: &'a Map<String, Value>) -> Self {
        let mut e = Eve::default();
        for (k, v) in obj {
            let slot = match k.as_str() {
                "event_type" => &mut e.event_type,
                "timestamp" => &mut e.timestamp,
                "host" => &mut e.host,
                "src_ip" => &mut e.src_ip,
                "src_port" => &mut e.src_port,
                "dest_ip" => &mut e.dest_ip,
                "dest_port" => &mut e.dest_port,
                "proto" => &mut e.proto,
                "alert" => &mut e.alert,
                "dns" => &mut e.dns,
                "http" => &mut e.http,
                "tls" => &mut e.tls,
                "ssh" => &mut e.ssh,
                "smtp" => &mut e.smtp,
                "email" => &mut e.email,
                "fileinfo" => &mut e.fileinfo,
                "files" => &mut e.files,
                "flow" => &mut e.flow,
                "anomaly" => &mut e.anomaly,
                _ => continue,
            };
            *slot = Some(v);
        }
        e
    }

    /// A top-level member by name (only the names [`Eve::read`] collects).
    fn top(&self, name: &str) -> Option<&'a Value> {
        match name {
            "event_type" => self.event_type,
            "timestamp" => self.timestamp,
            "host" => self.host,
            "src_ip" => self.src_ip,
            "src_port" => self.src_port,
            "dest_ip" => self.dest_ip,
            "dest_port" => self.dest_port,
            "proto" => self.proto,
            "alert" => self.alert,
            "dns" => self.dns,
            "http" => self.http,
            "tls" => self.tls,
            "ssh" => self.ssh,
            "smtp" => self.smtp,
            "email" => self.email,
            "fileinfo" => self.fileinfo,
            "files" => self.files,
            "flow" => self.flow,
            "anomaly" => self.anomaly,
            _ => None,
        }
    }
}

/// Dotted-path accessors over an [`Eve`]: the first segment from the one-pass index, the rest one
/// map lookup per level (EVE nests objects and never writes dotted keys), with the lenient
/// readings of the shared `json` accessors.
mod at {
    use std::net::IpAddr;

    use serde_json::Value;

    use super::Eve;
    use crate::normalize::json;

    pub fn get<'a>(e: &Eve<'a>, path: &str) -> Option<&'a Value> {
        let mut parts = path.split('.');
        let first = e.top(parts.next()?)?;
        parts.try_fold(first, |v, k| v.get(k))
    }

    pub fn str_at<'a>(e: &Eve<'a>, path: &str) -> Option<&'a str> {
        match get(e, path)? {
            Value::String(s) if !s.is_empty() && s != "-" => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn text_at(e: &Eve, path: &str) -> Option<String> {
        json::scalar_text(get(e, path)?)
    }

    pub fn i64_at(e: &Eve, path: &str) -> Option<i64> {
        match get(e, path)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn ip_at(e: &Eve, path: &str) -> Option<IpAddr> {
        str_at(e, path).and_then(|s| s.trim().parse().ok())
    }

    pub fn port_at(e: &Eve, path: &str) -> Option<u16> {
        i64_at(e, path).and_then(|p| u16::try_from(p).ok())
    }

    pub fn strings_at(e: &Eve, path: &str) -> Vec<String> {
        match get(e, path) {
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(json::scalar_text).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
