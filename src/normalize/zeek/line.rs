//! One-line messages for Zeek events, built word by word: `key=value` pairs, lists and both
//! ends of a connection, control characters blanked and long lines cut.

use std::fmt::Write as _;

use serde_json::Value;

use super::super::json;

/// Messages longer than this (in characters) are cut, with an ellipsis.
pub(super) const MESSAGE_MAX: usize = 400;

/// Both ends of a connection, as the log wrote the addresses: `(address, port)`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Ends<'a> {
    pub(super) src: Option<(&'a str, Option<u16>)>,
    pub(super) dst: Option<(&'a str, Option<u16>)>,
}

/// A one-line message, built word by word.
pub(super) struct Line(String);

impl Line {
    pub(super) fn new(head: &str) -> Self {
        let mut line = String::with_capacity(192);
        line.push_str(head);
        Line(line)
    }

    /// ` key=a,b,c`: up to `max` members of a list field, with a count of the rest.
    pub(super) fn list(&mut self, key: &str, v: &Value, field: &str, max: usize) -> &mut Self {
        let items = match json::get(v, field) {
            Some(Value::Array(items)) if !items.is_empty() => items.as_slice(),
            Some(one @ Value::String(s)) if !s.is_empty() => std::slice::from_ref(one),
            _ => return self,
        };
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(key);
        self.0.push('=');
        for (i, item) in items.iter().take(max).enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            match item {
                Value::String(s) => self.0.push_str(s),
                Value::Number(n) => {
                    let _ = write!(self.0, "{n}");
                }
                Value::Bool(b) => {
                    let _ = write!(self.0, "{b}");
                }
                _ => {}
            }
        }
        if items.len() > max {
            let _ = write!(self.0, ",+{} more", items.len() - max);
        }
        self
    }

    pub(super) fn word(&mut self, word: Option<&str>) -> &mut Self {
        if let Some(w) = word.filter(|w| !w.is_empty()) {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(w);
        }
        self
    }

    /// `src:port -> dst:port` (either end alone when the other is unknown).
    pub(super) fn ends(&mut self, ends: Ends) -> &mut Self {
        let mut first = true;
        for end in [ends.src, ends.dst] {
            let Some((ip, port)) = end else { continue };
            if !self.0.is_empty() {
                self.0.push_str(if first { " " } else { " -> " });
            }
            first = false;
            match port {
                Some(p) if ip.contains(':') => {
                    let _ = write!(self.0, "[{ip}]:{p}");
                }
                Some(p) => {
                    let _ = write!(self.0, "{ip}:{p}");
                }
                None => self.0.push_str(ip),
            }
        }
        self
    }

    pub(super) fn kv(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        let value = value.map(|v| v.trim_matches(|c: char| c.is_whitespace() || c.is_control()));
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{key}={value}");
        }
        self
    }

    /// Control characters become spaces and long lines are cut, so the message stays one line.
    pub(super) fn finish(self) -> String {
        let clean = self.0.len() <= MESSAGE_MAX
            && !has_control(&self.0)
            && !self.0.ends_with(char::is_whitespace);
        if clean {
            self.0
        } else {
            one_line(&self.0, MESSAGE_MAX)
        }
    }
}

/// Whether `text` holds a control character (checked on bytes first: C0 controls and DEL are
/// single bytes, C1 controls start with 0xC2).
fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) && text.chars().any(char::is_control)
}

/// `text` with control characters replaced by spaces, cut to `max` characters.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 3));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.truncate(out.trim_end().len());
    out
}
