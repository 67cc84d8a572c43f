//! The store: one SQLite database per data dir, in WAL mode, shared by every tocsin process on
//! the host (the daemon, each analyst's console, scripts).
//!
//! Writes run in `BEGIN IMMEDIATE` transactions with a busy timeout, so concurrent writers queue
//! instead of failing; every change writes its audit row in the same transaction.

mod alerts;
mod audit;
mod case_edit;
mod cases;
mod escalate;
mod events;
mod filter;
mod ingest;
mod queue;
mod rejects;
mod schema;
mod suppress;
mod techniques;
mod templates;
#[cfg(test)]
pub(crate) mod testkit;

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use serde::Serialize;

pub use alerts::AlertChange;
pub use audit::AuditEntry;
pub use cases::{CaseDetail, CaseFilter, CaseRef, NewCase};
pub use escalate::{Escalation, GroupRule, case_group_key};
pub use filter::{AlertFilter, AlertGroupBy, AlertSort};
pub use ingest::{Batch, BatchOutcome, RejectedInput};
pub use queue::AlertGroup;
pub use rejects::Rejected;
pub use suppress::{NewSuppression, Suppression};
pub use techniques::TechniqueCount;
pub use templates::TemplateCount;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored JSON in {what}: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "the database schema is version {found}, newer than this tocsin knows ({known}): upgrade tocsin"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("no {what} matches `{id}`")]
    NotFound { what: &'static str, id: String },
    #[error("`{id}` is ambiguous: it starts {count} {what} ids; give more characters")]
    Ambiguous {
        what: &'static str,
        id: String,
        count: usize,
    },
    #[error(
        "{what} {id} was changed by {by} at {at} (version {found}, you had {expected}); reload and try again"
    )]
    Conflict {
        what: &'static str,
        id: String,
        expected: i64,
        found: i64,
        by: String,
        at: String,
    },
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database. Cheap to open; one per thread.
pub struct Store {
    conn: Connection,
}

/// Counts for `tocsin stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub events: i64,
    pub alerts: i64,
    pub alerts_open: i64,
    pub cases: i64,
    pub cases_open: i64,
    pub rejected: i64,
    pub audit: i64,
    /// Events per dataset, largest first.
    pub datasets: Vec<(String, i64)>,
    /// Alerts per severity name.
    pub alerts_by_severity: Vec<(String, i64)>,
    /// Newest event time (unix ms), for data freshness.
    pub newest_event: Option<Timestamp>,
}

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

pub(crate) fn from_ms(v: i64) -> Timestamp {
    Timestamp::from_millisecond(v).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(crate) fn to_json<T: Serialize>(what: &'static str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|source| StoreError::Json { what, source })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|source| StoreError::Json { what, source })
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(busy_timeout).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        // Event and alert ids are hashes, so index inserts land on random pages: a page cache
        // of 64 MiB (instead of SQLite's 2 MiB) keeps them from being read back from disk.
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(open_err)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory store (tests, benchmarks).
    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<()> {
        let known = schema::MIGRATIONS.len() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > known {
            return Err(StoreError::SchemaTooNew {
                found: current,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tracing::info!(version = i + 1, "applied database migration");
        }
        tx.commit()?;
        Ok(())
    }

    /// Starts a write transaction that takes the write lock at once (waiting up to the busy
    /// timeout), so two processes never deadlock upgrading read locks.
    pub(crate) fn write(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Counts of everything, for `tocsin stats` and the status bar.
    pub fn stats(&self) -> Result<Stats> {
        let one = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        let mut datasets = Vec::new();
        let mut stmt = self
            .conn
            .prepare("SELECT dataset, COUNT(*) FROM events GROUP BY dataset ORDER BY 2 DESC, 1")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            datasets.push(row?);
        }
        let mut by_sev = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT severity, COUNT(*) FROM alerts GROUP BY severity ORDER BY severity DESC",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
            let (sev, n) = row?;
            by_sev.push((crate::domain::Severity::from_rank(sev).to_string(), n));
        }
        let newest: Option<i64> = self
            .conn
            .query_row("SELECT MAX(ts) FROM events", [], |r| r.get(0))?;
        Ok(Stats {
            events: one("SELECT COUNT(*) FROM events")?,
            alerts: one("SELECT COUNT(*) FROM alerts")?,
            alerts_open: one(
                "SELECT COUNT(*) FROM alerts WHERE status NOT IN ('closed', 'suppressed')",
            )?,
            cases: one("SELECT COUNT(*) FROM cases")?,
            cases_open: one(
                "SELECT COUNT(*) FROM cases WHERE status NOT IN ('resolved', 'closed')",
            )?,
            rejected: one("SELECT COUNT(*) FROM rejected")?,
            audit: one("SELECT COUNT(*) FROM audit")?,
            datasets,
            alerts_by_severity: by_sev,
            newest_event: newest.map(from_ms),
        })
    }

    /// Resolves a unique id prefix in `table` (ids are long hashes; people type the first few).
    pub(crate) fn resolve_prefix(
        &self,
        table: &'static str,
        what: &'static str,
        prefix: &str,
    ) -> Result<String> {
        let prefix = prefix.trim();
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(StoreError::NotFound {
                what,
                id: prefix.to_string(),
            });
        }
        let sql = format!(
            "SELECT id FROM {table} WHERE id >= ?1 AND id < ?1 || x'ff' ORDER BY id LIMIT 2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids: Vec<String> = stmt
            .query_map([prefix], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.len() {
            0 => Err(StoreError::NotFound {
                what,
                id: prefix.to_string(),
            }),
            1 => Ok(ids.into_iter().next().unwrap_or_default()),
            _ if ids.iter().any(|i| i == prefix) => Ok(prefix.to_string()),
            _ => {
                let count: i64 = self.conn.query_row(
                    &format!("SELECT COUNT(*) FROM {table} WHERE id >= ?1 AND id < ?1 || x'ff'"),
                    [prefix],
                    |r| r.get(0),
                )?;
                Err(StoreError::Ambiguous {
                    what,
                    id: prefix.to_string(),
                    count: count as usize,
                })
            }
        }
    }
}
