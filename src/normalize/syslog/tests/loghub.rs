//! The syslog normaliser on loghub's real OpenSSH and Linux logs: every line parses, and the
//! counts of each kind of sshd and pam message match the data.

use super::*;

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
