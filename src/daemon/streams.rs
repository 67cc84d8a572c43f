//! Stream bookkeeping over a synchronous connection: which keys the configured names and glob
//! patterns match, their consumer groups (created if absent), and their health (length, lag,
//! pending, dead letters) for `tocsin streams`, `/metrics` and the console's status bar.

use redis::{Connection, RedisError, Value};
use serde::Serialize;

/// The suffix of dead-letter streams (`<stream>:dead`); such keys are never consumed.
pub const DEAD_SUFFIX: &str = ":dead";

/// The dead-letter stream of `stream`.
pub fn dead_key(stream: &str) -> String {
    format!("{stream}{DEAD_SUFFIX}")
}

/// True when `pattern` has glob characters (otherwise it is one stream's name).
pub fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Redis-style glob matching (`*`, `?`, `[abc]`, `[a-z]`, `[^a]`, `\` escapes).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_at(&p, &n)
}

fn glob_at(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| glob_at(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && glob_at(&p[1..], &n[1..]),
        Some('[') => {
            let Some(c) = n.first() else { return false };
            let Some(end) = p.iter().skip(1).position(|&x| x == ']').map(|i| i + 1) else {
                return *c == '[' && glob_at(&p[1..], &n[1..]);
            };
            let mut class = &p[1..end];
            let negate = class.first() == Some(&'^');
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= (class[i]..=class[i + 2]).contains(c);
                    i += 3;
                } else {
                    hit |= class[i] == *c;
                    i += 1;
                }
            }
            hit != negate && glob_at(&p[end + 1..], &n[1..])
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && glob_at(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && glob_at(&p[1..], &n[1..]),
    }
}

/// True when `stream` is one the patterns name (and not a dead-letter stream).
pub fn is_configured(patterns: &[String], stream: &str) -> bool {
    !stream.ends_with(DEAD_SUFFIX) && patterns.iter().any(|p| glob_match(p, stream))
}

/// The stream keys the patterns name, sorted: literal names as given (they are created with
/// their group), globs matched against the streams that exist. Dead-letter streams never.
pub fn resolve(conn: &mut Connection, patterns: &[String]) -> Result<Vec<String>, RedisError> {
    let mut out = std::collections::BTreeSet::new();
    for pattern in patterns {
        if !is_glob(pattern) {
            if !pattern.ends_with(DEAD_SUFFIX) {
                out.insert(pattern.clone());
            }
            continue;
        }
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(1000)
                .arg("TYPE")
                .arg("stream")
                .query(conn)?;
            out.extend(keys.into_iter().filter(|k| !k.ends_with(DEAD_SUFFIX)));
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(out.into_iter().collect())
}

/// Creates `group` on `stream` (and the stream) if absent, reading from the stream's start so
/// entries written before the first daemon ran are not skipped.
pub fn ensure_group(conn: &mut Connection, stream: &str, group: &str) -> Result<(), RedisError> {
    let created: Result<(), RedisError> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query(conn);
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// A stream entry id (`ms-seq`) as numbers, for comparisons.
pub fn parse_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// One consumer group of a stream, as `XINFO GROUPS` and `XPENDING` tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupHealth {
    pub name: String,
    pub consumers: u64,
    /// Delivered to a consumer, not acked yet.
    pub pending: u64,
    /// Entries not delivered to this group yet (None when Redis cannot tell).
    pub lag: Option<u64>,
    pub last_delivered_id: String,
    /// The oldest pending entry, if any.
    pub oldest_pending_id: Option<String>,
}

/// A stream's health.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StreamHealth {
    pub stream: String,
    pub length: u64,
    pub groups: Vec<GroupHealth>,
    /// Entries in `<stream>:dead`.
    pub dead: u64,
}

impl StreamHealth {
    /// The named group, if the stream has it.
    pub fn group(&self, name: &str) -> Option<&GroupHealth> {
        self.groups.iter().find(|g| g.name == name)
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Field/value pairs of a RESP2 flat array or a RESP3 map.
fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(items) => items
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => Some((as_string(k)?, v)),
                _ => None,
            })
            .collect(),
        Value::Map(items) => items
            .iter()
            .filter_map(|(k, v)| Some((as_string(k)?, v)))
            .collect(),
        _ => Vec::new(),
    }
}

/// The groups of `stream` (empty when the stream does not exist).
pub fn groups(conn: &mut Connection, stream: &str) -> Result<Vec<GroupHealth>, RedisError> {
    let reply: Result<Value, RedisError> =
        redis::cmd("XINFO").arg("GROUPS").arg(stream).query(conn);
    let reply = match reply {
        Ok(v) => v,
        Err(e) if e.to_string().contains("no such key") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let Value::Array(items) = reply else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for item in &items {
        let mut g = GroupHealth::default();
        for (k, v) in pairs(item) {
            match k.as_str() {
                "name" => g.name = as_string(v).unwrap_or_default(),
                "consumers" => g.consumers = as_u64(v).unwrap_or(0),
                "pending" => g.pending = as_u64(v).unwrap_or(0),
                "lag" => g.lag = as_u64(v),
                "last-delivered-id" => g.last_delivered_id = as_string(v).unwrap_or_default(),
                _ => {}
            }
        }
        if g.pending > 0 {
            let summary: Value = redis::cmd("XPENDING")
                .arg(stream)
                .arg(&g.name)
                .query(conn)?;
            if let Value::Array(parts) = summary {
                g.oldest_pending_id = parts.get(1).and_then(as_string);
            }
        }
        out.push(g);
    }
    Ok(out)
}

/// Health of every stream the patterns name.
pub fn health(conn: &mut Connection, patterns: &[String]) -> Result<Vec<StreamHealth>, RedisError> {
    let mut out = Vec::new();
    for stream in resolve(conn, patterns)? {
        let length: u64 = redis::cmd("XLEN").arg(&stream).query(conn)?;
        let dead: u64 = redis::cmd("XLEN").arg(dead_key(&stream)).query(conn)?;
        let groups = groups(conn, &stream)?;
        out.push(StreamHealth {
            stream,
            length,
            groups,
            dead,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_redis() {
        assert!(glob_match("alerts:*", "alerts:wazuh"));
        assert!(glob_match("*", "anything"));
        assert!(!glob_match("alerts:*", "logs:wazuh"));
        assert!(glob_match("h?llo", "hello"));
        assert!(glob_match("h[ae]llo", "hallo"));
        assert!(!glob_match("h[^e]llo", "hello"));
        assert!(glob_match("log[0-9]", "log7"));
        assert!(glob_match("a\\*b", "a*b"));
        assert!(!glob_match("a\\*b", "axb"));
        assert!(glob_match("wazuh", "wazuh"));
        assert!(is_configured(&["alerts:*".into()], "alerts:x"));
        assert!(!is_configured(&["alerts:*".into()], "alerts:x:dead"));
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert!(parse_id("10-0") > parse_id("9-5"));
        assert_eq!(parse_id("1700000000000-3"), Some((1_700_000_000_000, 3)));
        assert_eq!(parse_id("5"), Some((5, 0)));
        assert_eq!(parse_id("x-1"), None);
    }
}
