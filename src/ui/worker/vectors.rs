//! The reader worker's vectors: `like:` queue filters resolved into the alerts most like one,
//! and the semantic side of hunts, from the data dir's vector files (opened on first use, as
//! most sessions never ask).

use std::path::PathBuf;
use std::sync::Arc;

use crate::embed::Embedder;
use crate::index::semantic::{Semantic, alert_key, key_hex};
use crate::store::{AlertFilter, Store};
use crate::ui::msg::Query;

/// How many neighbours `like:` shows in the queue (besides the alert itself).
pub const LIKE_LIMIT: usize = 50;

/// Where the vectors are and how to embed (per `[embed]`).
#[derive(Debug, Clone, Default)]
pub struct VectorsConfig {
    pub data_dir: PathBuf,
    pub enabled: bool,
    /// `[embed] model_dir`, when set.
    pub model_dir: Option<PathBuf>,
}

/// The vectors as the reader sees them.
pub struct Vectors {
    cfg: VectorsConfig,
    semantic: Option<Semantic>,
}

impl Vectors {
    pub fn new(cfg: VectorsConfig) -> Vectors {
        Vectors {
            cfg,
            semantic: None,
        }
    }

    /// The read side, opened the first time and refreshed on every use (a cheap look at the
    /// files, so an ingest's new vectors show up).
    pub fn get(&mut self) -> Result<&Semantic, String> {
        if !self.cfg.enabled {
            return Err("similarity is off ([embed] enabled = false)".into());
        }
        if self.semantic.is_none() {
            let (embedder, fallback) = Embedder::load(self.cfg.model_dir.as_deref());
            if let Some(why) = fallback {
                tracing::warn!(reason = %why, "no embedding model: lexical hashing embedder");
            }
            let s = Semantic::open(&self.cfg.data_dir, Arc::new(embedder))
                .map_err(|e| e.to_string())?;
            self.semantic = Some(s);
        }
        let Some(s) = self.semantic.as_mut() else {
            return Err("the vectors could not be opened".into());
        };
        s.refresh().map_err(|e| e.to_string())?;
        Ok(s)
    }

    /// Turns a filter's `like:ID` into the ids of that alert and its nearest neighbours.
    pub fn resolve(&mut self, store: &Store, filter: &mut AlertFilter) -> Result<(), String> {
        let Some(like) = filter.like.clone() else {
            return Ok(());
        };
        let alert = store
            .alert(&like)
            .map_err(|e| format!("like:{like}: {e}"))?;
        let sem = self.get()?;
        let near = sem
            .alerts_near(&alert, LIKE_LIMIT, |_| true)
            .map_err(|e| format!("like:{like}: {e}"))?;
        let mut ids = vec![alert_key(&alert.id).map_or(alert.id.clone(), key_hex)];
        ids.extend(near.into_iter().map(|n| n.id));
        filter.ids = Some(ids);
        Ok(())
    }
}

/// The alert filter a query carries, if any.
pub fn filter_of(q: &mut Query) -> Option<&mut AlertFilter> {
    match q {
        Query::Page { filter, .. }
        | Query::Groups { filter, .. }
        | Query::Members { filter }
        | Query::Matrix { filter } => Some(filter),
        _ => None,
    }
}
