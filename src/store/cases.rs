//! Cases in the store: creation with per-year ids, the activity timeline, notes, status changes,
//! linking alerts (their entities become the case's observables), all audited.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;

use super::{Result, Store, StoreError, audit, from_json, from_ms, ms, to_json};
use crate::domain::{
    Activity, ActivityKind, AlertStatus, Case, CaseStatus, Observable, ObservableKind, Priority,
    Severity,
};

/// What `create_case` needs.
#[derive(Debug, Clone, Default)]
pub struct NewCase {
    pub title: String,
    pub description: String,
    pub priority: Priority,
    /// `None`: the highest severity of the linked alerts (info when none).
    pub severity: Option<Severity>,
    pub assignee: Option<String>,
    pub tags: Vec<String>,
    pub alert_ids: Vec<String>,
}

/// Which cases to list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub statuses: Vec<CaseStatus>,
    pub assignee: Option<String>,
    pub text: Option<String>,
    pub limit: usize,
}

/// A case to change, optionally only if it is still at a version (the console's optimistic
/// check). A plain id (`&str`, `&String`) converts into one without a version check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRef<'a> {
    /// Case id or unique id prefix.
    pub id: &'a str,
    /// Fail with `StoreError::Conflict` unless the case is at this version.
    pub expected_version: Option<i64>,
}

impl<'a> CaseRef<'a> {
    /// The case `id`, changed only if still at `version`.
    pub fn at_version(id: &'a str, version: i64) -> Self {
        CaseRef {
            id,
            expected_version: Some(version),
        }
    }
}

impl<'a, S: AsRef<str> + ?Sized> From<&'a S> for CaseRef<'a> {
    fn from(id: &'a S) -> Self {
        CaseRef {
            id: id.as_ref(),
            expected_version: None,
        }
    }
}

/// A case with its timeline.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub activities: Vec<Activity>,
}

const COLUMNS: &str = "id, title, description, status, priority, severity, assignee, tags, techniques, \
    created_by, created_at, updated_at, closed_at, version, group_key";

fn row_to_case(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Case, String, String)> {
    let status: String = r.get(3)?;
    Ok((
        Case {
            id: r.get(0)?,
            title: r.get(1)?,
            description: r.get(2)?,
            status: status.parse().unwrap_or_default(),
            priority: Priority::from_number(r.get(4)?),
            severity: Severity::from_rank(r.get(5)?),
            assignee: r.get(6)?,
            tags: Vec::new(),
            techniques: Vec::new(),
            alert_ids: Vec::new(),
            observables: Vec::new(),
            created_by: r.get(9)?,
            created_at: from_ms(r.get(10)?),
            updated_at: from_ms(r.get(11)?),
            closed_at: r.get::<_, Option<i64>>(12)?.map(from_ms),
            group_key: r.get(14)?,
            version: r.get(13)?,
        },
        r.get(7)?,
        r.get(8)?,
    ))
}

pub(super) fn activity(
    conn: &Connection,
    case_id: &str,
    at: Timestamp,
    actor: &str,
    kind: ActivityKind,
    body: &str,
    details: serde_json::Value,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO activities (case_id, at, actor, kind, body, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        case_id,
        ms(at),
        actor,
        kind.as_str(),
        body,
        (!details.is_null()).then(|| details.to_string())
    ])?;
    Ok(())
}

pub(super) fn touch(tx: &Transaction<'_>, case_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "UPDATE cases SET updated_at = ?2, version = version + 1 WHERE id = ?1",
        params![case_id, ms(now)],
    )?;
    Ok(())
}

/// Fails with `Conflict` when `expected` is set and the case is at another version.
pub(super) fn check_version(
    tx: &Transaction<'_>,
    case_id: &str,
    expected: Option<i64>,
) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let (version, updated_at): (i64, i64) = tx.query_row(
        "SELECT version, updated_at FROM cases WHERE id = ?1",
        [case_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if version == expected {
        return Ok(());
    }
    let by: Option<String> = tx
        .query_row(
            "SELECT actor FROM audit WHERE object_type = 'case' AND object_id = ?1 ORDER BY id DESC LIMIT 1",
            [case_id],
            |r| r.get(0),
        )
        .optional()?;
    Err(StoreError::Conflict {
        what: "case",
        id: case_id.to_string(),
        expected,
        found: version,
        by: by.unwrap_or_else(|| "someone".into()),
        at: from_ms(updated_at).to_string(),
    })
}

/// Links alerts to a case inside `tx`: sets their case and status, adds their entities as
/// observables and their techniques to the case, writes timeline and audit rows; returns how
/// many were not in the case already. An alert linked to another case leaves it, with an
/// `alert_removed` entry on that case's timeline.
pub(super) fn link(
    tx: &Transaction<'_>,
    case_id: &str,
    alert_ids: &[String],
    actor: &str,
    now: Timestamp,
) -> Result<usize> {
    let mut linked = 0;
    for alert_id in alert_ids {
        let row: Option<(Option<String>, String, String, String)> = tx
            .query_row(
                "SELECT case_id, status, entities, techniques FROM alerts WHERE id = ?1",
                [alert_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((old_case, old_status, entities, techniques)) = row else {
            return Err(StoreError::NotFound {
                what: "alert",
                id: alert_id.clone(),
            });
        };
        if old_case.as_deref() == Some(case_id) {
            continue;
        }
        let status = if old_status == AlertStatus::Closed.as_str() {
            old_status.clone()
        } else {
            "escalated".into()
        };
        tx.execute(
            "UPDATE alerts SET case_id = ?2, status = ?3, version = version + 1, updated_at = ?4 WHERE id = ?1",
            params![alert_id, case_id, status, ms(now)],
        )?;
        if let Some(old) = old_case.as_deref() {
            activity(
                tx,
                old,
                now,
                actor,
                ActivityKind::AlertRemoved,
                &format!("alert {alert_id} moved to {case_id}"),
                json!({"alert_id": alert_id, "to": case_id}),
            )?;
            touch(tx, old, now)?;
        }
        audit::append(
            tx,
            now,
            actor,
            "alert.update",
            ("alert", alert_id),
            Some(&json!({"case_id": old_case, "status": old_status})),
            Some(&json!({"case_id": case_id, "status": status})),
        )?;
        activity(
            tx,
            case_id,
            now,
            actor,
            ActivityKind::AlertAdded,
            &format!("alert {alert_id} added"),
            json!({"alert_id": alert_id}),
        )?;
        let entities: crate::domain::Entities = from_json("alert entities", &entities)?;
        for (kind, value) in entities.pairs() {
            if let Some(kind) = ObservableKind::from_entity_kind(kind) {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO observables (case_id, kind, value, added_at, added_by)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    case_id,
                    kind.as_str(),
                    value,
                    ms(now),
                    actor
                ])?;
            }
        }
        let new_techniques: Vec<String> = from_json("alert techniques", &techniques)?;
        let current: String = tx.query_row(
            "SELECT techniques FROM cases WHERE id = ?1",
            [case_id],
            |r| r.get(0),
        )?;
        let mut all: Vec<String> = from_json("case techniques", &current)?;
        for t in new_techniques {
            if !all.contains(&t) {
                all.push(t);
            }
        }
        tx.execute(
            "UPDATE cases SET techniques = ?2 WHERE id = ?1",
            params![case_id, to_json("case techniques", &all)?],
        )?;
        linked += 1;
    }
    Ok(linked)
}

/// Inserts a case inside `tx` and links `alert_ids` (resolved) to it; returns its id.
pub(super) fn insert_case(
    tx: &Transaction<'_>,
    new: &NewCase,
    alert_ids: &[String],
    group_key: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<String> {
    let year = now.to_zoned(jiff::tz::TimeZone::UTC).year() as i64;
    let last: i64 = tx.query_row(
        "INSERT INTO case_counters (year, last) VALUES (?1, 1)
         ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last",
        [year],
        |r| r.get(0),
    )?;
    let id = format!("CASE-{year}-{last:04}");
    let severity = match new.severity {
        Some(s) => s,
        None => {
            let mut max = Severity::Info;
            for a in alert_ids {
                let s: i64 =
                    tx.query_row("SELECT severity FROM alerts WHERE id = ?1", [a], |r| {
                        r.get(0)
                    })?;
                max = max.max(Severity::from_rank(s));
            }
            max
        }
    };
    tx.execute(
        "INSERT INTO cases (id, title, description, status, priority, severity, assignee, tags, techniques,
           created_by, created_at, updated_at, version, group_key)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, '[]', ?8, ?9, ?9, 1, ?10)",
        params![
            id,
            new.title.trim(),
            new.description,
            new.priority.number(),
            severity.rank(),
            new.assignee,
            to_json("case tags", &new.tags)?,
            actor,
            ms(now),
            group_key,
        ],
    )?;
    activity(
        tx,
        &id,
        now,
        actor,
        ActivityKind::Created,
        new.title.trim(),
        serde_json::Value::Null,
    )?;
    let mut after = json!({"title": new.title.trim(), "priority": new.priority, "severity": severity, "alerts": alert_ids});
    if let Some(key) = group_key {
        after["group_key"] = json!(key);
    }
    audit::append(
        tx,
        now,
        actor,
        "case.create",
        ("case", &id),
        None,
        Some(&after),
    )?;
    link(tx, &id, alert_ids, actor, now)?;
    Ok(id)
}

impl Store {
    pub(super) fn resolve_case(&self, id: &str) -> Result<String> {
        self.resolve_prefix("cases", "case", &id.trim().to_ascii_uppercase())
    }

    pub(super) fn resolve_alerts(&self, ids: &[String]) -> Result<Vec<String>> {
        ids.iter()
            .map(|a| self.resolve_prefix("alerts", "alert", a))
            .collect()
    }

    /// Creates a case (id `CASE-YYYY-NNNN`), linking the given alerts.
    pub fn create_case(&mut self, new: &NewCase, actor: &str) -> Result<Case> {
        if new.title.trim().is_empty() {
            return Err(StoreError::Invalid("a case needs a title".into()));
        }
        let alert_ids = self.resolve_alerts(&new.alert_ids)?;
        let now = Timestamp::now();
        let tx = self.write()?;
        let id = insert_case(&tx, new, &alert_ids, None, actor, now)?;
        tx.commit()?;
        self.case(&id).map(|d| d.case)
    }

    /// A case with its alerts, observables and timeline.
    pub fn case(&self, id: &str) -> Result<CaseDetail> {
        let id = self.resolve_case(id)?;
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM cases WHERE id = ?1"))?
            .query_row([&id], row_to_case)
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "case",
                id: id.clone(),
            })?;
        let (mut case, tags, techniques) = row;
        case.tags = from_json("case tags", &tags)?;
        case.techniques = from_json("case techniques", &techniques)?;
        case.alert_ids = conn
            .prepare_cached("SELECT id FROM alerts WHERE case_id = ?1 ORDER BY first_seen")?
            .query_map([&id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        case.observables = conn
            .prepare_cached(
                "SELECT kind, value, note FROM observables WHERE case_id = ?1 ORDER BY kind, value",
            )?
            .query_map([&id], |r| {
                let kind: String = r.get(0)?;
                Ok((kind, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })?
            .filter_map(|r| match r {
                Ok((kind, value, note)) => kind
                    .parse()
                    .ok()
                    .map(|kind| Ok(Observable { kind, value, note })),
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<_>>()?;
        let activities = conn
            .prepare_cached("SELECT id, case_id, at, actor, kind, body, details FROM activities WHERE case_id = ?1 ORDER BY at, id")?
            .query_map([&id], |r| {
                let kind: String = r.get(4)?;
                let details: Option<String> = r.get(6)?;
                Ok(Activity {
                    id: r.get(0)?,
                    case_id: r.get(1)?,
                    at: from_ms(r.get(2)?),
                    actor: r.get(3)?,
                    kind: kind.parse().unwrap_or(ActivityKind::Note),
                    body: r.get(5)?,
                    details: details.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(CaseDetail { case, activities })
    }

    /// Cases, most recently updated first.
    pub fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM cases
             WHERE (?1 = '' OR instr(?1, ',' || status || ',') > 0)
               AND (?2 IS NULL OR assignee = ?2)
               AND (?3 IS NULL OR instr(lower(title || ' ' || description), lower(?3)) > 0)
             ORDER BY updated_at DESC, id DESC LIMIT ?4"
        ))?;
        let status_list = if statuses.is_empty() {
            String::new()
        } else {
            format!(",{},", statuses.join(","))
        };
        let rows = stmt.query_map(
            params![
                status_list,
                filter.assignee,
                filter.text,
                filter.limit.max(1) as i64
            ],
            row_to_case,
        )?;
        let mut out = Vec::new();
        let mut alerts = self
            .conn()
            .prepare_cached("SELECT id FROM alerts WHERE case_id = ?1 ORDER BY first_seen")?;
        for row in rows {
            let (mut case, tags, techniques) = row?;
            case.tags = from_json("case tags", &tags)?;
            case.techniques = from_json("case techniques", &techniques)?;
            case.alert_ids = alerts
                .query_map([&case.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            out.push(case);
        }
        Ok(out)
    }

    /// Adds a note to a case's timeline.
    pub fn add_note<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        text: &str,
        actor: &str,
    ) -> Result<Activity> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an empty note adds nothing".into()));
        }
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        activity(
            &tx,
            &id,
            now,
            actor,
            ActivityKind::Note,
            text,
            serde_json::Value::Null,
        )?;
        let note_id = tx.last_insert_rowid();
        touch(&tx, &id, now)?;
        audit::append(
            &tx,
            now,
            actor,
            "case.note",
            ("case", &id),
            None,
            Some(&json!({"activity": note_id, "text": text})),
        )?;
        tx.commit()?;
        let detail = self.case(&id)?;
        detail
            .activities
            .into_iter()
            .find(|a| a.id == note_id)
            .ok_or(StoreError::NotFound {
                what: "note",
                id: note_id.to_string(),
            })
    }

    /// Changes a case's status; closing or resolving records the reason and the time.
    pub fn set_case_status<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        status: CaseStatus,
        reason: &str,
        actor: &str,
    ) -> Result<Case> {
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        let old: String = tx.query_row("SELECT status FROM cases WHERE id = ?1", [&id], |r| {
            r.get(0)
        })?;
        let closed = matches!(status, CaseStatus::Closed | CaseStatus::Resolved);
        tx.execute(
            "UPDATE cases SET status = ?2, closed_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), closed.then(|| ms(now))],
        )?;
        touch(&tx, &id, now)?;
        let body = if reason.trim().is_empty() {
            format!("status {old} -> {status}")
        } else {
            format!("status {old} -> {status}: {}", reason.trim())
        };
        activity(
            &tx,
            &id,
            now,
            actor,
            ActivityKind::StatusChange,
            &body,
            json!({"from": old, "to": status, "reason": reason}),
        )?;
        audit::append(
            &tx,
            now,
            actor,
            "case.status",
            ("case", &id),
            Some(&json!({"status": old})),
            Some(&json!({"status": status, "reason": reason})),
        )?;
        tx.commit()?;
        self.case(&id).map(|d| d.case)
    }

    /// Adds alerts to an existing case.
    pub fn add_alerts_to_case<'a>(
        &mut self,
        case: impl Into<CaseRef<'a>>,
        alert_ids: &[String],
        actor: &str,
    ) -> Result<Case> {
        let case = case.into();
        let id = self.resolve_case(case.id)?;
        let alert_ids = self.resolve_alerts(alert_ids)?;
        let now = Timestamp::now();
        let tx = self.write()?;
        check_version(&tx, &id, case.expected_version)?;
        link(&tx, &id, &alert_ids, actor, now)?;
        touch(&tx, &id, now)?;
        tx.commit()?;
        self.case(&id).map(|d| d.case)
    }
}
