//! `tocsin streams`: the health of the configured Redis streams (length, lag and pending for
//! our group, dead letters), and the Redis helpers the other stream commands share.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use super::{Env, output};
use crate::daemon::{conn, streams};

/// A synchronous connection to the configured Redis, replies within 5 s.
pub(super) fn connect(env: &Env) -> anyhow::Result<redis::Connection> {
    let url = &env.loaded.config.redis.url;
    let client = conn::client(url)?;
    conn::sync(&client, Duration::from_secs(5))
        .with_context(|| format!("connecting to Redis at {}", conn::redact(url)))
}

/// The configured stream patterns, or `only` when given.
pub(super) fn patterns(env: &Env, only: Option<&str>) -> anyhow::Result<Vec<String>> {
    let patterns = match only {
        Some(s) => vec![s.to_string()],
        None => env.loaded.config.redis.streams.clone(),
    };
    anyhow::ensure!(
        !patterns.is_empty(),
        "no streams configured: set redis.streams or pass --stream NAME_OR_PATTERN"
    );
    Ok(patterns)
}

/// Entries waiting in dead-letter streams, for `tocsin stats`: None when no Redis or streams
/// are configured or Redis does not answer within a second.
pub(super) fn dead_count(env: &Env) -> Option<u64> {
    let c = &env.loaded.config.redis;
    if c.url.trim().is_empty() || c.streams.is_empty() {
        return None;
    }
    let client = conn::client(&c.url).ok()?;
    let mut conn = conn::sync(&client, Duration::from_secs(1)).ok()?;
    let health = streams::health(&mut conn, &c.streams).ok()?;
    Some(health.iter().map(|h| h.dead).sum())
}

#[derive(Serialize)]
struct Row<'a> {
    stream: &'a str,
    length: u64,
    group: &'a str,
    consumers: Option<u64>,
    lag: Option<u64>,
    pending: Option<u64>,
    oldest_pending_id: Option<&'a str>,
    last_delivered_id: Option<&'a str>,
    dead: u64,
}

/// `tocsin streams [--json]`.
pub fn run(env: &Env) -> anyhow::Result<ExitCode> {
    let patterns = patterns(env, None)?;
    let mut conn = connect(env)?;
    let health = streams::health(&mut conn, &patterns)?;
    let group = env.loaded.config.redis.group.as_str();
    let rows: Vec<Row> = health
        .iter()
        .map(|h| {
            let g = h.group(group);
            Row {
                stream: &h.stream,
                length: h.length,
                group,
                consumers: g.map(|g| g.consumers),
                lag: g.and_then(|g| g.lag),
                pending: g.map(|g| g.pending),
                oldest_pending_id: g.and_then(|g| g.oldest_pending_id.as_deref()),
                last_delivered_id: g.map(|g| g.last_delivered_id.as_str()),
                dead: h.dead,
            }
        })
        .collect();
    if env.json {
        output::json(&rows)?;
    } else {
        let show = |v: Option<u64>| v.map_or_else(|| "-".into(), |v| v.to_string());
        println!(
            "{:<32} {:>9} {:>9} {:>9} {:>9} {:>6}",
            "STREAM", "LENGTH", "LAG", "PENDING", "CONSUMERS", "DEAD"
        );
        for r in &rows {
            println!(
                "{:<32} {:>9} {:>9} {:>9} {:>9} {:>6}",
                r.stream,
                r.length,
                show(r.lag),
                show(r.pending),
                show(r.consumers),
                r.dead
            );
        }
        println!("(group {group}; {} streams)", rows.len());
    }
    Ok(ExitCode::SUCCESS)
}
