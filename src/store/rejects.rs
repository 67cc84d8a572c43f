//! Rejected input: every record that could not be normalised, with where it came from and why,
//! so nothing is ever dropped in silence and it can be replayed after a fix.

use jiff::Timestamp;
use rusqlite::params;
use serde::Serialize;

use super::{Result, Store, from_ms};

/// One rejected record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub id: String,
    pub at: Timestamp,
    pub source: String,
    /// 1-based line (or record) number in the source, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    pub reason: String,
    pub raw: String,
}

impl Store {
    /// Rejected records, newest first, optionally only those from sources containing `source`.
    pub fn rejects(&self, source: Option<&str>, limit: usize) -> Result<Vec<Rejected>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, at, source, line, format, reason, raw FROM rejected
             WHERE (?1 IS NULL OR instr(source, ?1) > 0)
             ORDER BY at DESC, source, line LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![source, limit as i64], |r| {
            Ok(Rejected {
                id: r.get(0)?,
                at: from_ms(r.get(1)?),
                source: r.get(2)?,
                line: r.get(3)?,
                format: r.get(4)?,
                reason: r.get(5)?,
                raw: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
