//! `tocsin similar ID`: the alerts most like an alert, or the events most like an event (by
//! the meaning of their log templates), from the data dir's vectors.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use jiff::Timestamp;
use serde::Serialize;

use super::{Env, output};
use crate::domain::{Alert, short_id};
use crate::embed::Embedder;
use crate::index::hybrid::{self, Found};
use crate::index::semantic::Semantic;
use crate::index::{Order, TextIndex};
use crate::store::StoreError;

#[derive(Debug, Args)]
pub struct SimilarArgs {
    /// An alert id or an event id (or a unique prefix of either).
    pub id: String,
    /// At most this many results.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Only alerts last seen (events that happened) in this window: `24h`, `7d`, or a date.
    #[arg(long)]
    pub since: Option<String>,
    /// Only events of this dataset (for an event; default: any).
    #[arg(long)]
    pub dataset: Option<String>,
}

/// The embedder this data dir's vectors are made with, per config; says on stderr (and in the
/// log) when the model is missing and the lexical fallback answers instead.
pub fn embedder(env: &Env) -> Arc<Embedder> {
    let c = &env.loaded.config.embed;
    let configured = (!c.model_dir.as_os_str().is_empty()).then_some(c.model_dir.as_path());
    let (embedder, fallback) = Embedder::load(configured);
    if let Some(why) = fallback {
        tracing::warn!(reason = %why, "no embedding model: using the lexical hashing embedder");
        eprintln!(
            "tocsin: note: {why}; similarity uses the lexical hashing embedder (`tocsin models \
             fetch` gets the real model)"
        );
    }
    Arc::new(embedder)
}

/// The read side of this data dir's vectors.
pub fn semantic(env: &Env) -> anyhow::Result<Semantic> {
    Ok(Semantic::open(&env.loaded.paths.data_dir, embedder(env))?)
}

#[derive(Serialize)]
struct SimilarAlert {
    similarity: f32,
    #[serde(flatten)]
    alert: Alert,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Out {
    Alert {
        of: Box<Alert>,
        embedder: String,
        similar: Vec<SimilarAlert>,
    },
    Event {
        of: String,
        embedder: String,
        #[serde(flatten)]
        found: Found,
    },
}

pub fn run(env: &Env, args: SimilarArgs) -> anyhow::Result<ExitCode> {
    let store = env.open_store()?;
    let sem = semantic(env)?;
    let window_from = args.since.as_deref().map(super::parse_time).transpose()?;
    let out = match store.alert(&args.id) {
        Ok(of) => {
            // Over-fetch: neighbours outside the window, or folded away, are dropped below.
            let want = args.limit.max(1) * 5 + 1;
            let near = sem.alerts_near(&of, want, |_| true)?;
            let mut similar = Vec::new();
            for n in near {
                let Ok(alert) = store.alert(&n.id) else {
                    continue;
                };
                if alert.id == of.id || window_from.is_some_and(|f| alert.last_seen < f) {
                    continue;
                }
                similar.push(SimilarAlert {
                    similarity: n.similarity,
                    alert,
                });
                if similar.len() == args.limit {
                    break;
                }
            }
            Out::Alert {
                of: Box::new(of),
                embedder: sem.embedder().label(),
                similar,
            }
        }
        Err(StoreError::NotFound { .. }) => {
            let event = store.event(&args.id)?;
            let text = TextIndex::open(&super::search::index_dir(env))?;
            let mut query = format!("like:{}", event.id);
            if let Some(f) = window_from {
                query.push_str(&format!(" from:{f}"));
            }
            if let Some(d) = &args.dataset {
                query.push_str(&format!(" dataset:\"{d}\""));
            }
            let mut found = hybrid::search(
                &text,
                Some(&sem),
                &query,
                args.limit + 1,
                Order::Newest,
                Timestamp::now(),
            )?;
            found.hits.retain(|h| h.id != event.id);
            found.hits.truncate(args.limit);
            Out::Event {
                of: event.id,
                embedder: sem.embedder().label(),
                found,
            }
        }
        Err(e) => return Err(e.into()),
    };
    if env.json {
        output::json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &out {
        Out::Alert {
            of,
            embedder,
            similar,
        } => {
            println!(
                "alerts like {} {} ({embedder})",
                short_id(&of.id),
                of.rule.name
            );
            println!("{:<6} {:<10} {:<8} {:<36} HOST", "SIM", "ID", "SEV", "RULE");
            for s in similar {
                let a = &s.alert;
                println!(
                    "{:<6.3} {:<10} {:<8} {:<36} {}",
                    s.similarity,
                    short_id(&a.id),
                    a.severity.to_string(),
                    output::cut(&a.rule.name, 36),
                    a.entities.hosts.first().map_or("-", String::as_str)
                );
            }
        }
        Out::Event {
            of,
            embedder,
            found,
        } => {
            println!("events like {} ({embedder})", short_id(of));
            for h in &found.hits {
                println!(
                    "{:<10} {} {:<10} {}",
                    short_id(&h.id),
                    h.ts.strftime("%Y-%m-%d %H:%M:%S"),
                    output::cut(&h.dataset, 10),
                    output::cut(&h.message, 100)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
