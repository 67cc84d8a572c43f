//! The messages of sshd, PAM, sudo and su, read into user, address, action and outcome.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::domain::Outcome;

/// What a message says, borrowed from it.
#[derive(Default)]
pub(super) struct Extract<'a> {
    pub(super) user: Option<&'a str>,
    pub(super) src_ip: Option<IpAddr>,
    pub(super) src_port: Option<u16>,
    pub(super) action: Option<&'static str>,
    pub(super) outcome: Option<Outcome>,
    pub(super) command_line: Option<&'a str>,
    /// SSH authentication method (`password`, `publickey`, `none`).
    pub(super) method: Option<&'a str>,
    /// The account a user switched to (sudo `USER=`, su).
    pub(super) target_user: Option<&'a str>,
    /// A remote host given by name (PAM `rhost=`, sshd reverse-mapping warnings).
    pub(super) rhost: Option<&'a str>,
    pub(super) tty: Option<&'a str>,
    pub(super) pwd: Option<&'a str>,
    /// Who opened a PAM session (`by alice(uid=1000)`).
    pub(super) by_user: Option<&'a str>,
    /// The reason a sudo command was refused.
    pub(super) reason: Option<&'a str>,
    /// `message repeated N times`.
    pub(super) repeated: Option<u32>,
    /// Failed attempts a single line reports (sudo, `PAM N more authentication failures`).
    pub(super) attempts: Option<u32>,
    pub(super) invalid_user: bool,
}

impl Extract<'_> {
    pub(super) fn write_fields(&self, fields: &mut Map<String, Value>) {
        let text = [
            ("auth_method", self.method),
            ("target_user", self.target_user),
            ("rhost", self.rhost),
            ("tty", self.tty),
            ("pwd", self.pwd),
            ("by_user", self.by_user),
            ("reason", self.reason),
        ];
        for (key, value) in text {
            if let Some(v) = value {
                fields.insert(key.into(), Value::String(v.to_string()));
            }
        }
        if let Some(n) = self.repeated {
            fields.insert("repeated".into(), Value::from(n));
        }
        if let Some(n) = self.attempts {
            fields.insert("attempts".into(), Value::from(n));
        }
        if self.invalid_user {
            fields.insert("invalid_user".into(), Value::Bool(true));
        }
    }

    fn set(&mut self, action: &'static str, outcome: Option<Outcome>) {
        self.action = Some(action);
        self.outcome = outcome;
    }
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

// The strings searched below are a few dozen bytes: a plain byte loop beats setting up a
// vectorised or two-way search for each of them.

/// Splits at the first `b` (an ASCII byte, so both halves stay on char boundaries).
pub(super) fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|c| c == b)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// Splits around the first `needle` that starts with an ASCII byte.
fn split_str<'a>(s: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let (h, n) = (s.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    let i = (0..h.len()).find(|&i| h[i] == first && h[i..].starts_with(n))?;
    Some((s.get(..i)?, s.get(i + n.len()..)?))
}

/// Splits around the last `needle` that starts with an ASCII byte.
fn rsplit_str<'a>(s: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let (h, n) = (s.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    let i = (0..h.len())
        .rev()
        .find(|&i| h[i] == first && h[i..].starts_with(n))?;
    Some((s.get(..i)?, s.get(i + n.len()..)?))
}

/// The port at the start of `s` (digits up to the first non-digit).
fn leading_u16(s: &str) -> Option<u16> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    s.get(..end)?.parse().ok()
}

fn leading_u32(s: &str) -> Option<u32> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    s.get(..end)?.parse().ok()
}

/// Fills the fields a message carries, by program.
pub(super) fn extract<'a>(dataset: &str, program: &str, msg: &'a str, x: &mut Extract<'a>) {
    let mut msg = msg;
    if let Some(r) = msg.strip_prefix("message repeated ")
        && let Some((n, inner)) = r.split_once(" times: [")
    {
        x.repeated = n.parse().ok();
        let inner = inner.trim_start_matches(' ');
        msg = inner.strip_suffix(']').unwrap_or(inner);
    }
    if let Some(body) = pam_body(msg) {
        return pam(body, x);
    }
    if program.ends_with("(pam_unix)") {
        return pam(msg, x);
    }
    match dataset {
        "sshd" => sshd(msg, x),
        "sudo" => sudo(msg, x),
        "su" => su(msg, x),
        _ => {}
    }
}

/// The text after a `pam_xxx(service:type): ` prefix.
fn pam_body(msg: &str) -> Option<&str> {
    if !msg.starts_with("pam_") {
        return None;
    }
    let (head, body) = split_str(msg, "): ")?;
    (!head.contains(' ')).then_some(body)
}

fn pam<'a>(body: &'a str, x: &mut Extract<'a>) {
    if let Some(kv) = body.strip_prefix("authentication failure;") {
        x.set("authentication", Some(Outcome::Failure));
        pam_kv(kv, x);
    } else if let Some(r) = body.strip_prefix("session opened for user ") {
        x.set("session_opened", Some(Outcome::Success));
        pam_session(r, x);
    } else if let Some(r) = body.strip_prefix("session closed for user ") {
        x.set("session_closed", Some(Outcome::Success));
        pam_session(r, x);
    }
}

/// `logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root`
fn pam_kv<'a>(kv: &'a str, x: &mut Extract<'a>) {
    let mut rest = kv;
    while !rest.is_empty() {
        let (token, next) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
        rest = next;
        let Some((k, v)) = split_at_byte(token, b'=') else {
            continue;
        };
        match k {
            "user" => x.user = nonempty(v),
            "tty" => x.tty = nonempty(v),
            "rhost" => match v.parse::<IpAddr>() {
                Ok(ip) => x.src_ip = Some(ip),
                Err(_) => x.rhost = nonempty(v),
            },
            _ => {}
        }
    }
}

/// `X by Y(uid=N)`, `X by (uid=0)`, `X(uid=1000) by Y(uid=0)` or just `X`.
fn pam_session<'a>(r: &'a str, x: &mut Extract<'a>) {
    let strip_uid = |s: &'a str| s.split_once('(').map_or(s, |(name, _)| name).trim_end();
    let (who, by) = match r.split_once(" by ") {
        Some((w, b)) => (w, Some(b)),
        None => (r, None),
    };
    x.user = nonempty(strip_uid(who));
    x.by_user = by.and_then(|b| nonempty(strip_uid(b)));
}

/// `IP[ port P[ ...]]`
fn ip_port(addr: &str, x: &mut Extract<'_>) {
    let (ip, rest) = split_at_byte(addr, b' ').unwrap_or((addr, ""));
    x.src_ip = ip.parse().ok();
    x.src_port = rest.strip_prefix("port ").and_then(leading_u16);
}

/// `[invalid user ]X`: the user, marking invalid users.
fn maybe_invalid<'a>(who: &'a str, x: &mut Extract<'a>) -> Option<&'a str> {
    if who == "invalid user" {
        x.invalid_user = true;
        return None;
    }
    match who.strip_prefix("invalid user ") {
        Some(u) => {
            x.invalid_user = true;
            nonempty(u)
        }
        None => nonempty(who),
    }
}

/// `[invalid user |authenticating user |user ]X IP[ port P][ [preauth]]`, read from the end so
/// that a user name with spaces cannot shift the address.
fn user_ip_port<'a>(s: &'a str, x: &mut Extract<'a>) {
    let s = s.strip_suffix(" [preauth]").unwrap_or(s);
    let (head, port) = match rsplit_str(s, " port ") {
        Some((h, p)) => (h, leading_u16(p)),
        None => (s, None),
    };
    let (who, ip) = rsplit_str(head, " ").unwrap_or(("", head));
    x.src_ip = ip.parse().ok();
    x.src_port = port;
    if let Some(u) = who
        .strip_prefix("authenticating user")
        .or_else(|| who.strip_prefix("user"))
    {
        x.user = nonempty(u.strip_prefix(' ').unwrap_or(u));
    } else if let Some(u) = who.strip_prefix("invalid user") {
        x.invalid_user = true;
        x.user = nonempty(u.strip_prefix(' ').unwrap_or(u));
    }
}

/// `METHOD for [invalid user ]X from IP port P ssh2[...]` after `Failed ` / `Accepted `.
fn ssh_login<'a>(r: &'a str, outcome: Outcome, x: &mut Extract<'a>) {
    let Some((method, rest)) = split_str(r, " for ") else {
        return;
    };
    if method.is_empty() || method.contains(' ') {
        return;
    }
    let Some((who, addr)) = rsplit_str(rest, " from ") else {
        return;
    };
    x.set("ssh_login", Some(outcome));
    x.method = Some(method);
    x.user = maybe_invalid(who, x);
    ip_port(addr, x);
}

fn sshd<'a>(msg: &'a str, x: &mut Extract<'a>) {
    let failure = Some(Outcome::Failure);
    if let Some(r) = msg.strip_prefix("Failed ") {
        ssh_login(r, Outcome::Failure, x);
    } else if let Some(r) = msg.strip_prefix("Accepted ") {
        ssh_login(r, Outcome::Success, x);
    } else if let Some(r) = msg
        .strip_prefix("Invalid user")
        .filter(|r| r.is_empty() || r.starts_with(' '))
    {
        x.set("ssh_invalid_user", failure);
        x.invalid_user = true;
        let (who, addr) = rsplit_str(r, " from ").unwrap_or((r, ""));
        x.user = nonempty(who.strip_prefix(' ').unwrap_or(who));
        ip_port(addr, x);
    } else if let Some(r) = msg.strip_prefix("input_userauth_request: invalid user") {
        x.set("ssh_userauth_request", failure);
        x.invalid_user = true;
        let r = r.strip_suffix(" [preauth]").unwrap_or(r);
        x.user = nonempty(r.strip_prefix(' ').unwrap_or(r));
    } else if let Some(r) = msg.strip_prefix("Connection closed by ") {
        x.set("ssh_connection_closed", None);
        user_ip_port(r, x);
    } else if let Some(r) = msg.strip_prefix("Connection reset by ") {
        x.set("ssh_connection_reset", None);
        user_ip_port(r, x);
    } else if let Some(r) = msg.strip_prefix("Disconnected from ") {
        x.set("ssh_disconnect", None);
        user_ip_port(r, x);
    } else if let Some(r) = msg
        .strip_prefix("Received disconnect from ")
        .or_else(|| msg.strip_prefix("error: Received disconnect from "))
    {
        x.set("ssh_disconnect", None);
        // `IP port P:11: reason` or, from older sshd, `IP: 11: reason`.
        let (tok, rest) = split_at_byte(r, b' ').unwrap_or((r, ""));
        x.src_ip = tok.strip_suffix(':').unwrap_or(tok).parse().ok();
        x.src_port = rest.strip_prefix("port ").and_then(leading_u16);
    } else if let Some(r) = msg.strip_prefix("reverse mapping checking getaddrinfo for ") {
        x.set("ssh_reverse_mapping_failed", None);
        if let Some((host, rest)) = split_str(r, " [") {
            x.rhost = nonempty(host);
            x.src_ip = split_at_byte(rest, b']').and_then(|(ip, _)| ip.parse().ok());
        }
    } else if let Some(r) = msg
        .strip_prefix("Address ")
        .filter(|r| r.contains("POSSIBLE BREAK-IN"))
    {
        // `Address IP maps to HOST, but this does not map back to the address - ...`
        x.set("ssh_reverse_mapping_failed", None);
        if let Some((ip, rest)) = r.split_once(" maps to ") {
            x.src_ip = ip.parse().ok();
            x.rhost = rest.split_once(',').and_then(|(h, _)| nonempty(h));
        }
    } else if let Some(r) = msg.strip_prefix("Did not receive identification string from ") {
        x.set("ssh_no_identification", None);
        ip_port(r, x);
    } else if let Some(r) = msg.strip_prefix("error: maximum authentication attempts exceeded for ")
    {
        x.set("ssh_max_auth_attempts", failure);
        if let Some((who, addr)) = rsplit_str(r, " from ") {
            x.user = maybe_invalid(who, x);
            ip_port(addr, x);
        }
    } else if let Some(r) = msg.strip_prefix("Disconnecting: Too many authentication failures") {
        x.set("ssh_max_auth_attempts", failure);
        let r = r.strip_suffix(" [preauth]").unwrap_or(r);
        if let Some(who) = r.strip_prefix(" for ") {
            x.user = maybe_invalid(who, x);
        }
    } else if let Some((head, _)) = msg
        .strip_prefix("Disconnecting ")
        .and_then(|r| r.split_once(": Too many authentication failures"))
    {
        x.set("ssh_max_auth_attempts", failure);
        user_ip_port(head, x);
    } else if let Some(r) = msg.strip_prefix("PAM ") {
        // `PAM 5 more authentication failures; logname= uid=0 ... rhost=IP  user=root`
        if let Some((count, kv)) = split_str(r, " more authentication failure") {
            x.set("authentication", failure);
            x.attempts = count.parse().ok();
            if let Some((_, kv)) = split_at_byte(kv, b';') {
                pam_kv(kv, x);
            }
        }
    }
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash`, optionally with a
/// refusal (`3 incorrect password attempts`, `user NOT in sudoers`) before `TTY=`.
fn sudo<'a>(msg: &'a str, x: &mut Extract<'a>) {
    let Some((who, rest)) = msg.trim_start_matches(' ').split_once(" : ") else {
        return;
    };
    if who.is_empty() || who.contains(' ') {
        return;
    }
    let (head, command) = match rest.find("COMMAND=") {
        Some(i) => (
            rest.get(..i).unwrap_or(""),
            rest.get(i + "COMMAND=".len()..),
        ),
        None => (rest, None),
    };
    let mut known = command.is_some();
    let mut reason = None;
    for part in head.split(';').map(|p| p.trim_matches(' ')) {
        match part.split_once('=') {
            Some(("TTY", v)) => x.tty = nonempty(v),
            Some(("PWD", v)) => x.pwd = nonempty(v),
            Some(("USER", v)) => x.target_user = nonempty(v),
            Some(_) => {}
            None if part.is_empty() => continue,
            None => {
                if reason.is_none() {
                    reason = Some(part);
                }
                continue;
            }
        }
        known = true;
    }
    if !known {
        return;
    }
    x.user = Some(who);
    x.command_line = command.and_then(nonempty);
    match reason {
        Some(r) => {
            x.set("sudo", Some(Outcome::Failure));
            x.reason = Some(r);
            if r.contains("incorrect password attempt") {
                x.attempts = leading_u32(r);
            }
        }
        None => x.set("sudo", Some(Outcome::Success)),
    }
}

/// `(to root) alice on pts/0`, `FAILED su for root by alice`, `Successful su for root by
/// alice`, `+ pts/0 alice:root` / `- pts/0 alice:root`.
fn su<'a>(msg: &'a str, x: &mut Extract<'a>) {
    if let Some((target, rest)) = msg.strip_prefix("(to ").and_then(|r| r.split_once(") ")) {
        let (user, tty) = match rest.split_once(" on ") {
            Some((u, t)) => (u, Some(t)),
            None => (rest, None),
        };
        x.set("su", Some(Outcome::Success));
        x.user = nonempty(user);
        x.target_user = nonempty(target);
        x.tty = tty.and_then(nonempty);
        return;
    }
    let by = |r: &'a str| r.rsplit_once(" by ");
    if let Some((target, user)) = msg.strip_prefix("FAILED su for ").and_then(by) {
        x.set("su", Some(Outcome::Failure));
        x.user = nonempty(user);
        x.target_user = nonempty(target);
    } else if let Some((target, user)) = msg.strip_prefix("Successful su for ").and_then(by) {
        x.set("su", Some(Outcome::Success));
        x.user = nonempty(user);
        x.target_user = nonempty(target);
    } else if let Some((sign, r)) = msg.split_at_checked(2)
        && let Some(outcome) = match sign {
            "+ " => Some(Outcome::Success),
            "- " => Some(Outcome::Failure),
            _ => None,
        }
        && let Some((tty, pair)) = r.split_once(' ')
        && let Some((user, target)) = pair.split_once(':')
    {
        x.set("su", Some(outcome));
        x.user = nonempty(user);
        x.target_user = nonempty(target);
        x.tty = nonempty(tty);
    }
}
