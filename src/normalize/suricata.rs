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
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::normalize::{Decoder, FieldMap, Format};

    fn fixture(name: &str) -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/suricata/");
        let path = format!("{dir}{name}");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn with_ctx<T>(id: &str, f: impl FnOnce(&Context) -> T) -> T {
        let tz = jiff::tz::TimeZone::UTC;
        let map = FieldMap::default();
        let now: jiff::Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
        let ctx = Context {
            id,
            source: "eve.json",
            ingested_at: now,
            reference_time: now,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        f(&ctx)
    }

    fn decode(line: &str) -> Result<Parsed, NormalizeError> {
        with_ctx("rec", |ctx| Decoder::new(None).decode_line(line, ctx))
    }

    fn record(line: &str) -> Record {
        match decode(line).unwrap() {
            Parsed::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[derive(Default, Debug)]
    struct Tally {
        events: usize,
        alerts: usize,
        skips: usize,
        errors: Vec<NormalizeError>,
        datasets: BTreeMap<String, usize>,
    }

    /// Decodes every non-blank line with `forced` (`None`: detect each record's format). With
    /// a forced format, JSON lines must decode exactly as detection decodes them.
    fn run(text: &str, forced: Option<Format>) -> Tally {
        let mut t = Tally::default();
        let mut decoder = Decoder::new(forced);
        let mut detecting = Decoder::new(None);
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let id = format!("line-{n}");
            let out = with_ctx(&id, |ctx| decoder.decode_line(line, ctx));
            if forced.is_some() && line.starts_with('{') {
                let detected = with_ctx(&id, |ctx| detecting.decode_line(line, ctx));
                assert_eq!(out, detected, "line {}", n + 1);
            }
            match out {
                Ok(Parsed::Record(r)) => {
                    for e in &r.events {
                        assert_eq!(e.format, "suricata");
                        *t.datasets.entry(e.dataset.clone()).or_default() += 1;
                    }
                    t.events += r.events.len();
                    if let Some(a) = &r.alert {
                        assert_eq!(a.event_ids, vec![r.events[0].id.clone()]);
                        t.alerts += 1;
                    }
                }
                Ok(Parsed::Skip { reason }) => {
                    assert_eq!(reason, "suricata stats record");
                    t.skips += 1;
                }
                Err(e) => t.errors.push(e),
            }
        }
        t
    }

    fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn eve_json_counts() {
        let t = run(&fixture("eve.json"), None);
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(t.events, 265);
        assert_eq!(t.alerts, 68);
        assert_eq!(t.skips, 1);
        assert_eq!(
            t.datasets,
            counts(&[
                ("suricata.alert", 68),
                ("suricata.dns", 48),
                ("suricata.fileinfo", 68),
                ("suricata.flow", 13),
                ("suricata.http", 68),
            ])
        );
    }

    #[test]
    fn eve_broken_counts() {
        let text = fixture("eve_broken.json");
        assert_eq!(text.lines().count(), 273);
        assert_eq!(text.lines().filter(|l| l.trim().is_empty()).count(), 4);
        // Read as the EVE file it is (as `--format suricata` does), so the 4 garbage lines that
        // do not start with `{` are JSON errors too rather than syslog candidates.
        let t = run(&text, Some(Format::Suricata));
        // 269 non-blank lines: 261 records, 6 lines that are not JSON, 1 garbage timestamp,
        // 1 stats record.
        assert_eq!(t.events, 261);
        assert_eq!(t.alerts, 68);
        assert_eq!(t.skips, 1);
        assert_eq!(t.errors.len(), 7);
        let json = t
            .errors
            .iter()
            .filter(|e| matches!(e, NormalizeError::Json(_)))
            .count();
        assert_eq!(json, 6);
        assert!(t.errors.iter().any(|e| matches!(
            e,
            NormalizeError::Timestamp { value, .. } if value.ends_with("asloefbnjhowebfg")
        )));
        assert_eq!(t.datasets.get("suricata.dns"), Some(&45));
        assert_eq!(t.datasets.get("suricata.http"), Some(&67));
    }

    #[test]
    fn doc_examples_route_by_event_type() {
        let t = run(&fixture("eve-doc-examples.jsonl"), None);
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        assert_eq!(t.events, 9);
        assert_eq!(t.alerts, 2);
        assert_eq!(
            t.datasets,
            counts(&[
                ("suricata.alert", 2),
                ("suricata.anomaly", 1),
                ("suricata.fileinfo", 1),
                ("suricata.flow", 1),
                ("suricata.http", 1),
                ("suricata.mqtt", 1),
                ("suricata.pgsql", 2),
            ])
        );
    }

    #[test]
    fn alert_record_maps_rule_severity_and_entities() {
        let text = fixture("eve.json");
        let line = text
            .lines()
            .find(|l| l.contains(r#""event_type":"alert""#))
            .unwrap();
        let r = record(line);
        let e = &r.events[0];
        assert_eq!(e.dataset, "suricata.alert");
        assert_eq!(e.action.as_deref(), Some("alert"));
        assert_eq!(e.src_ip, Some("172.17.0.2".parse().unwrap()));
        assert_eq!(e.dst_port, Some(80));
        assert_eq!(e.severity, Some(Severity::Low));
        assert_eq!(
            e.message,
            "ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management"
        );
        assert_eq!(e.fields["flow_id"], 1501577875823823u64);
        assert_eq!(e.fields["proto"], "TCP");
        let a = r.alert.unwrap();
        assert_eq!(a.id, derived_id("rec", "alert"));
        assert_eq!(a.rule.id, "2013504");
        assert_eq!(a.rule.name, e.message);
        assert_eq!(a.rule.source, AlertSource::Suricata);
        assert_eq!(a.severity, Severity::Low);
        assert_eq!(a.score, Some(3.0));
        assert_eq!(a.entities.domains, vec!["deb.debian.org"]);
        assert_eq!(a.entities.ips, vec!["172.17.0.2", "54.230.202.37"]);
    }

    #[test]
    fn protocol_messages_and_actions() {
        let text = fixture("eve.json");
        let find = |needle: &str| {
            let line = text.lines().find(|l| l.contains(needle)).unwrap();
            record(line).events.remove(0)
        };
        let dns = find(r#""rrname":"prod.debian.map.fastly.net","rrtype":"A","tx_id":0"#);
        assert_eq!(dns.message, "DNS query A prod.debian.map.fastly.net");
        assert_eq!(dns.action.as_deref(), Some("dns_query"));
        let answer = find(r#""type":"answer""#);
        assert_eq!(answer.action.as_deref(), Some("dns_answer"));
        assert!(
            answer.message.starts_with("DNS answer "),
            "{}",
            answer.message
        );

        let http = find(r#""pcap_cnt":12004,"event_type":"http""#);
        assert_eq!(
            http.message,
            "GET deb.debian.org/debian/pool/main/p/perl/perl-base_5.24.1-1_amd64.deb 200"
        );
        assert_eq!(http.action.as_deref(), Some("http_request"));

        let flow = find(r#""event_type":"flow""#);
        assert_eq!(flow.action.as_deref(), Some("flow"));
        assert!(flow.message.starts_with("flow TCP "), "{}", flow.message);

        let file = find(r#""event_type":"fileinfo""#);
        assert_eq!(file.action.as_deref(), Some("file_info"));
        assert!(
            file.message.starts_with("file /debian/"),
            "{}",
            file.message
        );
    }

    #[test]
    fn alert_metadata_techniques_hashes_and_tls() {
        let line = r#"{"timestamp":"2024-01-01T00:00:00.000000+0000","flow_id":1,"event_type":"alert","src_ip":"10.0.0.1","src_port":1234,"dest_ip":"10.0.0.2","dest_port":443,"proto":"TCP","alert":{"action":"blocked","gid":1,"signature_id":9000001,"signature":"Test TLS sig","category":"A Network Trojan was detected","severity":1,"metadata":{"mitre_technique_id":["T1071","T1071.001"]}},"tls":{"sni":"evil.example","version":"TLS 1.3"},"fileinfo":{"filename":"x","sha256":"ab12"}}"#;
        let r = record(line);
        let a = r.alert.unwrap();
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.techniques, vec!["T1071", "T1071.001"]);
        assert_eq!(r.events[0].techniques, a.techniques);
        assert_eq!(a.entities.domains, vec!["evil.example"]);
        assert_eq!(a.entities.hashes, vec!["ab12"]);

        let tls = record(
            r#"{"timestamp":"2024-01-01T00:00:00Z","event_type":"tls","src_ip":"10.0.0.1","tls":{"sni":"a.example","version":"TLS 1.2"}}"#,
        );
        assert_eq!(tls.events[0].message, "TLS TLS 1.2 a.example");
        assert_eq!(tls.events[0].action.as_deref(), Some("tls_handshake"));
    }

    #[test]
    fn odd_input_is_an_error_not_a_panic() {
        for line in [
            r#"{"timestamp":"2024-01-01T00:00:00Z","event_type":"alert","src_ip":"1.2.3.4"}"#,
            r#"{"timestamp":"2024-01-01T00:00:00Z","event_type":"alert","flow_id":1,"alert":{"signature_id":{}}}"#,
            r#"{"timestamp":12,"event_type":5,"flow_id":1}"#,
            r#"{"timestamp":null,"event_type":"dns","flow_id":1}"#,
            r#"{"timestamp":[],"event_type":"dns","flow_id":1}"#,
        ] {
            assert!(decode(line).is_err(), "{line}");
        }
        // Odd but readable: ports out of range, addresses that are not addresses.
        let r = record(
            r#"{"timestamp":"2024-01-01T00:00:00Z","event_type":"weird","src_ip":"nope","src_port":99999,"dest_ip":3}"#,
        );
        assert_eq!(r.events[0].src_ip, None);
        assert_eq!(r.events[0].src_port, None);
        assert_eq!(r.events[0].dataset, "suricata.weird");
        assert_eq!(r.events[0].message, "weird nope:99999 -> ?");
    }

    fn mutants(doc: &Value) -> Vec<Value> {
        let swaps = [
            serde_json::json!(null),
            serde_json::json!(-1),
            serde_json::json!(1e300),
            serde_json::json!(""),
            serde_json::json!("-"),
            serde_json::json!("x.keyword"),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!([{"keyword": 1}]),
        ];
        crate::normalize::testkit::mutants(doc, &swaps)
    }

    #[test]
    fn reshaped_members_never_panic() {
        let tz = jiff::tz::TimeZone::UTC;
        let map = FieldMap::default();
        let ctx = Context {
            id: "m",
            source: "s",
            ingested_at: jiff::Timestamp::UNIX_EPOCH,
            reference_time: jiff::Timestamp::UNIX_EPOCH,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        let mut docs: Vec<Value> = fixture("eve-doc-examples.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let eve = fixture("eve.json");
        for needle in [
            r#""event_type":"dns""#,
            r#""event_type":"flow""#,
            r#""type":"answer""#,
        ] {
            let line = eve.lines().find(|l| l.contains(needle)).unwrap();
            docs.push(serde_json::from_str(line).unwrap());
        }
        for doc in &docs {
            for m in mutants(doc) {
                let raw = m.to_string();
                // Forced, so every mutant reaches this normaliser whatever it now looks like.
                let _ = Decoder::new(Some(Format::Suricata)).decode_value(m, &raw, &ctx);
            }
        }
    }
}
