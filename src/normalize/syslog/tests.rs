//! Tests of the syslog normaliser on real loghub data, RFC examples and hostile input.

use std::collections::HashMap;

use jiff::tz::{self, TimeZone};

use std::net::IpAddr;

use super::*;
use crate::domain::Outcome;
use crate::normalize::FieldMap;

const OPENSSH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/loghub/OpenSSH_2k.log"
));
const LINUX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/loghub/Linux_2k.log"
));

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn context<'a>(
    tz: &'a TimeZone,
    fm: &'a FieldMap,
    reference: &str,
    year: Option<i16>,
) -> Context<'a> {
    Context {
        id: "test-id",
        source: "test.log",
        ingested_at: ts("2025-01-15T12:00:00Z"),
        reference_time: ts(reference),
        year,
        timezone: tz,
        field_map: fm,
    }
}

fn event_in(line: &str, ctx: &Context) -> Event {
    match normalize(line, ctx) {
        Ok(Parsed::Record(mut r)) => {
            assert_eq!(r.events.len(), 1, "{line}");
            assert!(r.alert.is_none());
            r.events.remove(0)
        }
        other => panic!("{line:?} gave {other:?}"),
    }
}

/// Parses a line with UTC, reference 2025-01-15, no forced year.
fn event(line: &str) -> Event {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    event_in(line, &context(&tz, &fm, "2025-01-15T12:00:00Z", None))
}

fn err(line: &str) -> NormalizeError {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    match normalize(line, &context(&tz, &fm, "2025-01-15T12:00:00Z", None)) {
        Err(e) => e,
        Ok(p) => panic!("{line:?} parsed: {p:?}"),
    }
}

/// Every line of a fixture (split on `\n`, so each keeps its `\r`), parsed.
fn fixture_events(text: &str, year: Option<i16>) -> Vec<Event> {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    let ctx = context(&tz, &fm, "2025-01-15T12:00:00Z", year);
    text.split('\n').map(|l| event_in(l, &ctx)).collect()
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn field<'e>(e: &'e Event, key: &str) -> Option<&'e Value> {
    e.fields.get(key)
}

#[test]
fn openssh_2k_every_line_parses() {
    assert!(OPENSSH.ends_with("ssh2"), "last line has no newline");
    let events = fixture_events(OPENSSH, None);
    assert_eq!(events.len(), 2000);
    for e in &events {
        assert!(!e.raw.ends_with('\r') && !e.message.ends_with('\r'));
        assert_eq!(e.host.as_deref(), Some("LabSZ"));
        assert_eq!(e.process.as_deref(), Some("sshd"));
        assert_eq!(e.dataset, "sshd");
        assert_eq!(e.format, "syslog");
        assert_eq!((e.id.as_str(), e.source.as_str()), ("test-id", "test.log"));
        assert!(e.pid.is_some());
        assert_eq!(field(e, "program"), Some(&Value::from("sshd")));
        // Dec 10 with a January 2025 reference: December 2024.
        let dt = TimeZone::UTC.to_datetime(e.timestamp);
        assert_eq!((dt.year(), dt.month(), dt.day()), (2024, 12, 10));
        if let Some(u) = &e.user {
            assert!(!u.is_empty() && !u.ends_with([']', ':', ',', ' ']), "{u:?}");
        }
    }
    let first = &events[0];
    assert_eq!(first.timestamp, ts("2024-12-10T06:55:46Z"));
    assert_eq!(first.pid, Some(24200));
    assert_eq!(
        first.raw,
        OPENSSH.lines().next().unwrap().trim_end_matches('\r')
    );
}

#[test]
fn openssh_2k_failed_and_accepted_passwords() {
    let events = fixture_events(OPENSSH, None);
    // `grep -c 'Failed password'`: 520 (518 direct + 2 inside `message repeated`).
    let failed: Vec<&Event> = events
        .iter()
        .filter(|e| {
            e.action.as_deref() == Some("ssh_login")
                && e.outcome == Some(Outcome::Failure)
                && field(e, "auth_method") == Some(&Value::from("password"))
        })
        .collect();
    assert_eq!(failed.len(), 520);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.message.contains("Failed password"))
            .count(),
        520
    );
    assert!(
        failed
            .iter()
            .all(|e| e.src_ip.is_some() && e.src_port.is_some())
    );
    assert!(failed.iter().all(|e| e.user.is_some()));
    let mut per_ip: HashMap<IpAddr, usize> = HashMap::new();
    for e in &failed {
        *per_ip.entry(e.src_ip.unwrap()).or_default() += 1;
    }
    assert_eq!(per_ip[&ip("183.62.140.253").unwrap()], 286);
    assert_eq!(per_ip[&ip("187.141.143.180").unwrap()], 80);
    assert_eq!(per_ip[&ip("103.99.0.122").unwrap()], 46);
    // `grep -c 'Failed password for invalid user'`: 135.
    assert_eq!(
        failed
            .iter()
            .filter(|e| field(e, "invalid_user").is_some())
            .count(),
        135
    );
    let repeated: Vec<&&Event> = failed
        .iter()
        .filter(|e| field(e, "repeated").is_some())
        .collect();
    assert_eq!(repeated.len(), 2);
    assert_eq!(repeated[0].user.as_deref(), Some("root"));
    assert_eq!(repeated[0].src_ip, ip("5.36.59.76"));
    assert_eq!(field(repeated[0], "repeated"), Some(&Value::from(5)));

    let accepted: Vec<&Event> = events
        .iter()
        .filter(|e| e.outcome == Some(Outcome::Success) && e.action.as_deref() == Some("ssh_login"))
        .collect();
    assert_eq!(accepted.len(), 1);
    let a = accepted[0];
    assert_eq!(a.user.as_deref(), Some("fztu"));
    assert_eq!(a.src_ip, ip("119.137.62.142"));
    assert_eq!(a.src_port, Some(49116));
    assert_eq!(a.pid, Some(24680));
}

#[test]
fn openssh_2k_other_sshd_messages() {
    let events = fixture_events(OPENSSH, None);
    let count = |action: &str| {
        events
            .iter()
            .filter(|e| e.action.as_deref() == Some(action))
            .collect::<Vec<_>>()
    };
    // `grep -c 'Invalid user'`: 113, each with an address, user exact.
    let invalid = count("ssh_invalid_user");
    assert_eq!(invalid.len(), 113);
    assert!(
        invalid
            .iter()
            .all(|e| e.src_ip.is_some() && e.outcome == Some(Outcome::Failure))
    );
    assert_eq!(invalid[0].user.as_deref(), Some("webmaster"));
    assert_eq!(invalid[0].src_ip, ip("173.234.31.186"));
    // `grep -c 'input_userauth_request'`: 113.
    let requests = count("ssh_userauth_request");
    assert_eq!(requests.len(), 113);
    assert_eq!(requests[0].user.as_deref(), Some("webmaster"));
    // `grep -c 'POSSIBLE BREAK-IN'`: 85.
    let reverse = count("ssh_reverse_mapping_failed");
    assert_eq!(reverse.len(), 85);
    assert!(reverse.iter().all(|e| e.src_ip.is_some()));
    assert_eq!(reverse[0].src_ip, ip("173.234.31.186"));
    assert_eq!(
        field(reverse[0], "rhost"),
        Some(&Value::from("ns.marryaldkfaczcz.com"))
    );
    // `grep -c 'Received disconnect'`: 468 (421 plain + 47 `error: ...`).
    let disconnects = count("ssh_disconnect");
    assert_eq!(disconnects.len(), 468);
    assert!(disconnects.iter().all(|e| e.src_ip.is_some()));
    // `grep -c 'Connection closed by'`: 34.
    let closed = count("ssh_connection_closed");
    assert_eq!(closed.len(), 34);
    assert!(closed.iter().all(|e| e.src_ip.is_some()));
    // pam_unix(sshd:auth) failures (494) and `PAM N more` summaries (10).
    let auth = count("authentication");
    assert_eq!(auth.len(), 494 + 10);
    assert!(auth.iter().all(|e| e.outcome == Some(Outcome::Failure)));
    let opened = count("session_opened");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].user.as_deref(), Some("fztu"));
    assert_eq!(count("session_closed").len(), 1);
    // `grep -c 'Too many authentication failures'`: 3, all for a named user.
    let too_many = count("ssh_max_auth_attempts");
    assert_eq!(too_many.len(), 3);
    assert!(
        too_many
            .iter()
            .all(|e| matches!(e.user.as_deref(), Some("root" | "admin")))
    );
    assert_eq!(count("ssh_no_identification").len(), 10);
}

#[test]
fn linux_2k_pam_authentication_failures() {
    let events = fixture_events(LINUX, Some(2005));
    assert_eq!(events.len(), 2000);
    let first = &events[0];
    assert_eq!(first.timestamp, ts("2005-06-14T15:16:01Z"));
    assert_eq!(first.process.as_deref(), Some("sshd(pam_unix)"));
    assert_eq!(first.dataset, "sshd");
    assert_eq!(first.pid, Some(19939));

    let failures: Vec<&Event> = events
        .iter()
        .filter(|e| e.action.as_deref() == Some("authentication"))
        .collect();
    // `grep -c 'authentication failure'`: 490; 489 carry a non-empty rhost.
    assert_eq!(failures.len(), 490);
    assert!(failures.iter().all(|e| e.outcome == Some(Outcome::Failure)));
    let with_ip = failures.iter().filter(|e| e.src_ip.is_some()).count();
    let with_name = failures
        .iter()
        .filter(|e| field(e, "rhost").is_some())
        .count();
    assert_eq!((with_ip, with_name), (300, 189));
    assert!(
        failures
            .iter()
            .all(|e| !(e.src_ip.is_some() && field(e, "rhost").is_some()))
    );
    // `grep 'authentication failure' | grep -c ' user='`: 372 (root 351, guest 17, test 4).
    let users: Vec<&str> = failures.iter().filter_map(|e| e.user.as_deref()).collect();
    assert_eq!(users.len(), 372);
    assert_eq!(users.iter().filter(|u| **u == "root").count(), 351);
    assert_eq!(users.iter().filter(|u| **u == "guest").count(), 17);
    assert_eq!(
        failures
            .iter()
            .filter(|e| e.src_ip == ip("150.183.249.110"))
            .count(),
        80
    );
    let named = failures
        .iter()
        .find(|e| e.message.contains("220-135-151-1.hinet-ip.hinet.net"))
        .unwrap();
    assert_eq!(named.user.as_deref(), Some("root"));
    assert_eq!(named.src_ip, None);
    assert_eq!(
        field(named, "rhost"),
        Some(&Value::from("220-135-151-1.hinet-ip.hinet.net"))
    );
    // The one gdm failure has an empty rhost.
    let gdm = failures.iter().find(|e| e.dataset == "syslog").unwrap();
    assert_eq!(gdm.process.as_deref(), Some("gdm(pam_unix)"));
    assert_eq!((gdm.src_ip, field(gdm, "rhost")), (None, None));
}

#[test]
fn linux_2k_programs_and_sessions() {
    let events = fixture_events(LINUX, Some(2005));
    let opened: Vec<&Event> = events
        .iter()
        .filter(|e| e.action.as_deref() == Some("session_opened"))
        .collect();
    // `grep -c 'session opened'`: 123, 86 of them from su(pam_unix).
    assert_eq!(opened.len(), 123);
    assert_eq!(opened.iter().filter(|e| e.dataset == "su").count(), 86);
    assert!(opened.iter().all(|e| e.user.is_some()));
    let cyrus = opened.iter().find(|e| e.dataset == "su").unwrap();
    assert_eq!(cyrus.user.as_deref(), Some("cyrus"));
    assert_eq!(field(cyrus, "by_user"), None);
    let login = opened
        .iter()
        .find(|e| e.message.contains("by LOGIN(uid=0)"))
        .unwrap();
    assert_eq!(field(login, "by_user"), Some(&Value::from("LOGIN")));
    // `awk '{print $5}' | grep -c '^kernel:'`: 76.
    assert_eq!(events.iter().filter(|e| e.dataset == "kernel").count(), 76);
    // Line 899 has no tag: the whole text after the host is the message.
    let untagged = &events[898];
    assert_eq!(untagged.process, None);
    assert_eq!(untagged.host.as_deref(), Some("combo"));
    assert_eq!(untagged.message, "-- root[2421]: ROOT LOGIN ON tty2");
    // Single-digit days are space padded.
    assert_eq!(untagged.timestamp, ts("2005-07-07T08:06:15Z"));
}

#[test]
fn year_inference() {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    let line = "Dec 31 23:59:59 host app: hello";
    let january = context(&tz, &fm, "2025-01-05T00:00:00Z", None);
    assert_eq!(
        event_in(line, &january).timestamp,
        ts("2024-12-31T23:59:59Z")
    );
    // Within a day after the reference: same year; further: the year before.
    let soon = "Jan  5 10:00:00 host app: hello";
    assert_eq!(
        event_in(soon, &january).timestamp,
        ts("2025-01-05T10:00:00Z")
    );
    let later = "Jan  6 10:00:00 host app: hello";
    assert_eq!(
        event_in(later, &january).timestamp,
        ts("2024-01-06T10:00:00Z")
    );
    // A forced year wins.
    let forced = context(&tz, &fm, "2025-01-05T00:00:00Z", Some(2019));
    assert_eq!(
        event_in(line, &forced).timestamp,
        ts("2019-12-31T23:59:59Z")
    );
    assert_eq!(
        event_in(later, &forced).timestamp,
        ts("2019-01-06T10:00:00Z")
    );
    // The reference's year is taken in the configured zone: 2024-12-31T23:30Z is already
    // 2025 at +02:00, so a Jan 1 line is 2025, read at +02:00.
    let plus2 = TimeZone::fixed(tz::offset(2));
    let eve = context(&plus2, &fm, "2024-12-31T23:30:00Z", None);
    assert_eq!(
        event_in("Jan  1 01:00:00 host app: x", &eve).timestamp,
        ts("2024-12-31T23:00:00Z")
    );
    // Fractional seconds are kept.
    assert_eq!(
        event_in("Jan  1 01:00:00.250 host app: x", &forced).timestamp,
        ts("2019-01-01T01:00:00.25Z")
    );
}

#[test]
fn february_29_needs_a_leap_year() {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    let line = "Feb 29 12:00:00 host app: leap";
    let leap = context(&tz, &fm, "2024-06-01T00:00:00Z", None);
    assert_eq!(event_in(line, &leap).timestamp, ts("2024-02-29T12:00:00Z"));
    for ctx in [
        context(&tz, &fm, "2025-06-01T00:00:00Z", None),
        context(&tz, &fm, "2024-06-01T00:00:00Z", Some(2023)),
        // In 2024 but after the reference: the year before, 2023, has no Feb 29.
        context(&tz, &fm, "2024-02-01T00:00:00Z", None),
    ] {
        assert!(matches!(
            normalize(line, &ctx),
            Err(NormalizeError::Timestamp { .. })
        ));
    }
}

#[test]
fn priority_sets_facility_and_severity() {
    let e = event(
        "<38>Dec 10 09:32:20 LabSZ sshd[24680]: Accepted publickey for fztu from 2001:db8::7 port 49116 ssh2: RSA SHA256:abc",
    );
    assert_eq!(e.severity, Some(Severity::Info));
    assert_eq!(field(&e, "facility"), Some(&Value::from(4)));
    assert_eq!(field(&e, "facility_name"), Some(&Value::from("auth")));
    assert_eq!(field(&e, "severity"), Some(&Value::from(6)));
    assert_eq!(e.action.as_deref(), Some("ssh_login"));
    assert_eq!(e.outcome, Some(Outcome::Success));
    assert_eq!(e.src_ip, ip("2001:db8::7"));
    assert_eq!(e.src_port, Some(49116));
    assert_eq!(field(&e, "auth_method"), Some(&Value::from("publickey")));
    assert_eq!(
        event("<3>Dec 10 09:32:20 h k: x").severity,
        Some(Severity::High)
    );
    assert_eq!(event("Dec 10 09:32:20 h k: x").severity, None);
}

#[test]
fn rfc5424_without_structured_data() {
    let e = event(
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8",
    );
    assert_eq!(e.timestamp, ts("2003-10-11T22:14:15.003Z"));
    assert_eq!(e.host.as_deref(), Some("mymachine.example.com"));
    assert_eq!(e.process.as_deref(), Some("su"));
    assert_eq!(e.dataset, "su");
    assert_eq!(e.pid, None);
    assert_eq!(e.message, "'su root' failed for lonvick on /dev/pts/8");
    assert_eq!(e.severity, Some(Severity::Critical));
    assert_eq!(field(&e, "app_name"), Some(&Value::from("su")));
    assert_eq!(field(&e, "msgid"), Some(&Value::from("ID47")));
    assert_eq!(field(&e, "procid"), None);
    assert_eq!(field(&e, "program"), None);

    let e = event(
        "<38>1 2024-03-01T10:00:00+01:00 bastion sshd 4242 - - Failed password for invalid user admin from 10.0.0.5 port 5555 ssh2",
    );
    assert_eq!(e.timestamp, ts("2024-03-01T09:00:00Z"));
    assert_eq!(e.pid, Some(4242));
    assert_eq!(field(&e, "procid"), Some(&Value::from(4242)));
    assert_eq!(e.user.as_deref(), Some("admin"));
    assert_eq!(e.src_ip, ip("10.0.0.5"));
    assert_eq!(e.outcome, Some(Outcome::Failure));

    // Nil timestamp: the ingestion time; nothing after the SD: an empty message.
    let e = event("<14>1 - - - - - -");
    assert_eq!(e.timestamp, ts("2025-01-15T12:00:00Z"));
    assert_eq!((e.host, e.process, e.message.as_str()), (None, None, ""));
}

#[test]
fn rfc5424_with_structured_data() {
    let e = event(
        r#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event log entry"#,
    );
    assert_eq!(e.message, "An application event log entry");
    assert_eq!(e.severity, Some(Severity::Low));
    assert_eq!(field(&e, "facility_name"), Some(&Value::from("local4")));
    assert_eq!(field(&e, "iut"), Some(&Value::from("3")));
    assert_eq!(field(&e, "eventSource"), Some(&Value::from("Application")));
    assert_eq!(field(&e, "eventID"), Some(&Value::from("1011")));
    assert_eq!(field(&e, "class"), Some(&Value::from("high")));

    let e = event(
        r#"<13>1 2024-01-01T00:00:00Z h app 1 - [x@1 a="q\"uote" b="br\]acket" c="back\\slash" d="keep\n" e="" f="ünï"][y@2 a="again"]"#,
    );
    assert_eq!(e.message, "");
    assert_eq!(field(&e, "a"), Some(&Value::from("q\"uote")));
    assert_eq!(field(&e, "b"), Some(&Value::from("br]acket")));
    assert_eq!(field(&e, "c"), Some(&Value::from("back\\slash")));
    assert_eq!(field(&e, "d"), Some(&Value::from("keep\\n")));
    assert_eq!(field(&e, "e"), Some(&Value::from("")));
    assert_eq!(field(&e, "f"), Some(&Value::from("ünï")));
    // A name already taken is qualified with its SD-ID.
    assert_eq!(field(&e, "y@2.a"), Some(&Value::from("again")));

    let e = event(r#"<13>1 2024-01-01T00:00:00Z h app - - [origin] message"#);
    assert_eq!(e.message, "message");
}

#[test]
fn sudo_lines() {
    let e = event(
        "Mar  1 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -c echo a ; id",
    );
    assert_eq!(e.dataset, "sudo");
    assert_eq!(e.user.as_deref(), Some("alice"));
    assert_eq!(e.command_line.as_deref(), Some("/bin/bash -c echo a ; id"));
    assert_eq!(e.action.as_deref(), Some("sudo"));
    assert_eq!(e.outcome, Some(Outcome::Success));
    assert_eq!(field(&e, "target_user"), Some(&Value::from("root")));
    assert_eq!(field(&e, "tty"), Some(&Value::from("pts/0")));
    assert_eq!(field(&e, "pwd"), Some(&Value::from("/home/alice")));
    assert_eq!(
        e.message,
        "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -c echo a ; id"
    );

    let e = event(
        "Mar  1 10:00:05 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
    );
    assert_eq!(e.user.as_deref(), Some("bob"));
    assert_eq!(e.outcome, Some(Outcome::Failure));
    assert_eq!(field(&e, "attempts"), Some(&Value::from(3)));
    assert_eq!(
        field(&e, "reason"),
        Some(&Value::from("3 incorrect password attempts"))
    );
    assert_eq!(e.command_line.as_deref(), Some("/usr/bin/cat /etc/shadow"));

    let e = event(
        "Mar  1 10:00:06 web1 sudo:      eve : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh",
    );
    assert_eq!(
        (e.user.as_deref(), e.outcome),
        (Some("eve"), Some(Outcome::Failure))
    );

    let e = event(
        "Mar  1 10:00:04 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob",
    );
    assert_eq!(e.action.as_deref(), Some("authentication"));
    assert_eq!((e.user.as_deref(), e.src_ip), (Some("bob"), None));
    assert_eq!(field(&e, "rhost"), None);

    let e = event(
        "Mar  1 10:00:01 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
    );
    assert_eq!(e.action.as_deref(), Some("session_opened"));
    assert_eq!(e.user.as_deref(), Some("root"));
    assert_eq!(field(&e, "by_user"), Some(&Value::from("alice")));

    // Not the sudo shape: no action.
    assert_eq!(
        event("Mar  1 10:00:00 web1 sudo: something else").action,
        None
    );
}

#[test]
fn su_lines() {
    let e = event("Mar  1 10:00:00 web1 su[1234]: (to root) alice on pts/0");
    assert_eq!(e.dataset, "su");
    assert_eq!(
        (e.user.as_deref(), e.outcome),
        (Some("alice"), Some(Outcome::Success))
    );
    assert_eq!(field(&e, "target_user"), Some(&Value::from("root")));
    assert_eq!(field(&e, "tty"), Some(&Value::from("pts/0")));
    let e = event("Mar  1 10:00:00 web1 su[1235]: FAILED su for root by alice");
    assert_eq!(
        (e.user.as_deref(), e.outcome),
        (Some("alice"), Some(Outcome::Failure))
    );
    assert_eq!(e.action.as_deref(), Some("su"));
    assert_eq!(field(&e, "target_user"), Some(&Value::from("root")));
    let e = event("Mar  1 10:00:00 web1 su[1236]: - pts/3 mallory:root");
    assert_eq!(
        (e.user.as_deref(), e.outcome),
        (Some("mallory"), Some(Outcome::Failure))
    );
}

#[test]
fn sshd_message_variants() {
    let e = event(
        "Dec 10 06:55:46 h sshd[1]: Connection closed by authenticating user root 1.2.3.4 port 22 [preauth]",
    );
    assert_eq!(
        (e.user.as_deref(), e.src_ip, e.src_port),
        (Some("root"), ip("1.2.3.4"), Some(22))
    );
    let e = event(
        "Dec 10 06:55:46 h sshd[1]: Disconnected from invalid user a b 1.2.3.4 port 22 [preauth]",
    );
    assert_eq!((e.user.as_deref(), e.src_ip), (Some("a b"), ip("1.2.3.4")));
    assert_eq!(field(&e, "invalid_user"), Some(&Value::Bool(true)));
    // A user name that imitates the address cannot move it.
    let e = event(
        "Dec 10 06:55:46 h sshd[1]: Failed password for invalid user x from 9.9.9.9 port 1 from 1.2.3.4 port 22 ssh2",
    );
    assert_eq!(
        (e.user.as_deref(), e.src_ip),
        (Some("x from 9.9.9.9 port 1"), ip("1.2.3.4"))
    );
    let e = event("Dec 10 06:55:46 h sshd[1]: Invalid user  from 1.2.3.4 port 22");
    assert_eq!(
        (e.user, e.src_ip, e.src_port),
        (None, ip("1.2.3.4"), Some(22))
    );
    let e = event(
        "Dec 10 06:55:46 h sshd[1]: Received disconnect from 2001:db8::1 port 22:11: Bye Bye [preauth]",
    );
    assert_eq!((e.src_ip, e.src_port), (ip("2001:db8::1"), Some(22)));
    let e = event(
        "Dec 10 06:55:46 h sshd[1]: error: maximum authentication attempts exceeded for invalid user admin from 1.2.3.4 port 22 ssh2 [preauth]",
    );
    assert_eq!(e.action.as_deref(), Some("ssh_max_auth_attempts"));
    assert_eq!(
        (e.user.as_deref(), e.src_ip),
        (Some("admin"), ip("1.2.3.4"))
    );
    let e =
        event("Dec 10 06:55:46 h sshd[1]: Failed password for root from not-an-ip port 22 ssh2");
    assert_eq!((e.user.as_deref(), e.src_ip), (Some("root"), None));
    let e = event(
        "Dec 10 06:55:46 h sshd-session[1]: Accepted keyboard-interactive/pam for bob from 10.1.1.1 port 2 ssh2",
    );
    assert_eq!(
        (e.dataset.as_str(), e.user.as_deref()),
        ("sshd", Some("bob"))
    );
    // An RFC 3339 timestamp (rsyslog file format) and a missing host.
    let e = event("2024-05-01T10:00:00.123456+02:00 web1 sshd[7]: Invalid user x from 1.2.3.4");
    assert_eq!(e.timestamp, ts("2024-05-01T08:00:00.123456Z"));
    let e = event("Dec 10 06:55:46 CRON[5]: pam_unix(cron:session): session closed for user root");
    assert_eq!((e.host, e.dataset.as_str()), (None, "cron"));
    assert_eq!(e.user.as_deref(), Some("root"));
}

#[test]
fn garbage_is_an_error() {
    for line in [
        "",
        "   \r",
        "hello world",
        "<>",
        "<999>1 2003-10-11T22:14:15Z h a - - -",
        "<34",
        "<34>",
        "<34>1",
        "<34>1 2003-10-11T22:14:15.003Z host",
        "<34>1 notatime h a - - -",
        "<34>1 2003-10-11T22:14:15Z h a - - [unterminated a=\"b",
        "<34>1 2003-10-11T22:14:15Z h a - - [id a=b]",
        "<34>1 2003-10-11T22:14:15Z h a - - x",
        "<34>1 2003-10-11T22:14:15Z h a - - -x",
        "Dec",
        "Dec 10",
        "Dec 10 06:55",
        "Dec 10 06:55:46",
        "Dec 10 06:55:46   ",
        "Dec 32 06:55:46 h a: b",
        "Dec 10 25:00:00 h a: b",
        "Dec 10 06:61:00 h a: b",
        "Dec 10 06:55:46x h a: b",
        "Foo 10 06:55:46 h a: b",
        "2024-13-45T99:00:00Z h a: b",
        "日本語のログ",
        "🦀🦀🦀 🦀",
        "D\u{e9}c 10 06:55:46 h a: b",
        "\u{0}\u{1}\u{2}",
    ] {
        let e = err(line);
        assert!(!e.to_string().is_empty());
    }
    assert!(matches!(
        err("not syslog at all"),
        NormalizeError::Unrecognised {
            format: "syslog",
            ..
        }
    ));
}

/// xorshift64*: deterministic noise without a dependency.
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_input_never_panics() {
    let (tz, fm) = (TimeZone::UTC, FieldMap::default());
    let ctx = context(&tz, &fm, "2025-01-15T12:00:00Z", None);
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    // Pure noise that cannot start a header: always an error.
    let alphabet: Vec<char> = "xyz []<>:=\"\\-./()0123456789é日🦀\u{feff}\r\t"
        .chars()
        .collect();
    for _ in 0..5000 {
        let len = noise.below(60);
        let s: String = (0..len)
            .map(|_| alphabet[noise.below(alphabet.len())])
            .collect();
        let s = format!("q{s}");
        assert!(normalize(&s, &ctx).is_err(), "{s:?}");
    }
    // Real and synthetic lines, cut at every char boundary and with characters replaced:
    // anything may come back, as long as nothing panics.
    let seeds = [
        OPENSSH.lines().next().unwrap(),
        "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2",
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
        r#"<165>1 2003-10-11T22:14:15.003Z h évnts - ID47 [ex@1 iut="3" a="q\"\]\\"][p@1 c="日"] ünï 🦀"#,
        "<86>Mar  1 10:00:05 web1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
        "Mar  1 10:00:00 web1 su[1234]: (to root) alice on pts/0",
        "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
        "2024-05-01T10:00:00.123456+02:00 web1 sshd[7]: Disconnecting invalid user x 1.2.3.4 port 5: Too many authentication failures [preauth]",
    ];
    let swaps: Vec<char> = " []<>:=\"\\-(é🦀\r0".chars().collect();
    for seed in seeds {
        for (i, _) in seed.char_indices() {
            let _ = normalize(&seed[..i], &ctx);
            let _ = normalize(&seed[i..], &ctx);
        }
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..2000 {
            let mut c = chars.clone();
            for _ in 0..1 + noise.below(4) {
                let at = noise.below(c.len());
                c[at] = swaps[noise.below(swaps.len())];
            }
            let s: String = c.into_iter().collect();
            let _ = normalize(&s, &ctx);
        }
    }
}
