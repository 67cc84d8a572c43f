//! Tests for the Zeek normaliser, over real WRCCDC logs in `tests/fixtures/zeek/`.

use std::io::Read;

use jiff::{Timestamp, tz::TimeZone};
use serde_json::{Value, json};

use super::TsvHeader;
use crate::domain::{Outcome, Severity, content_id};
use crate::normalize::{Context, Decoder, FieldMap, Format, NormalizeError, Parsed, Record};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/zeek");

fn fixture(name: &str) -> String {
    let path = format!("{FIXTURES}/{name}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if name.ends_with(".gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

fn with_ctx<T>(line: &str, f: impl FnOnce(&Context) -> T) -> T {
    let id = content_id(line.as_bytes(), 0);
    let map = FieldMap::default();
    let now: Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
    let ctx = Context {
        id: &id,
        source: "test",
        ingested_at: now,
        reference_time: now,
        year: None,
        timezone: &TimeZone::UTC,
        field_map: &map,
    };
    f(&ctx)
}

/// Every record of a log read through a content-detecting decoder (headers are skipped).
fn decode(text: &str) -> Vec<Record> {
    decode_as(text, None)
}

/// Every record of a log read through a decoder told the format (or detecting it on `None`).
fn decode_as(text: &str, format: Option<Format>) -> Vec<Record> {
    let mut decoder = Decoder::new(format);
    let mut out = Vec::new();
    for line in text.lines() {
        match with_ctx(line, |ctx| decoder.decode_line(line, ctx)) {
            Ok(Parsed::Record(r)) => out.push(r),
            Ok(Parsed::Skip { .. }) => {}
            Err(e) => panic!("{e}: {line}"),
        }
    }
    out
}

fn data_rows(text: &str) -> usize {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count()
}

fn header(lines: &[&str]) -> TsvHeader {
    let mut h = TsvHeader::default();
    for l in lines {
        h.directive(l.strip_prefix('#').unwrap()).unwrap();
    }
    h
}

fn row(h: &TsvHeader, line: &str) -> Result<Parsed, NormalizeError> {
    with_ctx(line, |ctx| h.row(line, ctx))
}

fn fields(p: Parsed) -> serde_json::Map<String, Value> {
    match p {
        Parsed::Record(mut r) => r.events.remove(0).fields,
        other => panic!("not a record: {other:?}"),
    }
}

#[test]
fn conn_log_gives_one_event_per_row() {
    let text = fixture("conn.log");
    let rows = data_rows(&text);
    assert_eq!(rows, 92);
    let records = decode(&text);
    assert_eq!(records.len(), rows);
    let first = &records[0].events[0];
    assert_eq!(first.dataset, "zeek.conn");
    assert_eq!(first.format, "zeek_tsv");
    assert_eq!(first.timestamp.as_microsecond(), 1_521_911_721_255_387);
    assert_eq!(first.src_ip, Some("10.164.94.120".parse().unwrap()));
    assert_eq!(first.src_port, Some(39681));
    assert_eq!(first.dst_ip, Some("10.47.3.155".parse().unwrap()));
    assert_eq!(first.dst_port, Some(3389));
    assert_eq!(first.action.as_deref(), Some("connection"));
    assert_eq!(
        first.message,
        "tcp connection 10.164.94.120:39681 -> 10.47.3.155:3389 state=RSTR"
    );
    assert_eq!(first.fields["uid"], "C8Tful1TvM3Zf5x8fl");
    assert_eq!(first.fields["orig_pkts"], 10);
    assert!(
        !first.fields.contains_key("tunnel_parents"),
        "unset is absent"
    );
    assert!(records.iter().all(|r| r.alert.is_none()));
    let with_service = records
        .iter()
        .find(|r| r.events[0].fields.get("service").is_some())
        .unwrap();
    assert!(with_service.events[0].message.contains("service="));
}

#[test]
fn notice_tsv_and_json_each_give_207_events_and_alerts() {
    for name in ["notice.log.gz", "notice.json.gz"] {
        let records = decode(&fixture(name));
        assert_eq!(records.len(), 207, "{name}");
        let alerts: Vec<_> = records.iter().filter_map(|r| r.alert.as_ref()).collect();
        assert_eq!(alerts.len(), 207, "{name}");
        let (r, a) = (&records[0], alerts[0]);
        assert_eq!(r.events[0].dataset, "zeek.notice");
        assert_eq!(r.events[0].severity, Some(Severity::Medium));
        assert_eq!(a.rule.id, "SSL::Invalid_Server_Cert");
        assert_eq!(
            a.rule.name,
            "SSL::Invalid_Server_Cert: SSL certificate validation failed with (unable to get local issuer certificate)"
        );
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.event_ids, vec![r.events[0].id.clone()]);
        assert_ne!(a.id, r.events[0].id);
        assert_eq!(a.entities.ips, vec!["10.164.94.120", "10.47.3.200"]);
        assert_eq!(a.entities.domains, vec!["localhost.localdomain"]);
    }
}

/// The same log in TSV and JSON must give the same events, record by record.
#[test]
fn tsv_and_json_of_the_same_log_agree() {
    for (log, expected) in [
        ("notice", 207),
        ("ssh", 22),
        ("rdp", 4122),
        ("dns-head", 2000),
    ] {
        let tsv = decode(&fixture(&format!("{log}.log.gz")));
        let js = decode(&fixture(&format!("{log}.json.gz")));
        assert_eq!(tsv.len(), expected, "{log} tsv");
        assert_eq!(js.len(), expected, "{log} json");
        for (i, (a, b)) in tsv.iter().zip(&js).enumerate() {
            let (a, b) = (&a.events[0], &b.events[0]);
            let key = |e: &crate::domain::Event| {
                (
                    e.timestamp,
                    e.src_ip,
                    e.src_port,
                    e.dst_ip,
                    e.dst_port,
                    e.dataset.clone(),
                    e.message.clone(),
                    e.action.clone(),
                    e.outcome,
                    e.user.clone(),
                )
            };
            assert_eq!(key(a), key(b), "{log} record {i}");
            assert_eq!(a.fields["uid"], b.fields["uid"], "{log} record {i}");
            assert_eq!(a.format, "zeek_tsv");
            assert_eq!(b.format, "zeek_json");
        }
    }
}

#[test]
fn per_log_details() {
    let ssh = decode(&fixture("ssh.log.gz"));
    let e = &ssh[0].events[0];
    assert_eq!(e.action.as_deref(), Some("ssh_login"));
    assert_eq!(e.outcome, Some(Outcome::Success));
    assert!(
        e.message
            .starts_with("SSH login succeeded 10.0.0.227:59849 -> 10.47.8.50:22")
    );
    assert!(e.message.contains("client=SSH-2.0-OpenSSH_7.6"));

    let dns = decode(&fixture("dns-head.log.gz"));
    let e = &dns[0].events[0];
    assert_eq!(e.action.as_deref(), Some("dns_query"));
    assert_eq!(
        e.message,
        "DNS query A ise.wrccdc.org 10.47.1.100:41772 -> 10.0.0.100:53 rcode=NOERROR answers=ise.wrccdc.cpp.edu,134.71.3.16"
    );
    assert_eq!(
        e.fields["answers"],
        json!(["ise.wrccdc.cpp.edu", "134.71.3.16"])
    );
    assert_eq!(e.fields["TTLs"], json!([2230.0, 41830.0]));
    assert_eq!(e.fields["RD"], true);

    let rdp = decode(&fixture("rdp.log.gz"));
    let with_cookie = rdp
        .iter()
        .map(|r| &r.events[0])
        .find(|e| e.user.is_some())
        .unwrap();
    assert_eq!(with_cookie.action.as_deref(), Some("rdp_connection"));
    assert!(with_cookie.message.contains("cookie="));
}

#[test]
fn sets_vectors_unset_and_empty() {
    let h = header(&[
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tnotice",
        "#fields\tts\tnote\tactions\tTTLs\tnums\tflag\tsub\tmsg\tn",
        "#types\ttime\tenum\tset[enum]\tvector[interval]\tvector[count]\tbool\tstring\tstring\tcount",
    ]);
    let f = fields(
        row(
            &h,
            "1521911720.5\tX::Y\tA,B\t1.5,2.0\t1,-,3\tF\t(empty)\ta\\x09b\\\\c\\xff\t-",
        )
        .unwrap(),
    );
    assert_eq!(f["ts"], 1521911720.5);
    assert_eq!(f["actions"], json!(["A", "B"]));
    assert_eq!(f["TTLs"], json!([1.5, 2.0]));
    assert_eq!(f["nums"], json!([1, null, 3]));
    assert_eq!(f["flag"], false);
    assert_eq!(f["sub"], "");
    assert_eq!(f["msg"], "a\tb\\c\u{fffd}");
    assert!(!f.contains_key("n"), "unset columns are absent");

    let f = fields(row(&h, "1521911720.5\t-\t(empty)\t-\t(empty)\tT\t-\t-\t7").unwrap());
    assert_eq!(f["actions"], json!([]));
    assert!(!f.contains_key("TTLs") && !f.contains_key("note"));
    assert_eq!(f["nums"], json!([]));
    assert_eq!(f["n"], 7);
}

#[test]
fn wrong_column_count_is_an_error_naming_both_counts() {
    let h = header(&["#fields\tts\tuid\tid.orig_h", "#types\ttime\tstring\taddr"]);
    let err = row(&h, "1521911720.5\tCabc").unwrap_err();
    let text = err.to_string();
    assert!(text.contains('2') && text.contains('3'), "{text}");
    assert!(row(&h, "1521911720.5\tCabc\t10.0.0.1\textra").is_err());
    assert!(row(&h, "1521911720.5\tCabc\t10.0.0.1").is_ok());
}

#[test]
fn data_before_header_and_bad_timestamps_are_errors() {
    let h = TsvHeader::default();
    assert!(row(&h, "1\t2").is_err());
    let h = header(&["#fields\tts\tuid", "#types\ttime\tstring"]);
    assert!(
        row(&h, "yesterday\tC1").is_err(),
        "a present, unreadable ts"
    );
    let e = with_ctx("x", |ctx| {
        super::normalize_json(json!({"ts": "soon", "uid": "C1"}), "x", ctx)
    });
    assert!(e.is_err());
    let e = with_ctx("x", |ctx| super::normalize_json(json!([1, 2]), "x", ctx));
    assert!(e.is_err());
}

#[test]
fn custom_separator_and_header_reset() {
    let mut h = header(&["#separator \\x2c", "#fields,ts,query", "#types,time,string"]);
    let f = fields(row(&h, "1.5,example.org").unwrap());
    assert_eq!(f["query"], "example.org");
    h.directive("separator \\x09").unwrap();
    assert!(
        row(&h, "1.5\texample.org").is_err(),
        "a new #separator starts a new header"
    );
    assert_eq!(h.path(), None);
}

#[test]
fn json_without_path_is_inferred() {
    let v = json!({"ts": 1521911721.255387, "uid": "C1", "id.orig_h": "10.0.0.1",
                   "id.orig_p": 5, "id.resp_h": "10.0.0.2", "id.resp_p": 53,
                   "query": "a.example", "qtype_name": "A", "rcode_name": "NOERROR"});
    let raw = v.to_string();
    let p = with_ctx(&raw, |ctx| super::normalize_json(v, &raw, ctx)).unwrap();
    let Parsed::Record(r) = p else { panic!() };
    let e = &r.events[0];
    assert_eq!(e.dataset, "zeek.dns");
    assert_eq!(e.timestamp.as_microsecond(), 1_521_911_721_255_387);
    assert_eq!(e.fields["uid"], "C1");
    let v = json!({"ts": "2018-03-24T17:15:20Z", "something": "else"});
    let p = with_ctx("x", |ctx| super::normalize_json(v, "x", ctx)).unwrap();
    let Parsed::Record(r) = p else { panic!() };
    assert_eq!(r.events[0].dataset, "zeek");
    assert!(!r.events[0].message.is_empty());
}

#[test]
fn odd_input_never_panics() {
    let h = header(&[
        "#fields\tts\ta\tb",
        "#types\ttime\tset[count]\tvector[string]",
    ]);
    for line in [
        "",
        "\t\t",
        "1e400\t\\x\t\\xzz",
        "NaN\t,,,\t(empty)",
        "-1\t1,2\t\\",
        "1.5\t\u{feff}\t\u{1}",
    ] {
        let _ = row(&h, line);
    }
    let mut h = TsvHeader::default();
    for d in [
        "",
        "separator",
        "separator ",
        "fields",
        "types\tset[",
        "path",
    ] {
        let _ = h.directive(d);
    }
    let _ = row(&h, "x");
}

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/zeek-logs/zed-sample-data"
);

/// Every log of the shared WRCCDC sample, in both formats: no record fails, both formats give
/// the same number of events and the same core fields, and every event has a message.
#[test]
fn shared_corpus_tsv_and_json_agree() {
    let dir = std::path::Path::new(SHARED);
    if !dir.join("zeek-default").is_dir() {
        println!("skipped: ../shared/data absent");
        return;
    }
    let mut logs: Vec<String> = std::fs::read_dir(dir.join("zeek-default"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".log.gz").map(str::to_string)
        })
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 32);
    let read = |path: std::path::PathBuf| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        text
    };
    let mut total = 0;
    for log in &logs {
        let tsv = decode(&read(dir.join(format!("zeek-default/{log}.log.gz"))));
        // Told the format: some logs (loaded_scripts) have no `ts` for detection to go by.
        let js = decode_as(
            &read(dir.join(format!("zeek-json/{log}.json.gz"))),
            Some(Format::ZeekJson),
        );
        assert_eq!(tsv.len(), js.len(), "{log}");
        for (i, (a, b)) in tsv.iter().zip(&js).enumerate() {
            let (a, b) = (&a.events[0], &b.events[0]);
            assert!(
                !a.message.is_empty() && !a.message.contains('\n'),
                "{log} {i}"
            );
            assert_eq!(
                (a.src_ip, a.src_port, a.dst_ip, a.dst_port, &a.dataset),
                (b.src_ip, b.src_port, b.dst_ip, b.dst_port, &b.dataset),
                "{log} record {i}"
            );
            if a.fields.contains_key("ts") {
                assert_eq!(a.timestamp, b.timestamp, "{log} record {i}");
            }
            // Strings with non-printable bytes are escaped differently by the two writers.
            if log != "analyzer" && log != "ntp" && log != "dpd" {
                assert_eq!(a.message, b.message, "{log} record {i}");
            }
        }
        println!("{log}: {} events; {}", tsv.len(), tsv[0].events[0].message);
        total += tsv.len();
    }
    assert_eq!(total, 158_439);
}
