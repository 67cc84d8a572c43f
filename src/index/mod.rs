//! Search indexes beside the store: the full-text index of events (tantivy, in
//! `<data_dir>/index/`) and the query language analysts type into `tocsin search`.
//!
//! The store stays the source of truth: the index can always be rebuilt from it
//! (`tocsin index rebuild`), and re-adding an event replaces it (events have stable ids).

pub mod hybrid;
pub mod query;
pub mod semantic;
pub mod text;
pub mod vector;

use std::path::PathBuf;

pub use query::{TimeWindow, parse_query};
pub use text::{Hit, Order, TextIndex, TextWriter};
pub use vector::{Neighbour, VectorIndex, VectorMeta, VectorReader};

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("another tocsin process holds the index writer in {}", .0.display())]
    Locked(PathBuf),
    #[error(
        "the index in {} was written by another version of tocsin (schema {found}, expected \
         {expected}): run `tocsin index rebuild`",
        dir.display()
    )]
    Version {
        dir: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("bad query at `{token}`: {reason}")]
    Query { token: String, reason: String },
    #[error("index I/O in {}: {source}", dir.display())]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("vector index {}: {reason}", path.display())]
    Vector { path: PathBuf, reason: String },
    #[error("{0}")]
    Embed(String),
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}

pub type Result<T> = std::result::Result<T, IndexError>;
