//! Hybrid search: a query's lexical side (BM25 over the text index) and its semantic side
//! (`~"..."` or `like:ID`: the events of the log templates nearest in meaning) fused by
//! reciprocal rank fusion, so an event found both ways ranks above one found either way.
//!
//! Field filters (`host:web-01`, `-user:root`) and the time window narrow both sides; bare words
//! and phrases rank the lexical side. A query with `OR` or parentheses is taken whole as the
//! lexical side, and the semantic side then keeps only the time window.

use std::collections::HashMap;

use jiff::Timestamp;
use serde::Serialize;
use tantivy::Term;
use tantivy::query::{BooleanQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::query::{SemanticPart, Split, lexical_query, split_time};
use super::semantic::{Near, Semantic};
use super::text::{KEYWORD_FIELDS, TextIndex};
use super::{Hit, IndexError, Order, Result};

/// The constant of reciprocal rank fusion (Cormack et al.: 60 works across collections).
pub const RRF_K: f32 = 60.0;
/// Templates a semantic side draws its events from.
pub const TEMPLATES: usize = 8;

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Every event matching (for a hybrid query: matching either side).
    pub count: usize,
    /// The semantic side, when the query had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticNote>,
}

/// How the semantic side was answered.
#[derive(Debug, Clone, Serialize)]
pub struct SemanticNote {
    /// Which embedder made the vectors (a lexical fallback says so).
    pub embedder: String,
    /// The templates whose events were drawn, nearest first.
    pub templates: Vec<Near>,
}

/// Runs `input` with `order` (a hybrid query is always ranked by fused score). `semantic` is
/// needed only when the query has a semantic part.
pub fn search(
    text: &TextIndex,
    semantic: Option<&Semantic>,
    input: &str,
    limit: usize,
    order: Order,
    now: Timestamp,
) -> Result<Found> {
    let split = split_time(input, now)?;
    let Some(part) = split.semantic.clone() else {
        let q = lexical_query(text, &split.text, split.window, input)?;
        return Ok(Found {
            hits: text.search_query(q.as_ref(), limit, order)?,
            count: text.count_query(q.as_ref())?,
            semantic: None,
        });
    };
    let Some(sem) = semantic else {
        return Err(IndexError::Embed(
            "this search has no vector index to use (is [embed] enabled = false?)".into(),
        ));
    };
    hybrid(text, sem, &split, &part, input, limit)
}

/// A query's text split into field filters and ranking terms (None: keep it whole).
fn filters_and_terms(text: &str) -> Option<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.iter().any(|w| *w == "OR" || w.contains('(')) || text.contains('"') {
        // Phrases can hold spaces: keep the filter split for simple queries only.
        if text.contains('"') && !words.iter().any(|w| *w == "OR" || w.contains('(')) {
            return split_quoted(text);
        }
        return None;
    }
    let mut filters = Vec::new();
    let mut terms = Vec::new();
    let mut negate = false;
    for w in words {
        if w == "AND" {
            continue;
        }
        if w == "NOT" {
            negate = true;
            continue;
        }
        let item = if negate {
            format!("-{}", w.trim_start_matches(['-', '+']))
        } else {
            w.to_string()
        };
        negate = false;
        if is_filter(&item) {
            filters.push(item);
        } else {
            terms.push(item);
        }
    }
    Some((filters.join(" "), terms.join(" ")))
}

/// The same split where phrases are whole tokens.
fn split_quoted(text: &str) -> Option<(String, String)> {
    let mut filters = Vec::new();
    let mut terms = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut flush = |t: &mut String| {
        if !t.is_empty() && t != "AND" {
            if is_filter(t) {
                filters.push(std::mem::take(t));
            } else {
                terms.push(std::mem::take(t));
            }
        }
        t.clear();
    };
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            flush(&mut token);
        } else {
            token.push(c);
        }
    }
    flush(&mut token);
    if text.split_whitespace().any(|w| w == "NOT") {
        return None;
    }
    Some((filters.join(" "), terms.join(" ")))
}

fn is_filter(token: &str) -> bool {
    let t = token.trim_start_matches(['-', '+']);
    t.split_once(':')
        .is_some_and(|(field, _)| KEYWORD_FIELDS.contains(&field))
}

fn hybrid(
    text: &TextIndex,
    sem: &Semantic,
    split: &Split,
    part: &SemanticPart,
    input: &str,
    limit: usize,
) -> Result<Found> {
    let templates = match part {
        SemanticPart::Text(t) => sem.templates_near_text(t, TEMPLATES)?,
        SemanticPart::Like(id) => {
            let template = event_template(text, id)?;
            sem.templates_near_template(&template, TEMPLATES)?
        }
    };
    let (filters, terms) =
        filters_and_terms(&split.text).unwrap_or_else(|| (String::new(), split.text.clone()));
    let depth = limit.max(100);
    // The lexical side: ranked by BM25 (only when there is something to rank by).
    let lexical = if terms.trim().is_empty() {
        None
    } else {
        Some(lexical_query(text, &split.text, split.window, input)?)
    };
    let lexical_hits = match &lexical {
        Some(q) => text.search_query(q.as_ref(), depth, Order::Score)?,
        None => Vec::new(),
    };
    // The semantic side: the newest events of each near template, nearest template first.
    let fields = text.fields();
    let per = (depth / templates.len().max(1)).max(10);
    let mut semantic_hits = Vec::new();
    let mut template_clauses: Vec<Box<dyn Query>> = Vec::new();
    for t in &templates {
        let term = Term::from_field_text(fields.template, &t.id);
        template_clauses.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
    }
    let mut per_template = Vec::new();
    for clause in &template_clauses {
        let q = BooleanQuery::intersection(vec![
            clause.box_clone(),
            lexical_query(text, &filters, split.window, input)?,
        ]);
        per_template.push(text.search_query(&q, per, Order::Newest)?);
    }
    if matches!(part, SemanticPart::Like(_)) {
        // More like this: the event's own template (nearest, at similarity 1) first, so its
        // siblings lead, then the next template's events.
        semantic_hits = per_template.into_iter().flatten().collect();
    } else {
        // Round robin, nearest template first in each round: the top of the list shows every
        // kind of event that is near, not only the nearest template's.
        let mut iters: Vec<_> = per_template.into_iter().map(Vec::into_iter).collect();
        loop {
            let before = semantic_hits.len();
            for it in &mut iters {
                semantic_hits.extend(it.next());
            }
            if semantic_hits.len() == before {
                break;
            }
        }
    }
    let semantic_query = BooleanQuery::intersection(vec![
        Box::new(BooleanQuery::union(template_clauses)) as Box<dyn Query>,
        lexical_query(text, &filters, split.window, input)?,
    ]);
    let count = match lexical {
        Some(lex) => text.count_query(&BooleanQuery::union(vec![
            lex,
            Box::new(semantic_query) as Box<dyn Query>,
        ]))?,
        None => text.count_query(&semantic_query)?,
    };
    Ok(Found {
        hits: fuse(&[lexical_hits, semantic_hits], limit),
        count,
        semantic: Some(SemanticNote {
            embedder: sem.embedder().label(),
            templates,
        }),
    })
}

/// The template of the event with `id` (or an id prefix of 8+ digits).
fn event_template(text: &TextIndex, id: &str) -> Result<String> {
    let fields = text.fields();
    let hits = if id.len() >= 32 {
        let term = Term::from_field_text(fields.id, id);
        text.search_query(
            &TermQuery::new(term, IndexRecordOption::Basic),
            1,
            Order::Newest,
        )?
    } else {
        // A short id as shown in tables: ids are hex, so a range query over the prefix.
        let lower = Term::from_field_text(fields.id, id);
        let upper = Term::from_field_text(fields.id, &format!("{id}g"));
        let q = tantivy::query::RangeQuery::new(
            std::ops::Bound::Included(lower),
            std::ops::Bound::Excluded(upper),
        );
        text.search_query(&q, 2, Order::Newest)?
    };
    match hits.as_slice() {
        [one] => one.template.clone().ok_or_else(|| IndexError::Query {
            token: format!("like:{id}"),
            reason: "that event has no log template (an empty message)".into(),
        }),
        [] => Err(IndexError::Query {
            token: format!("like:{id}"),
            reason: "no event with that id in the index".into(),
        }),
        _ => Err(IndexError::Query {
            token: format!("like:{id}"),
            reason: "more than one event starts with that id: give more digits".into(),
        }),
    }
}

/// Reciprocal rank fusion of ranked lists: each event scores the sum of 1/(k + rank) over the
/// lists it appears in (rank from 1); best first, ties newest first.
pub fn fuse(lists: &[Vec<Hit>], limit: usize) -> Vec<Hit> {
    let mut by_id: HashMap<String, (f32, Hit)> = HashMap::new();
    for list in lists {
        for (rank, hit) in list.iter().enumerate() {
            let s = 1.0 / (RRF_K + rank as f32 + 1.0);
            by_id
                .entry(hit.id.clone())
                .and_modify(|(score, _)| *score += s)
                .or_insert_with(|| (s, hit.clone()));
        }
    }
    let mut out: Vec<Hit> = by_id
        .into_values()
        .map(|(score, mut hit)| {
            hit.score = Some(score);
            hit
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.ts.cmp(&a.ts))
            .then(a.id.cmp(&b.id))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: &str, s: i64) -> Hit {
        Hit {
            id: id.into(),
            ts: Timestamp::from_second(s).unwrap(),
            dataset: "sshd".into(),
            host: None,
            user: None,
            src_ip: None,
            message: String::new(),
            template: None,
            score: None,
        }
    }

    #[test]
    fn fusion_puts_events_found_both_ways_first() {
        let lexical = vec![hit("a", 1), hit("b", 2), hit("c", 3)];
        let semantic = vec![hit("d", 4), hit("c", 3), hit("e", 5)];
        let fused = fuse(&[lexical, semantic], 10);
        let ids: Vec<&str> = fused.iter().map(|h| h.id.as_str()).collect();
        // c: 1/63 + 1/62; a and d tie at 1/61 (d is newer); then b at 1/62, e at 1/63.
        assert_eq!(ids, vec!["c", "d", "a", "b", "e"]);
        assert!(fused[0].score.unwrap() > fused[1].score.unwrap());
        assert_eq!(fuse(&[vec![hit("x", 1)]], 0).len(), 0);
    }

    #[test]
    fn filters_narrow_both_sides_and_terms_rank() {
        assert_eq!(
            filters_and_terms("host:web-01 sudo NOT user:root"),
            Some(("host:web-01 -user:root".into(), "sudo".into()))
        );
        assert_eq!(
            filters_and_terms(r#"dataset:sshd "Failed password""#),
            Some(("dataset:sshd".into(), r#""Failed password""#.into()))
        );
        assert_eq!(filters_and_terms("a OR host:x"), None);
        assert_eq!(
            filters_and_terms("message:error"),
            Some((String::new(), "message:error".into()))
        );
    }
}
