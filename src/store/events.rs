//! Events in the store: written once by id (a redelivered event is a no-op), read back whole.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Store, StoreError, from_json, from_ms, ms, to_json};
use crate::domain::{Event, Outcome, Severity};

const COLUMNS: &str = "id, ts, ingested_at, source, dataset, format, host, user, src_ip, src_port, \
    dst_ip, dst_port, process, pid, command_line, action, outcome, severity, message, techniques, \
    template_id, fields, raw";

/// Inserts an event unless one with its id exists; true when it was new.
pub(crate) fn insert(conn: &Connection, e: &Event) -> Result<bool> {
    let techniques = to_json("event techniques", &e.techniques)?;
    let fields = to_json("event fields", &e.fields)?;
    let n = conn
        .prepare_cached(&format!(
            "INSERT INTO events ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
             ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23) ON CONFLICT(id) DO NOTHING"
        ))?
        .execute(params![
            e.id,
            ms(e.timestamp),
            ms(e.ingested_at),
            e.source,
            e.dataset,
            e.format,
            e.host,
            e.user,
            e.src_ip.map(|i| i.to_string()),
            e.src_port,
            e.dst_ip.map(|i| i.to_string()),
            e.dst_port,
            e.process,
            e.pid,
            e.command_line,
            e.action,
            e.outcome.map(|o| o.as_str()),
            e.severity.map(|s| s.rank()),
            e.message,
            techniques,
            e.template_id,
            fields,
            e.raw,
        ])?;
    Ok(n == 1)
}

fn row_to_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Event, String, String)> {
    let ip = |s: Option<String>| s.and_then(|s| s.parse().ok());
    let e = Event {
        id: r.get(0)?,
        timestamp: from_ms(r.get(1)?),
        ingested_at: from_ms(r.get(2)?),
        source: r.get(3)?,
        dataset: r.get(4)?,
        format: r.get(5)?,
        host: r.get(6)?,
        user: r.get(7)?,
        src_ip: ip(r.get(8)?),
        src_port: r.get(9)?,
        dst_ip: ip(r.get(10)?),
        dst_port: r.get(11)?,
        process: r.get(12)?,
        pid: r.get(13)?,
        command_line: r.get(14)?,
        action: r.get(15)?,
        outcome: r
            .get::<_, Option<String>>(16)?
            .and_then(|s| s.parse::<Outcome>().ok()),
        severity: r.get::<_, Option<i64>>(17)?.map(Severity::from_rank),
        message: r.get(18)?,
        techniques: Vec::new(),
        template_id: r.get(20)?,
        fields: serde_json::Map::new(),
        raw: r.get(22)?,
    };
    Ok((e, r.get(19)?, r.get(21)?))
}

fn finish((mut e, techniques, fields): (Event, String, String)) -> Result<Event> {
    e.techniques = from_json("event techniques", &techniques)?;
    e.fields = from_json("event fields", &fields)?;
    Ok(e)
}

impl Store {
    /// One event by id or unique id prefix.
    pub fn event(&self, id: &str) -> Result<Event> {
        let id = self.resolve_prefix("events", "event", id)?;
        let row = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM events WHERE id = ?1"))?
            .query_row([&id], row_to_event)
            .optional()?
            .ok_or(StoreError::NotFound { what: "event", id })?;
        finish(row)
    }

    /// The events behind an alert, oldest first.
    pub fn alert_events(&self, alert_id: &str, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {} FROM events e JOIN alert_events ae ON ae.event_id = e.id
             WHERE ae.alert_id = ?1 ORDER BY e.ts, e.id LIMIT ?2",
            COLUMNS
                .split(", ")
                .map(|c| format!("e.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let rows = stmt.query_map(params![alert_id, limit as i64], row_to_event)?;
        rows.map(|r| finish(r?)).collect()
    }

    /// The newest events, optionally of one dataset.
    pub fn recent_events(&self, dataset: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE (?1 IS NULL OR dataset = ?1) ORDER BY ts DESC, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![dataset, limit as i64], row_to_event)?;
        rows.map(|r| finish(r?)).collect()
    }

    /// Every event in id order, `limit` at a time: the page after id `after` (None: the first).
    pub fn events_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after, limit as i64], row_to_event)?;
        rows.map(|r| finish(r?)).collect()
    }
}
