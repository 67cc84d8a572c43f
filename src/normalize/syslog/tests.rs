//! Tests of the syslog normaliser on real loghub data, RFC examples and hostile input.

use std::collections::HashMap;

use jiff::tz::{self, TimeZone};

use std::net::IpAddr;

use super::*;
use crate::domain::Outcome;
use crate::normalize::FieldMap;

mod loghub;

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
