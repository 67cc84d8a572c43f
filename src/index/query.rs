//! The search language: tantivy's query syntax (`host:web-01`, `"Failed password"`, AND/OR/NOT,
//! `-term`; bare words search `message`, and all words must match unless joined by OR), plus
//! time windows taken out before parsing and applied as a range on `ts`:
//! `last:24h` (also `90m`, `7d`, `30s`), `from:2026-11-01`, `to:2026-11-02` (dates are UTC days,
//! and `to:` a date includes that day; RFC 3339 instants are exact, `to:` exclusive).

use std::ops::Bound;

use jiff::{SignedDuration, Timestamp};
use tantivy::DateTime;
use tantivy::query::{AllQuery, BooleanQuery, Query, QueryParser, QueryParserError, RangeQuery};
use tantivy::schema::Field;

use super::text::TextIndex;
use super::{IndexError, Result};

/// A time window: `from` inclusive, `to` exclusive; either side open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// A query with its time-window and semantic tokens taken out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The rest, for tantivy's parser (may be empty: every event).
    pub text: String,
    pub window: TimeWindow,
    /// `~"free text"` or `like:EVENT_ID`: rank by meaning too (see `index::hybrid`).
    pub semantic: Option<SemanticPart>,
}

/// The semantic side of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SemanticPart {
    /// `~"credential stuffing"`, `~exfiltration`: events whose log templates mean something
    /// close to the text.
    Text(String),
    /// `like:EVENT_ID` (what `m` runs): events whose templates are nearest the event's own.
    Like(String),
}

/// Whitespace-separated tokens with their byte offsets; whitespace inside double quotes does
/// not split.
fn tokens(input: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (i, c) in input.char_indices() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if let Some(s) = start.take() {
                out.push((s, &input[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &input[s..]));
    }
    out
}

fn age(s: &str) -> Option<SignedDuration> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n < 0 {
        return None;
    }
    let secs = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3600)?,
        'd' => n.checked_mul(86_400)?,
        'w' => n.checked_mul(7 * 86_400)?,
        _ => return None,
    };
    Some(SignedDuration::from_secs(secs))
}

/// An instant, or a UTC date (its start, or with `end_of_day` the next day's start).
fn instant(s: &str, end_of_day: bool) -> Option<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let d = s.parse::<jiff::civil::Date>().ok()?;
    let d = if end_of_day { d.tomorrow().ok()? } else { d };
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn bad(token: &str, reason: impl Into<String>) -> IndexError {
    IndexError::Query {
        token: token.to_string(),
        reason: reason.into(),
    }
}

/// Takes `last:`, `from:`, `to:`, `~"..."` and `like:` out of `input`; `now` anchors `last:`.
pub fn split_time(input: &str, now: Timestamp) -> Result<Split> {
    let mut rest = Vec::new();
    let mut window = TimeWindow::default();
    let mut semantic: Option<SemanticPart> = None;
    for (_, token) in tokens(input) {
        if let Some(text) = token.strip_prefix('~') {
            let text = text.trim_matches('"').trim();
            if text.is_empty() {
                return Err(bad(token, "say what to look for: ~\"password spraying\""));
            }
            semantic = match semantic {
                None => Some(SemanticPart::Text(text.to_string())),
                Some(SemanticPart::Text(t)) => Some(SemanticPart::Text(format!("{t} {text}"))),
                Some(SemanticPart::Like(_)) => {
                    return Err(bad(token, "use either ~\"text\" or like:ID, not both"));
                }
            };
            continue;
        }
        let Some((key, value)) = token.split_once(':') else {
            rest.push(token);
            continue;
        };
        match key {
            "last" => {
                let d = age(value).ok_or_else(|| {
                    bad(
                        token,
                        "not an age: use a number and s, m, h, d or w (24h, 7d)",
                    )
                })?;
                let from = now
                    .checked_sub(d)
                    .map_err(|e| bad(token, format!("out of range: {e}")))?;
                window.from = Some(window.from.map_or(from, |f| f.max(from)));
            }
            "from" => {
                let t = instant(value, false).ok_or_else(|| {
                    bad(token, "not a time: use 2026-11-01 or 2026-11-01T08:00:00Z")
                })?;
                window.from = Some(window.from.map_or(t, |f| f.max(t)));
            }
            "to" => {
                let t = instant(value, true).ok_or_else(|| {
                    bad(token, "not a time: use 2026-11-02 or 2026-11-02T08:00:00Z")
                })?;
                window.to = Some(window.to.map_or(t, |f| f.min(t)));
            }
            "like" => {
                if value.is_empty() || semantic.is_some() {
                    return Err(bad(
                        token,
                        "like: takes one event id, and no ~\"text\" beside it",
                    ));
                }
                semantic = Some(SemanticPart::Like(value.to_string()));
            }
            _ => rest.push(token),
        }
    }
    Ok(Split {
        text: rest.join(" "),
        window,
        semantic,
    })
}

/// The whitespace token of `text` that an error is about: the one naming `field:`, or the one
/// covering byte `pos`.
fn token_at(text: &str, field: Option<&str>, pos: Option<usize>) -> String {
    let toks = tokens(text);
    let found = match (field, pos) {
        (Some(f), _) => toks.iter().find(|(_, t)| {
            let t = t.trim_start_matches(['-', '+', '(']);
            t.strip_prefix(f).is_some_and(|r| r.starts_with(':'))
        }),
        (None, Some(p)) => toks
            .iter()
            .rev()
            .find(|(start, _)| *start <= p)
            .or(toks.first()),
        (None, None) => None,
    };
    found
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| text.to_string())
}

/// Names the offending text of a parser error.
fn explain(text: &str, err: QueryParserError) -> IndexError {
    let token = match &err {
        QueryParserError::FieldDoesNotExist(f)
        | QueryParserError::FieldNotIndexed(f)
        | QueryParserError::FieldDoesNotHavePositionsIndexed(f) => token_at(text, Some(f), None),
        QueryParserError::SyntaxError(_) => {
            let (_, errors) = tantivy::query_grammar::parse_query_lenient(text);
            token_at(text, None, Some(errors.first().map_or(0, |e| e.pos)))
        }
        _ => text.to_string(),
    };
    let mut reason = err.to_string();
    if matches!(err, QueryParserError::FieldDoesNotExist(_)) {
        reason.push_str(&format!(
            " (fields: message, {})",
            super::text::KEYWORD_FIELDS.join(", ")
        ));
    }
    bad(&token, reason)
}

fn date_term(field: Field, t: Timestamp) -> tantivy::Term {
    tantivy::Term::from_field_date_for_search(
        field,
        DateTime::from_timestamp_millis(t.as_millisecond()),
    )
}

/// Parses `input` into a tantivy query over `index`; `now` anchors `last:`. A semantic part
/// (`~"..."`, `like:`) is an error here: only a hybrid search (with vectors) can answer it.
pub fn parse_query(index: &TextIndex, input: &str, now: Timestamp) -> Result<Box<dyn Query>> {
    let split = split_time(input, now)?;
    if split.semantic.is_some() {
        let token = tokens(input)
            .into_iter()
            .map(|(_, t)| t)
            .find(|t| t.starts_with('~') || t.starts_with("like:"))
            .unwrap_or(input);
        return Err(bad(
            token,
            "a semantic query needs the vector index (tocsin search and the hunt tab use it)",
        ));
    }
    lexical_query(index, &split.text, split.window, input)
}

/// The tantivy query for query text and a time window (`input` is what errors quote).
pub fn lexical_query(
    index: &TextIndex,
    text: &str,
    window: TimeWindow,
    input: &str,
) -> Result<Box<dyn Query>> {
    let split = Split {
        text: text.to_string(),
        window,
        semantic: None,
    };
    let fields = index.fields();
    let text_query: Box<dyn Query> = if split.text.trim().is_empty() {
        Box::new(AllQuery)
    } else {
        let mut parser = QueryParser::for_index(index.index(), vec![fields.message]);
        parser.set_conjunction_by_default();
        parser
            .parse_query(&split.text)
            .map_err(|e| explain(&split.text, e))?
    };
    let TimeWindow { from, to } = split.window;
    if from.is_none() && to.is_none() {
        return Ok(text_query);
    }
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Err(bad(
            input,
            "the time window is empty (from is not before to)",
        ));
    }
    let lower = from.map_or(Bound::Unbounded, |t| {
        Bound::Included(date_term(fields.ts, t))
    });
    let upper = to.map_or(Bound::Unbounded, |t| {
        Bound::Excluded(date_term(fields.ts, t))
    });
    let range: Box<dyn Query> = Box::new(RangeQuery::new(lower, upper));
    Ok(Box::new(BooleanQuery::intersection(vec![
        text_query, range,
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn time_tokens_come_out_and_the_rest_stays() {
        let s = split_time(r#"last:24h "Failed password" user:root"#, now()).unwrap();
        assert_eq!(s.text, r#""Failed password" user:root"#);
        assert_eq!(s.window.from, Some("2026-11-20T12:00:00Z".parse().unwrap()));
        assert_eq!(s.window.to, None);
        let s = split_time("last:90m", now()).unwrap();
        assert_eq!(s.window.from, Some("2026-11-21T10:30:00Z".parse().unwrap()));
        assert_eq!(s.text, "");
        let s = split_time("last:7d sshd", now()).unwrap();
        assert_eq!(s.window.from, Some("2026-11-14T12:00:00Z".parse().unwrap()));
    }

    #[test]
    fn from_to_dates_and_instants() {
        let s = split_time("from:2026-11-01 to:2026-11-02 host:web-01", now()).unwrap();
        assert_eq!(s.text, "host:web-01");
        assert_eq!(s.window.from, Some("2026-11-01T00:00:00Z".parse().unwrap()));
        // A `to:` date includes that day.
        assert_eq!(s.window.to, Some("2026-11-03T00:00:00Z".parse().unwrap()));
        let s = split_time("to:2026-11-02T08:00:00Z", now()).unwrap();
        assert_eq!(s.window.to, Some("2026-11-02T08:00:00Z".parse().unwrap()));
    }

    #[test]
    fn quoted_whitespace_is_one_token() {
        let t: Vec<&str> = tokens(r#"a "b c" -d"#)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(t, vec!["a", r#""b c""#, "-d"]);
    }

    #[test]
    fn bad_time_token_is_named() {
        let e = split_time("user:root last:yesterday", now()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("`last:yesterday`"), "{msg}");
        let e = split_time("from:2026-13-45", now()).unwrap_err();
        assert!(e.to_string().contains("`from:2026-13-45`"), "{e}");
    }

    #[test]
    fn semantic_tokens_come_out() {
        let s = split_time(r#"host:web-01 ~"brute force login" last:1h"#, now()).unwrap();
        assert_eq!(s.text, "host:web-01");
        assert_eq!(
            s.semantic,
            Some(SemanticPart::Text("brute force login".into()))
        );
        let s = split_time("like:abc123 dataset:sshd", now()).unwrap();
        assert_eq!(s.semantic, Some(SemanticPart::Like("abc123".into())));
        assert_eq!(s.text, "dataset:sshd");
        let e = split_time(r#"~"" x"#, now()).unwrap_err();
        assert!(e.to_string().contains("say what to look for"), "{e}");
        let e = split_time(r#"like:a ~b"#, now()).unwrap_err();
        assert!(e.to_string().contains("not both"), "{e}");
    }

    #[test]
    fn age_units() {
        assert_eq!(age("30s"), Some(SignedDuration::from_secs(30)));
        assert_eq!(age("2w"), Some(SignedDuration::from_hours(24 * 14)));
        assert_eq!(age("h"), None);
        assert_eq!(age("5y"), None);
    }
}
