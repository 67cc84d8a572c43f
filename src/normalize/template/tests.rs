//! Tests of template masking: single messages, then the real loghub OpenSSH and Linux samples
//! grouped by template and compared with loghub's own hand-checked templates.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::*;
use crate::normalize::{Context, FieldMap, Parsed, syslog};

#[test]
fn masks_sshd_messages() {
    let cases = [
        (
            "Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2",
            "Failed password for invalid user <*> from <*> port <*> ssh2",
        ),
        (
            "Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
            "Accepted password for <*> from <*> port <*> ssh2",
        ),
        (
            "reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
            "reverse mapping checking getaddrinfo for <*> [<*>] failed - POSSIBLE BREAK-IN ATTEMPT!",
        ),
        (
            "pam_unix(sshd:session): session opened for user root by (uid=0)",
            "pam_unix(sshd:session): session opened for user <*> by (uid=<*>)",
        ),
        (
            "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root",
            "PAM <*> more authentication failures; logname= uid=<*> euid=<*> tty=<*> ruser= rhost=<*> user=<*>",
        ),
        // An empty user name: the keyword does not swallow the next word.
        (
            "input_userauth_request: invalid user  [preauth]",
            "input_userauth_request: invalid user [preauth]",
        ),
        (
            "Received disconnect from 1.2.3.4: 11: Bye Bye [preauth]",
            "Received disconnect from <*>: <*>: Bye Bye [preauth]",
        ),
    ];
    for (message, want) in cases {
        assert_eq!(mask(message), want, "{message}");
    }
}

#[test]
fn masks_each_kind_of_value() {
    let cases = [
        ("took 900ms and 1.5s", "took <*> and <*>"),
        (
            "addr 0x1f and deadbeef00 and 12",
            "addr <*> and <*> and <*>",
        ),
        (
            "id 123e4567-e89b-12d3-a456-426614174000 seen",
            "id <*> seen",
        ),
        (
            "peer [fe80::1]:22 and 2001:db8::ff00:42:8329 up",
            "peer [<*>]:<*> and <*> up",
        ),
        (
            "opened /var/log/auth.log and C:\\Windows\\x.exe",
            "opened <*> and <*>",
        ),
        (
            "said \"hello there world\" to 'them all'",
            "said \"<*>\" to '<*>'",
        ),
        (
            "mail bob@example.org via https://x.example/a?b=1",
            "mail <*> via <*>",
        ),
        ("at Fri Jun 17 07:07:00 2005 done", "at <*> done"),
        (
            "CPU#0 and dquot_6.5.1 on ssh2 i686 tty2",
            "CPU#<*> and dquot_<*> on ssh2 i686 tty2",
        ),
        ("can't get client address", "can't get client address"),
        (
            "sdpd v1.5 started, driver V2 (dev2)",
            "sdpd v<*> started, driver V<*> (dev2)",
        ),
        (
            "key SHA256:Xk3bQ9pLr7TnZ0aYw2Vd8eFh4Jc6 used",
            "key <*> used",
        ),
        ("", ""),
    ];
    for (message, want) in cases {
        assert_eq!(mask(message), want, "{message}");
    }
}

#[test]
fn template_ids_are_stable_and_per_dataset() {
    let t = mask("Invalid user admin from 10.0.0.1");
    assert_eq!(t, mask("Invalid user  oracle   from 192.168.7.200"));
    let id = template_id("sshd", &t);
    assert_eq!(id.len(), 16);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(id, template_id("sshd", &t));
    assert_ne!(id, template_id("syslog", &t));
    assert_ne!(id, template_id("sshd", "Invalid user <*>"));
}

#[test]
fn odd_input_does_not_panic() {
    for s in [
        "\"",
        "'",
        "(",
        "=",
        "a=",
        "=b",
        "0x",
        "~",
        "/",
        "é 1 ü=2 \"ä",
        "\r\n\t",
    ] {
        let _ = mask(s);
    }
    assert_eq!(mask("é=1 ünïcode 42"), "é=<*> ünïcode <*>");
}

// --- The loghub comparison ---------------------------------------------------------------

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/loghub/",
            $name
        ))
    };
}

/// Rows of a CSV text (quoted fields with `""` escapes, CRLF or LF).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// How our grouping of a log's lines compares with loghub's.
#[derive(Debug)]
struct Agreement {
    ours: usize,
    theirs: usize,
    /// Line-weighted: for each loghub template, the share of its lines in our most common
    /// template for it.
    purity: f64,
    /// The reverse: for each of our templates, the share of its lines in its most common
    /// loghub template.
    reverse: f64,
    /// Loghub's grouping accuracy: lines whose group is exactly the same set in both.
    grouping_accuracy: f64,
}

/// Each line of `log` normalised as syslog: (template id, masked message, loghub `EventId` from
/// the structured CSV).
fn templated(log: &str, structured: &str) -> Vec<(String, String, String)> {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    let ctx = Context {
        id: "t",
        source: "loghub",
        ingested_at: jiff::Timestamp::UNIX_EPOCH,
        reference_time: jiff::Timestamp::UNIX_EPOCH,
        year: Some(2025),
        timezone: &tz,
        field_map: &fm,
    };
    let rows = csv_rows(structured);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (line_col, event_col) = (col("LineId"), col("EventId"));
    let lines: Vec<&str> = log.split('\n').collect();
    assert_eq!(rows.len() - 1, lines.len());
    rows[1..]
        .iter()
        .map(|row| {
            let n: usize = row[line_col].parse().expect("LineId");
            let event = match syslog::normalize(lines[n - 1], &ctx) {
                Ok(Parsed::Record(r)) => r.events.into_iter().next().expect("one event"),
                other => panic!("line {n}: {other:?}"),
            };
            let masked = mask(&event.message);
            let id = template_id(&event.dataset, &masked);
            (id, masked, row[event_col].clone())
        })
        .collect()
}

/// Compares our grouping (`ours` per line) with loghub's (`theirs` per line); notes say which
/// of theirs we split and which we merged, with one masked example (`example` per line).
fn agreement(pairs: &[(&str, &str, &str)]) -> (Agreement, Vec<String>) {
    let total = pairs.len() as f64;
    let mut theirs_ours: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    let mut ours_theirs: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    let mut examples: HashMap<&str, &str> = HashMap::new();
    for &(o, example, t) in pairs {
        *theirs_ours.entry(t).or_default().entry(o).or_default() += 1;
        *ours_theirs.entry(o).or_default().entry(t).or_default() += 1;
        examples.entry(o).or_insert(example);
    }
    let best = |m: &HashMap<&str, HashMap<&str, usize>>| {
        m.values()
            .map(|inner| inner.values().max().copied().unwrap_or(0))
            .sum::<usize>() as f64
            / total
    };
    let size = |m: &HashMap<&str, HashMap<&str, usize>>, k: &str| m[k].values().sum::<usize>();
    let exact: usize = ours_theirs
        .iter()
        .filter(|(_, inner)| inner.len() == 1)
        .filter_map(|(o, inner)| {
            let (t, n) = inner.iter().next()?;
            (size(&theirs_ours, t) == *n && size(&ours_theirs, o) == *n).then_some(*n)
        })
        .sum();
    let a = Agreement {
        ours: ours_theirs.len(),
        theirs: theirs_ours.len(),
        purity: best(&theirs_ours),
        reverse: best(&ours_theirs),
        grouping_accuracy: exact as f64 / total,
    };
    let mut notes = Vec::new();
    for (t, inner) in &theirs_ours {
        if inner.len() > 1 {
            for (o, n) in inner {
                notes.push(format!("split {t} ({n} lines): {}", examples[o]));
            }
        }
    }
    for (o, inner) in &ours_theirs {
        if inner.len() > 1 {
            let mut ts: Vec<_> = inner.iter().collect();
            ts.sort();
            notes.push(format!("merged {ts:?}: {}", examples[o]));
        }
    }
    notes.sort();
    (a, notes)
}

/// The agreement by template id (per dataset, as stored) and by masked text alone (loghub
/// groups across programs: `session opened` from su and from sshd is one template there).
fn compare(name: &str, log: &str, structured: &str) -> (Agreement, Agreement) {
    let lines = templated(log, structured);
    let by_id: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|(id, m, t)| (id.as_str(), m.as_str(), t.as_str()))
        .collect();
    let by_text: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|(_, m, t)| (m.as_str(), m.as_str(), t.as_str()))
        .collect();
    let (ids, _) = agreement(&by_id);
    let (text, notes) = agreement(&by_text);
    report(&format!("{name} by template id"), &ids, &[]);
    report(&format!("{name} by masked text"), &text, &notes);
    (ids, text)
}

fn report(name: &str, a: &Agreement, notes: &[String]) {
    println!(
        "{name}: {} templates (loghub {}), purity {:.3}, reverse {:.3}, grouping accuracy {:.3}",
        a.ours, a.theirs, a.purity, a.reverse, a.grouping_accuracy
    );
    for note in notes {
        println!("  {note}");
    }
}

#[test]
fn openssh_templates_agree_with_loghub() {
    let (ids, text) = compare(
        "OpenSSH_2k",
        fixture!("OpenSSH_2k.log"),
        fixture!("OpenSSH_2k.log_structured.csv"),
    );
    let listed = csv_rows(fixture!("OpenSSH_2k.log_templates.csv")).len() - 1;
    assert_eq!(ids.theirs, listed);
    // Measured: 26 templates for loghub's 27 (we merge E4 and E5, which differ by user name
    // only); purity, reverse and grouping accuracy 1.000, 1.000, 0.999 both ways (all sshd).
    for a in [&ids, &text] {
        assert!((24..=30).contains(&a.ours), "{a:?}");
        assert!(a.purity >= 0.99, "{a:?}");
        assert!(a.reverse >= 0.99, "{a:?}");
        assert!(a.grouping_accuracy >= 0.99, "{a:?}");
    }
}

#[test]
fn linux_templates_agree_with_loghub() {
    let (ids, text) = compare(
        "Linux_2k",
        fixture!("Linux_2k.log"),
        fixture!("Linux_2k.log_structured.csv"),
    );
    let listed = csv_rows(fixture!("Linux_2k.log_templates.csv")).len() - 1;
    assert_eq!(ids.theirs, listed);
    // Measured by masked text: 116 templates for loghub's 118, purity 1.000, reverse 0.990,
    // grouping accuracy 0.814 (loghub keeps `user=root|guest|test` apart: 372 lines). By id,
    // 120: ids are per dataset, so `session opened for user` from su and from sshd differ.
    assert!((110..=125).contains(&text.ours), "{text:?}");
    assert!(text.purity >= 0.99, "{text:?}");
    assert!(text.reverse >= 0.98, "{text:?}");
    assert!(text.grouping_accuracy >= 0.8, "{text:?}");
    assert!((110..=130).contains(&ids.ours), "{ids:?}");
    assert!(ids.purity >= 0.95, "{ids:?}");
    assert!(ids.reverse >= 0.98, "{ids:?}");
    assert!(ids.grouping_accuracy >= 0.6, "{ids:?}");
}
