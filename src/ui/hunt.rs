//! The hunt pane's logic that is not drawing or update: running a query on the text index (on
//! the reader worker), the terms to highlight, hits over time, and pivot terms.

use std::path::Path;

use jiff::Timestamp;

use super::msg::{Reply, ReqId};
use crate::index::{Hit, IndexError, Order, TextIndex, hybrid};

/// How many hits a hunt fetches (the count covers them all).
pub const LIMIT: usize = 1_000;

/// Runs `query` on the index in `dir`, opening it the first time; a semantic query (`~"..."`,
/// `like:ID`) also uses the vectors.
pub fn search(
    index: &mut Option<TextIndex>,
    vectors: &mut super::worker::Vectors,
    dir: &Path,
    req: ReqId,
    query: &str,
) -> Reply {
    let result = (|| {
        if index.is_none() {
            *index = Some(TextIndex::open(dir)?);
        }
        let Some(ix) = index.as_ref() else {
            return Ok((Vec::new(), 0, None));
        };
        // Pick up commits made since the last query (the daemon, an ingest).
        ix.reload()?;
        let now = Timestamp::now();
        let semantic = if crate::index::query::split_time(query, now)?
            .semantic
            .is_some()
        {
            Some(vectors.get().map_err(IndexError::Embed)?)
        } else {
            None
        };
        let found = hybrid::search(ix, semantic, query, LIMIT, Order::Newest, now)?;
        let note = found.semantic.map(|n| n.embedder);
        Ok::<_, IndexError>((found.hits, found.count, note))
    })();
    match result {
        Ok((hits, count, embedder)) => Reply::Hunt {
            req,
            query: query.to_string(),
            hits,
            count,
            embedder,
            error: None,
        },
        Err(e) => Reply::Hunt {
            req,
            query: query.to_string(),
            hits: Vec::new(),
            count: 0,
            embedder: None,
            error: Some(e.to_string()),
        },
    }
}

/// The words and phrases of a query worth highlighting in messages: bare terms and quoted
/// phrases, lower-cased; `field:value`, operators and time windows are left out.
pub fn highlight_terms(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start);
        words(before, &mut out);
        match after[1..].find('"') {
            Some(end) => {
                let phrase = &after[1..1 + end];
                if !phrase.trim().is_empty() {
                    out.push(phrase.to_lowercase());
                }
                rest = &after[end + 2..];
            }
            None => {
                rest = &after[1..];
            }
        }
    }
    words(rest, &mut out);
    out.sort_by_key(|t| std::cmp::Reverse(t.len()));
    out.dedup();
    out
}

fn words(text: &str, out: &mut Vec<String>) {
    for w in text.split_whitespace() {
        let w = w.trim_matches(|c: char| "()+".contains(c));
        if w.is_empty()
            || w.contains(':')
            || w.starts_with('-')
            || matches!(w, "AND" | "OR" | "NOT" | "TO")
        {
            continue;
        }
        out.push(w.trim_matches('*').to_lowercase());
    }
}

/// Byte ranges of `text` where any of `terms` occurs (case-insensitive, ASCII folding),
/// sorted and not overlapping.
pub fn matches(text: &str, terms: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for t in terms.iter().filter(|t| !t.is_empty()) {
        let mut from = 0;
        while let Some(at) = lower.get(from..).and_then(|s| s.find(t.as_str())) {
            let start = from + at;
            let end = start + t.len();
            if text.is_char_boundary(start) && text.is_char_boundary(end) {
                found.push((start, end));
            }
            from = end.max(start + 1);
        }
    }
    found.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in found {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Hits per time bucket between the oldest and newest hit, oldest first.
pub fn histogram(hits: &[Hit], buckets: usize) -> Vec<u64> {
    let buckets = buckets.max(1);
    let (Some(lo), Some(hi)) = (
        hits.iter().map(|h| h.ts).min(),
        hits.iter().map(|h| h.ts).max(),
    ) else {
        return Vec::new();
    };
    let span = (hi.as_millisecond() - lo.as_millisecond()).max(1) as f64;
    let mut out = vec![0u64; buckets];
    for h in hits {
        let at = (h.ts.as_millisecond() - lo.as_millisecond()) as f64 / span;
        let i = ((at * buckets as f64) as usize).min(buckets - 1);
        out[i] += 1;
    }
    out
}

/// The oldest and newest time of the hits.
pub fn span(hits: &[Hit]) -> Option<(Timestamp, Timestamp)> {
    Some((
        hits.iter().map(|h| h.ts).min()?,
        hits.iter().map(|h| h.ts).max()?,
    ))
}

/// The field values of a hit an analyst can pivot on, as query terms (`host:web-01`).
pub fn pivots(hit: &Hit) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |field: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            out.push(term(field, v));
        }
    };
    push("host", hit.host.as_deref());
    push("user", hit.user.as_deref());
    push("src_ip", hit.src_ip.as_deref());
    push("dataset", Some(hit.dataset.as_str()));
    out
}

/// `field:value`, quoting a value the query parser would split.
pub fn term(field: &str, value: &str) -> String {
    if value
        .chars()
        .any(|c| c.is_whitespace() || "():\"\\".contains(c))
    {
        format!("{field}:\"{}\"", value.replace('"', "\\\""))
    } else {
        format!("{field}:{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_skip_fields_operators_and_windows() {
        let t = highlight_terms(r#""Failed password" AND user:root invalid -noise last:24h"#);
        assert_eq!(
            t,
            vec!["failed password".to_string(), "invalid".to_string()]
        );
    }

    #[test]
    fn matches_are_case_insensitive_and_merged() {
        let text = "Failed password for invalid user admin";
        let m = matches(
            text,
            &["failed password".into(), "password".into(), "user".into()],
        );
        assert_eq!(m, vec![(0, 15), (28, 32)]);
        assert_eq!(&text[28..32], "user");
    }

    #[test]
    fn pivot_terms_quote_when_needed() {
        assert_eq!(term("host", "web-01"), "host:web-01");
        assert_eq!(term("user", "Domain Admin"), "user:\"Domain Admin\"");
        assert_eq!(term("src_ip", "fe80::1"), "src_ip:\"fe80::1\"");
    }

    #[test]
    fn histogram_spreads_hits_over_buckets() {
        let hit = |s: i64| Hit {
            id: String::new(),
            ts: Timestamp::from_second(s).unwrap(),
            dataset: "sshd".into(),
            host: None,
            user: None,
            src_ip: None,
            message: String::new(),
            template: None,
            score: None,
        };
        let hits = vec![hit(0), hit(1), hit(50), hit(100)];
        assert_eq!(histogram(&hits, 2), vec![2, 2]);
        assert_eq!(histogram(&hits, 4).iter().sum::<u64>(), 4);
        assert!(histogram(&[], 4).is_empty());
    }
}
