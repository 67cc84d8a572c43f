//! The audit log: an append-only record of every change, written in the transaction that makes
//! the change (so there is never a change without its row, nor a row without its change).

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Result, Store, from_ms, ms};

/// One audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    /// `alert.create`, `alert.update`, `case.create`, `case.note`, `events.ingest`, ...
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// Appends one row; call it inside the transaction that makes the change.
pub(crate) fn append(
    conn: &Connection,
    at: Timestamp,
    actor: &str,
    action: &str,
    object: (&str, &str),
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, action, object_type, object_id, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ms(at),
        actor,
        action,
        object.0,
        object.1,
        before.map(|v| v.to_string()),
        after.map(|v| v.to_string()),
    ])?;
    Ok(())
}

impl Store {
    /// The history of one object, oldest first.
    pub fn audit_for(&self, object_type: &str, object_id: &str) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, at, actor, action, object_type, object_id, before, after FROM audit
             WHERE object_type = ?1 AND object_id = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![object_type, object_id], row_to_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest `limit` audit rows, newest first.
    pub fn audit_recent(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, at, actor, action, object_type, object_id, before, after FROM audit
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], row_to_entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(AuditEntry {
        id: r.get(0)?,
        at: from_ms(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        object_type: r.get(4)?,
        object_id: r.get(5)?,
        before: parse(r.get(6)?),
        after: parse(r.get(7)?),
    })
}
