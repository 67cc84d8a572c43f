//! The full-text index of events: its schema, the single writer (re-adding an event replaces
//! it), and search through a reader that follows commits from other processes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::query::Query;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, STORED, STRING, Schema, TEXT, Value,
};
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument,
    TantivyError, Term,
};

use super::{IndexError, Result, query};
use crate::domain::Event;

/// Bump when the schema changes: an index with another version must be rebuilt.
pub const SCHEMA_VERSION: u32 = 1;
/// Beside tantivy's files: the schema version that wrote them.
const VERSION_FILE: &str = "tocsin-index.version";
/// How long added events may wait before `commit_if_due` makes them visible.
pub const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// Exact-match fields (whole values, no tokenizing), by their query names.
pub const KEYWORD_FIELDS: [&str; 11] = [
    "dataset",
    "source",
    "host",
    "user",
    "src_ip",
    "dst_ip",
    "process",
    "action",
    "outcome",
    "technique",
    "template",
];

/// The schema's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub ts: Field,
    pub dataset: Field,
    pub source: Field,
    pub host: Field,
    pub user: Field,
    pub src_ip: Field,
    pub dst_ip: Field,
    pub process: Field,
    pub action: Field,
    pub outcome: Field,
    pub technique: Field,
    pub template: Field,
    pub message: Field,
    pub raw: Field,
}

fn schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("id", STRING | STORED | FAST);
    b.add_date_field(
        "ts",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored()
            .set_precision(DateTimePrecision::Milliseconds),
    );
    for name in KEYWORD_FIELDS {
        b.add_text_field(name, STRING | STORED | FAST);
    }
    b.add_text_field("message", TEXT | STORED);
    b.add_text_field("raw", STORED);
    b.build()
}

impl Fields {
    fn of(schema: &Schema) -> std::result::Result<Fields, String> {
        let f = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| format!("no field `{name}`"))
        };
        Ok(Fields {
            id: f("id")?,
            ts: f("ts")?,
            dataset: f("dataset")?,
            source: f("source")?,
            host: f("host")?,
            user: f("user")?,
            src_ip: f("src_ip")?,
            dst_ip: f("dst_ip")?,
            process: f("process")?,
            action: f("action")?,
            outcome: f("outcome")?,
            technique: f("technique")?,
            template: f("template")?,
            message: f("message")?,
            raw: f("raw")?,
        })
    }
}

/// How to order hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Newest event first.
    Newest,
    /// Best BM25 match first.
    Score,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub ts: Timestamp,
    pub dataset: String,
    pub host: Option<String>,
    pub user: Option<String>,
    pub src_ip: Option<String>,
    pub message: String,
    /// The log template id (events with the same masked message share it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// BM25 score when ordered by score; the fused rank score of a hybrid query.
    pub score: Option<f32>,
}

/// An open index: schema fields and a reader that reloads shortly after any commit.
pub struct TextIndex {
    dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
}

impl fmt::Debug for TextIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextIndex").field("dir", &self.dir).finish()
    }
}

fn io(dir: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        dir: dir.to_path_buf(),
        source,
    }
}

impl TextIndex {
    /// Opens the index in `dir`, creating it when there is none. An index written with
    /// another schema version is an error that names `tocsin index rebuild`.
    pub fn open(dir: &Path) -> Result<TextIndex> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let version_file = dir.join(VERSION_FILE);
        let index = if dir.join("meta.json").exists() {
            check_version(dir)?;
            Index::open_in_dir(dir)?
        } else {
            // The version file first, so an index on disk always has one.
            std::fs::write(&version_file, format!("{SCHEMA_VERSION}\n")).map_err(io(dir))?;
            match Index::create_in_dir(dir, schema()) {
                Ok(index) => index,
                // Another process created it at the same moment.
                Err(TantivyError::IndexAlreadyExists) => Index::open_in_dir(dir)?,
                Err(e) => return Err(e.into()),
            }
        };
        let fields = Fields::of(&index.schema()).map_err(|found| IndexError::Version {
            dir: dir.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(TextIndex {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
        })
    }

    /// Deletes the index in `dir` (whatever its version) and creates an empty one.
    pub fn recreate(dir: &Path) -> Result<TextIndex> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io(dir))?;
        }
        TextIndex::open(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    /// The only writer of this data dir, with `heap_bytes` of indexing memory (split over
    /// threads of at least 15 MB each). Another process holding it is an error, not a wait.
    pub fn writer(&self, heap_bytes: usize) -> Result<TextWriter> {
        let writer = self.index.writer(heap_bytes).map_err(|e| match e {
            TantivyError::LockFailure(LockError::LockBusy, _) => {
                IndexError::Locked(self.dir.clone())
            }
            other => other.into(),
        })?;
        Ok(TextWriter {
            writer,
            fields: self.fields,
            pending: 0,
            last_commit: Instant::now(),
        })
    }

    /// Makes the latest commit visible now (the reader otherwise follows within ~1 s).
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// Events in the index (as of the reader's last reload).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// How many events match `input` (see [`query`] for the language).
    pub fn count(&self, input: &str) -> Result<usize> {
        let q = query::parse_query(self, input, Timestamp::now())?;
        Ok(self.reader.searcher().search(&q, &Count)?)
    }

    /// How many events match a built query.
    pub(crate) fn count_query(&self, q: &dyn Query) -> Result<usize> {
        Ok(self.reader.searcher().search(q, &Count)?)
    }

    /// The first `limit` events matching `input`, newest first or best match first.
    pub fn search(&self, input: &str, limit: usize, order: Order) -> Result<Vec<Hit>> {
        let q = query::parse_query(self, input, Timestamp::now())?;
        self.search_query(q.as_ref(), limit, order)
    }

    pub(crate) fn search_query(
        &self,
        q: &dyn Query,
        limit: usize,
        order: Order,
    ) -> Result<Vec<Hit>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit);
        let found: Vec<(Option<f32>, DocAddress)> = match order {
            Order::Newest => searcher
                .search(
                    q,
                    &top.order_by_fast_field::<DateTime>("ts", tantivy::Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| (None, a))
                .collect(),
            Order::Score => searcher
                .search(q, &top.order_by_score())?
                .into_iter()
                .map(|(s, a)| (Some(s), a))
                .collect(),
        };
        found
            .into_iter()
            .map(|(score, addr)| {
                let doc: TantivyDocument = searcher.doc(addr)?;
                Ok(self.hit(&doc, score))
            })
            .collect()
    }

    fn hit(&self, doc: &TantivyDocument, score: Option<f32>) -> Hit {
        let f = &self.fields;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let ts = doc
            .get_first(f.ts)
            .and_then(|v| v.as_datetime())
            .and_then(|d| Timestamp::from_millisecond(d.into_timestamp_millis()).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        Hit {
            id: text(f.id).unwrap_or_default(),
            ts,
            dataset: text(f.dataset).unwrap_or_default(),
            host: text(f.host),
            user: text(f.user),
            src_ip: text(f.src_ip),
            message: text(f.message).unwrap_or_default(),
            template: text(f.template),
            score,
        }
    }
}

fn check_version(dir: &Path) -> Result<()> {
    let found = match std::fs::read_to_string(dir.join(VERSION_FILE)) {
        Ok(s) => s.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "none".to_string(),
        Err(e) => return Err(io(dir)(e)),
    };
    if found == SCHEMA_VERSION.to_string() {
        Ok(())
    } else {
        Err(IndexError::Version {
            dir: dir.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        })
    }
}

/// The index writer: add events, commit in batches. Dropping it without `commit` loses what
/// was added since the last commit (the store still has it: `tocsin index rebuild`).
pub struct TextWriter {
    writer: IndexWriter,
    fields: Fields,
    pending: u64,
    last_commit: Instant,
}

impl fmt::Debug for TextWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextWriter")
            .field("pending", &self.pending)
            .finish()
    }
}

impl TextWriter {
    /// Adds (or replaces: same id) one event; visible to readers after the next commit.
    pub fn add(&mut self, e: &Event) -> Result<()> {
        let f = &self.fields;
        self.writer.delete_term(Term::from_field_text(f.id, &e.id));
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, &e.id);
        doc.add_date(
            f.ts,
            DateTime::from_timestamp_millis(e.timestamp.as_millisecond()),
        );
        doc.add_text(f.dataset, &e.dataset);
        doc.add_text(f.source, &e.source);
        let mut opt = |field: Field, v: Option<String>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                doc.add_text(field, v);
            }
        };
        opt(f.host, e.host.clone());
        opt(f.user, e.user.clone());
        opt(f.src_ip, e.src_ip.map(|i| i.to_string()));
        opt(f.dst_ip, e.dst_ip.map(|i| i.to_string()));
        opt(f.process, e.process.clone());
        opt(f.action, e.action.clone());
        opt(f.outcome, e.outcome.map(|o| o.as_str().to_string()));
        opt(f.template, e.template_id.clone());
        for t in &e.techniques {
            doc.add_text(f.technique, t);
        }
        doc.add_text(f.message, &e.message);
        doc.add_text(f.raw, &e.raw);
        self.writer.add_document(doc)?;
        self.pending += 1;
        Ok(())
    }

    /// Adds every event of a batch.
    pub fn add_all(&mut self, events: &[Event]) -> Result<()> {
        events.iter().try_for_each(|e| self.add(e))
    }

    /// Events added since the last commit.
    pub fn pending(&self) -> u64 {
        self.pending
    }

    /// Makes everything added so far durable and visible to readers.
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        self.pending = 0;
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Commits when events are pending and the last commit is [`COMMIT_EVERY`] old; true
    /// when it did.
    pub fn commit_if_due(&mut self) -> Result<bool> {
        if self.pending > 0 && self.last_commit.elapsed() >= COMMIT_EVERY {
            self.commit()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Removes every event (for a rebuild); takes effect at the next commit.
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        self.pending += 1;
        Ok(())
    }

    /// Commits and waits for background merges, releasing the lock.
    pub fn finish(mut self) -> Result<()> {
        self.commit()?;
        Ok(self.writer.wait_merging_threads()?)
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
