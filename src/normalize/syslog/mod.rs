//! Syslog lines (RFC 3164 and RFC 5424) turned into events, with sshd, PAM, sudo and su
//! messages parsed further into user, address, action and outcome.
//!
//! Hand-written parsing over `str` and bytes (no regex): the line is split into header and
//! message once, and only the strings an event keeps are allocated.

use jiff::{Timestamp, civil};
use serde_json::{Map, Value};

mod auth;

use auth::{Extract, extract, split_at_byte};

use super::{Context, NormalizeError, Parsed, Record};
use crate::domain::{Event, Severity};

const FORMAT: &str = "syslog";

/// RFC 5424 facility names, by code.
const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// RFC 5424 severity names, by code.
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

fn unrecognised(problem: &str) -> NormalizeError {
    NormalizeError::Unrecognised {
        format: FORMAT,
        problem: problem.to_string(),
    }
}

fn bad_time(value: &str, problem: impl ToString) -> NormalizeError {
    NormalizeError::Timestamp {
        value: value.to_string(),
        problem: problem.to_string(),
    }
}

/// The header of a line, borrowed from it.
struct Header<'a> {
    /// `None` for an RFC 5424 NILVALUE (the ingestion time is used then).
    timestamp: Option<Timestamp>,
    /// `<PRI>` value (facility * 8 + severity), when the line has one.
    pri: Option<u8>,
    host: Option<&'a str>,
    /// Program (RFC 3164 tag) or APP-NAME (RFC 5424).
    program: Option<&'a str>,
    /// PID (RFC 3164) or PROCID (RFC 5424), as written.
    pid: Option<&'a str>,
    /// The message, with the structured data still in front of it for RFC 5424.
    body: &'a str,
    rfc5424: bool,
    /// RFC 5424 MSGID, when not nil.
    msgid: Option<&'a str>,
}

/// Normalises one syslog line (RFC 3164 or RFC 5424) into one event.
///
/// A trailing `\r` is dropped from both what is parsed and the kept `raw`. Year-less RFC 3164
/// timestamps take `ctx.year`, else the year of `ctx.reference_time` (the year before when
/// that would put the line more than a day after the reference), read in `ctx.timezone`.
/// Lines that are neither format give [`NormalizeError::Unrecognised`].
pub fn normalize(line: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.trim().is_empty() {
        return Err(unrecognised("empty line"));
    }
    let (pri, rest) = split_pri(line)?;
    let header = match pri.and_then(|_| strip_version(rest)) {
        Some(after_version) => parse_5424(after_version, pri)?,
        None => parse_3164(rest, pri, ctx)?,
    };
    build(line, header, ctx)
}

/// Splits an optional `<PRI>` off the front of a line.
fn split_pri(line: &str) -> Result<(Option<u8>, &str), NormalizeError> {
    let Some(after) = line.strip_prefix('<') else {
        return Ok((None, line));
    };
    let b = after.as_bytes();
    let digits = b.iter().take(4).take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 3 || b.get(digits) != Some(&b'>') {
        return Err(unrecognised(
            "`<` is not followed by a `<PRI>` of 1 to 3 digits",
        ));
    }
    let pri = after
        .get(..digits)
        .and_then(|d| d.parse::<u8>().ok())
        .filter(|p| *p <= 191)
        .ok_or_else(|| unrecognised("priority above 191"))?;
    Ok((Some(pri), after.get(digits + 1..).unwrap_or("")))
}

/// The rest after an RFC 5424 `VERSION SP` (1 or 2 digits, not starting with 0).
fn strip_version(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let len = if b.get(1).is_some_and(u8::is_ascii_digit) {
        2
    } else {
        1
    };
    (b.get(len) == Some(&b' '))
        .then(|| s.get(len + 1..))
        .flatten()
}

/// Splits one space-separated RFC 5424 header field off `s`.
fn field_5424<'a>(s: &'a str, what: &str) -> Result<(&'a str, &'a str), NormalizeError> {
    match s.split_once(' ') {
        Some((f, rest)) if !f.is_empty() => Ok((f, rest)),
        _ => Err(unrecognised(&format!("RFC 5424 header ends before {what}"))),
    }
}

fn nil(s: &str) -> Option<&str> {
    (s != "-").then_some(s)
}

fn parse_5424(s: &str, pri: Option<u8>) -> Result<Header<'_>, NormalizeError> {
    let (ts, s) = field_5424(s, "HOSTNAME")?;
    let (host, s) = field_5424(s, "APP-NAME")?;
    let (app, s) = field_5424(s, "PROCID")?;
    let (procid, s) = field_5424(s, "MSGID")?;
    let (msgid, s) = field_5424(s, "STRUCTURED-DATA")?;
    let timestamp = match ts {
        "-" => None,
        t => Some(t.parse::<Timestamp>().map_err(|e| bad_time(t, e))?),
    };
    Ok(Header {
        timestamp,
        pri,
        host: nil(host),
        program: nil(app),
        pid: nil(procid),
        body: s,
        rfc5424: true,
        msgid: nil(msgid),
    })
}

/// Month number from three ASCII letters, any case.
fn month(b: &[u8]) -> Option<i8> {
    let m = [b.first()? | 0x20, b.get(1)? | 0x20, b.get(2)? | 0x20];
    Some(match &m {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    })
}

/// Exactly two ASCII digits at `i`.
fn two_digits(b: &[u8], i: usize) -> Option<i8> {
    let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit()).then(|| ((x - b'0') * 10 + (y - b'0')) as i8)
}

/// Parses `Mmm dd hh:mm:ss[.frac]` at the start of `s`: the timestamp and what follows it.
fn bsd_timestamp<'a>(s: &'a str, ctx: &Context) -> Result<(Timestamp, &'a str), NormalizeError> {
    let b = s.as_bytes();
    let shape = || unrecognised("timestamp is not `Mmm dd hh:mm:ss`");
    let month = month(b).ok_or_else(|| {
        unrecognised("no syslog header: expected `Mmm dd hh:mm:ss` or `<PRI>1 TIMESTAMP`")
    })?;
    if b.get(3) != Some(&b' ') {
        return Err(shape());
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let day = match two_digits(b, i) {
        Some(d) => {
            i += 2;
            d
        }
        None => match b.get(i) {
            Some(d) if d.is_ascii_digit() => {
                i += 1;
                (d - b'0') as i8
            }
            _ => return Err(shape()),
        },
    };
    if b.get(i) != Some(&b' ') {
        return Err(shape());
    }
    i += 1;
    let hour = two_digits(b, i).ok_or_else(shape)?;
    let minute = two_digits(b, i + 3).ok_or_else(shape)?;
    let second = two_digits(b, i + 6).ok_or_else(shape)?;
    if b.get(i + 2) != Some(&b':') || b.get(i + 5) != Some(&b':') {
        return Err(shape());
    }
    i += 8;
    let mut nanos: i32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000_000;
        let start = i;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            nanos += i32::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start || i - start > 9 {
            return Err(shape());
        }
    }
    if !matches!(b.get(i), None | Some(b' ')) {
        return Err(shape());
    }
    let text = s.get(..i).unwrap_or(s);
    let at = |year: i16| {
        let dt = civil::DateTime::new(year, month, day, hour, minute, second, nanos)
            .map_err(|e| bad_time(text, e))?;
        ctx.timezone.to_timestamp(dt).map_err(|e| bad_time(text, e))
    };
    let ts = match ctx.year {
        Some(year) => at(year)?,
        None => {
            let year = ctx.timezone.to_datetime(ctx.reference_time).year();
            let ts = at(year)?;
            if ts.as_second() > ctx.reference_time.as_second().saturating_add(86_400) {
                at(year - 1)?
            } else {
                ts
            }
        }
    };
    Ok((ts, s.get(i..).unwrap_or("")))
}

/// Parses an RFC 3339 first token (`2024-01-01T10:00:00.123+00:00`, as modern rsyslog writes
/// in files): the timestamp and what follows it. Zone-less times are read in `ctx.timezone`.
fn iso_timestamp<'a>(s: &'a str, ctx: &Context) -> Result<(Timestamp, &'a str), NormalizeError> {
    let (tok, rest) = s.split_once(' ').unwrap_or((s, ""));
    let ts = match tok.parse::<Timestamp>() {
        Ok(ts) => ts,
        Err(e) => match tok.parse::<civil::DateTime>() {
            Ok(dt) => ctx
                .timezone
                .to_timestamp(dt)
                .map_err(|e| bad_time(tok, e))?,
            Err(_) => return Err(bad_time(tok, e)),
        },
    };
    Ok((ts, rest))
}

fn parse_3164<'a>(
    s: &'a str,
    pri: Option<u8>,
    ctx: &Context,
) -> Result<Header<'a>, NormalizeError> {
    let b = s.as_bytes();
    let iso = b.len() >= 10 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-');
    let (timestamp, rest) = if iso && b.first().is_some_and(u8::is_ascii_digit) {
        iso_timestamp(s, ctx)?
    } else {
        bsd_timestamp(s, ctx)?
    };
    let rest = rest.trim_start_matches(' ');
    if rest.is_empty() {
        return Err(unrecognised("nothing after the timestamp"));
    }
    let (tok, after) = split_at_byte(rest, b' ').unwrap_or((rest, ""));
    // No hostname when the first word is already the tag (`sshd[1]:`, `kernel:`).
    let (host, tagged) = if tok.ends_with(':') {
        (None, rest)
    } else {
        (Some(tok), after.trim_start_matches(' '))
    };
    let (program, pid, message) = split_tag(tagged);
    Ok(Header {
        timestamp: Some(timestamp),
        pri,
        host,
        program,
        pid,
        body: message.trim_start_matches(' '),
        rfc5424: false,
        msgid: None,
    })
}

/// Splits an RFC 3164 `TAG[PID]: ` off a message. Without a recognisable tag the whole text is
/// the message.
fn split_tag(s: &str) -> (Option<&str>, Option<&str>, &str) {
    let none = (None, None, s);
    let Some(stop) = s.bytes().position(|b| matches!(b, b'[' | b':' | b' ')) else {
        return none;
    };
    let (Some(program), Some(after)) = (s.get(..stop), s.get(stop + 1..)) else {
        return none;
    };
    if program.is_empty() {
        return none;
    }
    let (pid, after) = match s.as_bytes().get(stop) {
        Some(b':') => (None, after),
        Some(b'[') => match split_at_byte(after, b']') {
            Some((pid, after)) if !pid.is_empty() => {
                (Some(pid), after.strip_prefix(':').unwrap_or(after))
            }
            _ => return none,
        },
        _ => return none,
    };
    if after.is_empty() || after.starts_with(' ') {
        (Some(program), pid, after)
    } else {
        none
    }
}

/// Parses RFC 5424 STRUCTURED-DATA at the start of `s` into `fields` and returns the message.
fn structured_data<'a>(
    s: &'a str,
    fields: &mut Map<String, Value>,
) -> Result<&'a str, NormalizeError> {
    let rest = if let Some(rest) = s.strip_prefix('-') {
        rest
    } else if s.starts_with('[') {
        sd_elements(s, fields)?
    } else {
        return Err(unrecognised(
            "RFC 5424 structured data is neither `-` nor `[...]`",
        ));
    };
    if rest.is_empty() {
        return Ok(rest);
    }
    let msg = rest
        .strip_prefix(' ')
        .ok_or_else(|| unrecognised("no space after RFC 5424 structured data"))?;
    Ok(msg.strip_prefix('\u{feff}').unwrap_or(msg))
}

/// A name inside structured data: printable, no `=`, space, `]` or `"`.
fn sd_name_len(b: &[u8]) -> usize {
    b.iter()
        .take_while(|&&c| c > b' ' && c < 0x7f && !matches!(c, b'=' | b']' | b'"'))
        .count()
}

fn sd_elements<'a>(s: &'a str, fields: &mut Map<String, Value>) -> Result<&'a str, NormalizeError> {
    let malformed =
        |what: &str| unrecognised(&format!("malformed RFC 5424 structured data: {what}"));
    let b = s.as_bytes();
    let text = |from: usize, to: usize| s.get(from..to).ok_or_else(|| malformed("bad text"));
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        i += 1;
        let id_len = sd_name_len(b.get(i..).unwrap_or_default());
        if id_len == 0 {
            return Err(malformed("empty SD-ID"));
        }
        let id = text(i, i + id_len)?;
        i += id_len;
        loop {
            match b.get(i) {
                Some(b']') => {
                    i += 1;
                    break;
                }
                Some(b' ') => i += 1,
                _ => return Err(malformed("expected ` ` or `]`")),
            }
            let name_len = sd_name_len(b.get(i..).unwrap_or_default());
            if name_len == 0 {
                return Err(malformed("empty parameter name"));
            }
            let name = text(i, i + name_len)?;
            i += name_len;
            if b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
                return Err(malformed("expected `=\"` after a parameter name"));
            }
            i += 2;
            let mut value = String::new();
            let mut seg = i;
            loop {
                match b.get(i) {
                    None => return Err(malformed("unterminated parameter value")),
                    Some(b'"') => break,
                    Some(b'\\') if matches!(b.get(i + 1), Some(b'"' | b'\\' | b']')) => {
                        value.push_str(text(seg, i)?);
                        seg = i + 1;
                        i += 2;
                    }
                    Some(_) => i += 1,
                }
            }
            value.push_str(text(seg, i)?);
            i += 1;
            let key = if fields.contains_key(name) {
                format!("{id}.{name}")
            } else {
                name.to_string()
            };
            fields.insert(key, Value::String(value));
        }
    }
    Ok(s.get(i..).unwrap_or(""))
}

/// The dataset a program's lines belong to.
fn dataset(program: &str) -> &'static str {
    let base = split_at_byte(program, b'(').map_or(program, |(b, _)| b);
    match base {
        "sshd" | "sshd-session" | "sshd-auth" => "sshd",
        "sudo" => "sudo",
        "su" => "su",
        "kernel" => "kernel",
        b if b.eq_ignore_ascii_case("cron") || b.eq_ignore_ascii_case("crond") => "cron",
        _ => "syslog",
    }
}

fn build(line: &str, h: Header, ctx: &Context) -> Result<Parsed, NormalizeError> {
    // Sized for the usual program, pid and a few parsed extras, so it never regrows.
    let mut fields = Map::with_capacity(8);
    let program = h.program.unwrap_or("");
    let (program_key, pid_key) = if h.rfc5424 {
        ("app_name", "procid")
    } else {
        ("program", "pid")
    };
    if let Some(p) = h.program {
        fields.insert(program_key.into(), Value::String(p.to_string()));
    }
    let pid = h.pid.and_then(|p| p.parse::<u32>().ok());
    match (pid, h.pid) {
        (Some(n), _) => {
            fields.insert(pid_key.into(), Value::from(n));
        }
        (None, Some(p)) => {
            fields.insert(pid_key.into(), Value::String(p.to_string()));
        }
        (None, None) => {}
    }
    if let Some(pri) = h.pri {
        let (facility, severity) = (pri / 8, pri % 8);
        fields.insert("facility".into(), Value::from(facility));
        if let Some(name) = FACILITIES.get(usize::from(facility)) {
            fields.insert("facility_name".into(), Value::from(*name));
        }
        fields.insert("severity".into(), Value::from(severity));
        if let Some(name) = SEVERITIES.get(usize::from(severity)) {
            fields.insert("severity_name".into(), Value::from(*name));
        }
    }
    if let Some(m) = h.msgid {
        fields.insert("msgid".into(), Value::String(m.to_string()));
    }
    let message = if h.rfc5424 {
        structured_data(h.body, &mut fields)?
    } else {
        h.body
    };
    let timestamp = h.timestamp.unwrap_or(ctx.ingested_at);

    let dataset = dataset(program);
    let mut x = Extract::default();
    extract(dataset, program, message, &mut x);

    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        dataset,
        FORMAT,
        message.to_string(),
        line.to_string(),
    );
    e.host = h.host.map(str::to_string);
    e.process = h.program.map(str::to_string);
    e.pid = pid;
    e.severity = h.pri.map(|p| Severity::from_syslog(p % 8));
    e.user = x.user.map(str::to_string);
    e.src_ip = x.src_ip;
    e.src_port = x.src_port;
    e.command_line = x.command_line.map(str::to_string);
    e.action = x.action.map(str::to_string);
    e.outcome = x.outcome;
    x.write_fields(&mut fields);
    e.fields = fields;
    Ok(Parsed::Record(Record::event(e)))
}

#[cfg(test)]
mod tests;
