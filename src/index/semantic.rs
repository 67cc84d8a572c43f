//! The vector side of the hunt: the text each log template and alert is embedded from, the u64
//! keys that name them in `<data_dir>/vectors/`, the sink that keeps those files in step with
//! the store while ingesting, and the read side that answers "what is like this".
//!
//! Events are not embedded one by one: each distinct log template is embedded once (so the
//! cost grows with new templates, not with events), and an event's neighbours are the events
//! of the templates nearest to its own. Alerts are embedded from their rule, summary, entities
//! and techniques.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::vector::{Neighbour, VectorIndex, VectorReader};
use super::{IndexError, Result};
use crate::domain::{Alert, Event};
use crate::embed::{DIMS, Embedder};
use crate::normalize::template;

/// The file of template vectors in the vectors folder.
pub const TEMPLATES: &str = "templates.usearch";
/// The file of alert vectors in the vectors folder.
pub const ALERTS: &str = "alerts.usearch";
/// How often an ingest publishes its new vectors (readers see them after that).
pub const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Where the vector files of a data dir live.
pub fn vectors_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("vectors")
}

/// A template id (16 hex digits) as a vector key.
pub fn template_key(template_id: &str) -> Option<u64> {
    (template_id.len() == 16)
        .then(|| u64::from_str_radix(template_id, 16).ok())
        .flatten()
}

/// An alert's key: the first 64 bits of its 128-bit id (lookups take the 16-digit prefix).
pub fn alert_key(alert_id: &str) -> Option<u64> {
    alert_id
        .get(..16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
}

/// A key as the 16 hex digits it was read from (a template id, or an alert id prefix).
pub fn key_hex(key: u64) -> String {
    format!("{key:016x}")
}

/// What a log template is embedded from: its dataset and its masked text, with the masks as
/// `*` (the model reads `<*>` as three stray symbols).
pub fn template_text(dataset: &str, masked: &str) -> String {
    format!("{dataset}: {}", masked.replace("<*>", "*"))
}

/// What an alert is embedded from: the rule, the summary, the entities and the techniques.
pub fn alert_text(a: &Alert) -> String {
    let mut out = a.rule.name.clone();
    if !a.summary.is_empty() && a.summary != a.rule.name {
        out.push_str(". ");
        out.push_str(&a.summary);
    }
    let e = &a.entities;
    for (kind, values) in [
        ("host", &e.hosts),
        ("user", &e.users),
        ("ip", &e.ips),
        ("process", &e.processes),
        ("domain", &e.domains),
    ] {
        for v in values.iter().take(3) {
            out.push_str(&format!(". {kind} {v}"));
        }
    }
    for t in &a.techniques {
        out.push_str(". ");
        out.push_str(t);
        if let Some(name) = crate::attack::Catalogue::get()
            .technique(t)
            .map(|t| t.name.as_str())
        {
            out.push(' ');
            out.push_str(name);
        }
    }
    out
}

fn embed_error(e: crate::embed::EmbedError) -> IndexError {
    IndexError::Embed(e.to_string())
}

/// Keeps the vector files in step with the store while ingesting. One per data dir: whoever
/// holds the text index writer holds this too.
pub struct VectorSink {
    embedder: Arc<Embedder>,
    templates: VectorIndex,
    alerts: VectorIndex,
    unsaved: usize,
    last_save: Instant,
}

impl std::fmt::Debug for VectorSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorSink")
            .field("embedder", &self.embedder.model_id())
            .field("templates", &self.templates.len())
            .field("alerts", &self.alerts.len())
            .finish()
    }
}

impl VectorSink {
    /// Opens (or starts) the vector files of `data_dir` for `embedder`; files made by another
    /// embedder start over.
    pub fn open(data_dir: &Path, embedder: Arc<Embedder>) -> Result<VectorSink> {
        let dir = vectors_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|source| IndexError::Io {
            dir: dir.clone(),
            source,
        })?;
        let id = embedder.model_id();
        Ok(VectorSink {
            templates: VectorIndex::open(&dir.join(TEMPLATES), DIMS, id)?,
            alerts: VectorIndex::open(&dir.join(ALERTS), DIMS, id)?,
            embedder,
            unsaved: 0,
            last_save: Instant::now(),
        })
    }

    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    /// Template and alert vectors held.
    pub fn counts(&self) -> (usize, usize) {
        (self.templates.len(), self.alerts.len())
    }

    /// Embeds the templates of `events` not seen before and the alerts not embedded yet.
    pub fn add(&mut self, events: &[Event], alerts: &[&Alert]) -> Result<()> {
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        let mut texts = Vec::new();
        for e in events {
            let Some(key) = e.template_id.as_deref().and_then(template_key) else {
                continue;
            };
            if self.templates.contains(key) || !seen.insert(key) {
                continue;
            }
            keys.push(key);
            texts.push(template_text(&e.dataset, &template::mask(&e.message)));
        }
        self.add_texts(true, keys, texts)?;
        let mut keys = Vec::new();
        let mut texts = Vec::new();
        for a in alerts {
            let Some(key) = alert_key(&a.id) else {
                continue;
            };
            if self.alerts.contains(key) || !seen.insert(key) {
                continue;
            }
            keys.push(key);
            texts.push(alert_text(a));
        }
        self.add_texts(false, keys, texts)
    }

    /// Embeds templates given by id, dataset and one example message (a rebuild from the store).
    pub fn add_templates(&mut self, templates: &[(String, String, String)]) -> Result<()> {
        let mut keys = Vec::new();
        let mut texts = Vec::new();
        for (id, dataset, message) in templates {
            if let Some(key) = template_key(id)
                && !self.templates.contains(key)
            {
                keys.push(key);
                texts.push(template_text(dataset, &template::mask(message)));
            }
        }
        self.add_texts(true, keys, texts)
    }

    fn add_texts(&mut self, templates: bool, keys: Vec<u64>, texts: Vec<String>) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = self.embedder.embed(&refs).map_err(embed_error)?;
        let items: Vec<(u64, Vec<f32>)> = keys.into_iter().zip(vectors).collect();
        self.unsaved += items.len();
        if templates {
            self.templates.add_batch(&items)
        } else {
            self.alerts.add_batch(&items)
        }
    }

    /// Publishes the new vectors when there are some and the last save is a while ago.
    pub fn save_if_due(&mut self) -> Result<bool> {
        if self.unsaved == 0 || self.last_save.elapsed() < SAVE_EVERY {
            return Ok(false);
        }
        self.save()?;
        Ok(true)
    }

    /// Publishes the vectors now (readers in other processes pick the files up).
    pub fn save(&mut self) -> Result<()> {
        if self.unsaved == 0 {
            return Ok(());
        }
        self.templates.save()?;
        self.alerts.save()?;
        self.unsaved = 0;
        self.last_save = Instant::now();
        Ok(())
    }
}

/// What a data dir's vectors say is near something: the read side, for `tocsin similar`,
/// `~"..."` queries and the console.
pub struct Semantic {
    embedder: Arc<Embedder>,
    dir: PathBuf,
    templates: Option<VectorReader>,
    alerts: Option<VectorReader>,
}

/// A neighbour by the id it stands for (a template id, or an alert id prefix) and cosine
/// similarity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Near {
    pub id: String,
    pub similarity: f32,
}

fn near(n: &[Neighbour]) -> Vec<Near> {
    n.iter()
        .map(|n| Near {
            id: key_hex(n.key),
            similarity: 1.0 - n.distance,
        })
        .collect()
}

impl Semantic {
    pub fn open(data_dir: &Path, embedder: Arc<Embedder>) -> Result<Semantic> {
        let mut s = Semantic {
            embedder,
            dir: vectors_dir(data_dir),
            templates: None,
            alerts: None,
        };
        s.refresh()?;
        Ok(s)
    }

    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    /// Picks up vector files published since the last look.
    pub fn refresh(&mut self) -> Result<()> {
        for (slot, name) in [(&mut self.templates, TEMPLATES), (&mut self.alerts, ALERTS)] {
            match slot {
                Some(reader) => {
                    reader.reload_if_changed()?;
                }
                None => *slot = VectorReader::open(&self.dir.join(name))?,
            }
        }
        Ok(())
    }

    /// Template and alert vectors visible.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.templates.as_ref().map_or(0, VectorReader::len),
            self.alerts.as_ref().map_or(0, VectorReader::len),
        )
    }

    fn reader<'a>(&'a self, r: &'a Option<VectorReader>, what: &str) -> Result<&'a VectorReader> {
        let Some(r) = r.as_ref() else {
            return Err(IndexError::Embed(format!(
                "no {what} vectors in {} yet: ingest some data, or run `tocsin index rebuild`",
                self.dir.display()
            )));
        };
        if r.meta().model_id != self.embedder.model_id() {
            return Err(IndexError::Embed(format!(
                "the {what} vectors in {} were made by {}, but this tocsin embeds with {}: run \
                 `tocsin index rebuild`",
                self.dir.display(),
                r.meta().model_id,
                self.embedder.model_id()
            )));
        }
        Ok(r)
    }

    /// The `k` templates nearest to free text.
    pub fn templates_near_text(&self, text: &str, k: usize) -> Result<Vec<Near>> {
        let r = self.reader(&self.templates, "template")?;
        let v = self.embed_one(text)?;
        Ok(near(&r.search(&v, k)?))
    }

    /// The `k` templates nearest to a template (itself first).
    pub fn templates_near_template(&self, template_id: &str, k: usize) -> Result<Vec<Near>> {
        let r = self.reader(&self.templates, "template")?;
        let v = template_key(template_id)
            .and_then(|key| r.get(key))
            .ok_or_else(|| {
                IndexError::Embed(format!(
                    "template {template_id} has no vector yet: run `tocsin index rebuild`"
                ))
            })?;
        Ok(near(&r.search(&v, k)?))
    }

    /// The `k` alerts nearest to `alert` (not itself) that `keep` accepts, by key.
    pub fn alerts_near(
        &self,
        alert: &Alert,
        k: usize,
        keep: impl Fn(u64) -> bool,
    ) -> Result<Vec<Near>> {
        let r = self.reader(&self.alerts, "alert")?;
        let own = alert_key(&alert.id);
        let v = match own.and_then(|key| r.get(key)) {
            Some(v) => v,
            None => self.embed_one(&alert_text(alert))?,
        };
        let found = r.search_filtered(&v, k, |key| Some(key) != own && keep(key))?;
        Ok(near(&found))
    }

    fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        self.embedder
            .embed(&[text])
            .map_err(embed_error)?
            .pop()
            .ok_or_else(|| IndexError::Embed("the embedder returned no vector".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_to_ids() {
        let t = template::template_id("sshd", "Failed password for <*> from <*> port <*> ssh2");
        let k = template_key(&t).unwrap();
        assert_eq!(key_hex(k), t);
        let a = crate::domain::content_id(b"alert", 0);
        let k = alert_key(&a).unwrap();
        assert!(a.starts_with(&key_hex(k)));
        assert_eq!(template_key("xyz"), None);
        assert_eq!(alert_key("short"), None);
    }

    #[test]
    fn template_text_drops_mask_markers() {
        assert_eq!(
            template_text("sshd", "Failed password for <*> from <*>"),
            "sshd: Failed password for * from *"
        );
    }
}
