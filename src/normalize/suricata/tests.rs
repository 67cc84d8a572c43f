//! Tests of the Suricata EVE normaliser on the real eve.json, eve_broken.json and EVE doc examples.

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

#[test]
fn reshaped_members_never_panic() {
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
        crate::normalize::testkit::decode_every_mutant(doc, Format::Suricata);
    }
}
