//! Alerts in the store: raising (with folding of repeats into one counting alert), paged and
//! filtered listing for the queue, and analyst changes with version checks and audit rows.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde_json::json;

use super::suppress::ActiveSuppressions;
use super::{AlertFilter, Result, Store, StoreError, audit, from_json, from_ms, ms, to_json};
use crate::domain::{Alert, AlertSource, AlertStatus, Entities, RuleRef, Severity, Verdict};

pub(super) const COLUMNS: &str = "id, rule_id, rule_name, rule_source, severity, status, verdict, verdict_reason, \
    assignee, score, group_key, count, first_seen, last_seen, case_id, summary, entities, techniques, \
    ai, created_at, updated_at, version";

/// What happened to an incoming alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raised {
    /// A new alert row.
    New,
    /// Folded into an existing alert with the same group key.
    Folded,
    /// Already stored (a redelivered or re-ingested record).
    Known,
}

/// Stores an incoming alert: known events are skipped, repeats inside the dedup window fold into
/// the open alert with the same group key (keeping its status), anything else is a new alert,
/// inserted as `suppressed` when an active suppression matches it.
pub(crate) fn raise(
    conn: &Connection,
    alert: &Alert,
    actor: &str,
    window: SignedDuration,
    suppressions: &ActiveSuppressions,
) -> Result<Raised> {
    let known: Option<String> = conn
        .prepare_cached(
            "SELECT ae.alert_id FROM alert_events ae JOIN alerts a ON a.id = ae.alert_id
             WHERE ae.event_id = ?1 AND a.rule_source = ?2 AND a.rule_id = ?3 LIMIT 1",
        )?
        .query_row(
            params![
                alert.event_ids.first().map(String::as_str).unwrap_or(""),
                alert.rule.source.to_string(),
                alert.rule.id
            ],
            |r| r.get(0),
        )
        .optional()?;
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS(SELECT 1 FROM alerts WHERE id = ?1)")?
        .query_row([&alert.id], |r| r.get(0))?;
    if known.is_some() || exists {
        return Ok(Raised::Known);
    }
    if !window.is_zero() {
        let lo = ms(alert.first_seen) - window.as_millis() as i64;
        let hi = ms(alert.last_seen) + window.as_millis() as i64;
        let open: Option<(String, String, String)> = conn
            .prepare_cached(
                "SELECT id, entities, techniques FROM alerts
                 WHERE group_key = ?1 AND status <> 'closed' AND last_seen >= ?2 AND first_seen <= ?3
                 ORDER BY last_seen DESC LIMIT 1",
            )?
            .query_row(params![alert.group_key, lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((id, entities, techniques)) = open {
            let mut entities: Entities = from_json("alert entities", &entities)?;
            for (kind, value) in alert.entities.pairs() {
                add_entity(&mut entities, kind, value);
            }
            let mut techniques: Vec<String> = from_json("alert techniques", &techniques)?;
            for t in &alert.techniques {
                if !techniques.contains(t) {
                    techniques.push(t.clone());
                }
            }
            let mut linked = 0;
            for ev in &alert.event_ids {
                linked += conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO alert_events (alert_id, event_id) VALUES (?1, ?2)",
                    )?
                    .execute(params![id, ev])?;
            }
            conn.prepare_cached(
                "UPDATE alerts SET count = count + ?2, first_seen = MIN(first_seen, ?3),
                 last_seen = MAX(last_seen, ?4), severity = MAX(severity, ?5), entities = ?6,
                 techniques = ?7, updated_at = ?8 WHERE id = ?1",
            )?
            .execute(params![
                id,
                linked.max(1) as i64,
                ms(alert.first_seen),
                ms(alert.last_seen),
                alert.severity.rank(),
                to_json("alert entities", &entities)?,
                to_json("alert techniques", &techniques)?,
                ms(alert.updated_at),
            ])?;
            index_alert(conn, &id, &entities, &techniques)?;
            audit::append(
                conn,
                alert.updated_at,
                actor,
                "alert.fold",
                ("alert", &id),
                None,
                Some(&json!({"event_ids": alert.event_ids, "from_rule": alert.rule.id})),
            )?;
            return Ok(Raised::Folded);
        }
    }
    let suppressed_by = match alert.status {
        AlertStatus::New | AlertStatus::Acknowledged | AlertStatus::InProgress => {
            suppressions.matching(conn, alert)?
        }
        _ => None,
    };
    let status = if suppressed_by.is_some() {
        AlertStatus::Suppressed
    } else {
        alert.status
    };
    insert(conn, alert, status)?;
    let mut after =
        json!({"rule": alert.rule.id, "severity": alert.severity, "events": alert.event_ids.len()});
    if let Some(id) = suppressed_by {
        after["status"] = json!(status);
        after["suppression"] = json!(id);
    }
    audit::append(
        conn,
        alert.created_at,
        actor,
        "alert.create",
        ("alert", &alert.id),
        None,
        Some(&after),
    )?;
    Ok(Raised::New)
}

fn add_entity(e: &mut Entities, kind: &str, value: &str) {
    match kind {
        "host" => e.add_host(value),
        "user" => e.add_user(value),
        "ip" => e.add_ip(value),
        "process" => e.add_process(value),
        "hash" => e.add_hash(value),
        _ => e.add_domain(value),
    }
}

fn insert(conn: &Connection, a: &Alert, status: AlertStatus) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO alerts (id, rule_id, rule_name, rule_source, severity, status, verdict, verdict_reason,
           assignee, score, group_key, count, first_seen, last_seen, case_id, summary, host, user, src_ip,
           entities, techniques, ai, created_at, updated_at, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
           ?20, ?21, ?22, ?23, ?24, ?25)",
    )?
    .execute(params![
        a.id,
        a.rule.id,
        a.rule.name,
        a.rule.source.as_str(),
        a.severity.rank(),
        status.as_str(),
        a.verdict.map(|v| v.as_str()),
        a.verdict_reason,
        a.assignee,
        a.score,
        a.group_key,
        a.count.max(a.event_ids.len() as u64) as i64,
        ms(a.first_seen),
        ms(a.last_seen),
        a.case_id,
        a.summary,
        a.entities.hosts.first(),
        a.entities.users.first(),
        a.entities.ips.first(),
        to_json("alert entities", &a.entities)?,
        to_json("alert techniques", &a.techniques)?,
        a.ai.as_ref().map(|ai| to_json("alert ai", ai)).transpose()?,
        ms(a.created_at),
        ms(a.updated_at),
        a.version,
    ])?;
    for ev in &a.event_ids {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO alert_events (alert_id, event_id) VALUES (?1, ?2)",
        )?
        .execute(params![a.id, ev])?;
    }
    index_alert(conn, &a.id, &a.entities, &a.techniques)
}

fn index_alert(
    conn: &Connection,
    id: &str,
    entities: &Entities,
    techniques: &[String],
) -> Result<()> {
    for (kind, value) in entities.pairs() {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO alert_entities (kind, value, alert_id) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![kind, value, id])?;
    }
    for t in techniques {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO alert_techniques (technique, alert_id) VALUES (?1, ?2)",
        )?
        .execute(params![t, id])?;
    }
    Ok(())
}

/// An analyst's change to one alert. Unset fields are left alone.
#[derive(Debug, Clone, Default)]
pub struct AlertChange {
    pub status: Option<AlertStatus>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    pub verdict: Option<(Verdict, String)>,
    /// Only apply if the alert is still at this version (the console's optimistic check).
    pub expected_version: Option<i64>,
}

pub(super) fn row_to_alert(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(Alert, String, String, Option<String>)> {
    let source: String = r.get(3)?;
    let status: String = r.get(5)?;
    let alert = Alert {
        id: r.get(0)?,
        rule: RuleRef {
            id: r.get(1)?,
            name: r.get(2)?,
            source: source.parse().unwrap_or(AlertSource::Tocsin),
        },
        severity: Severity::from_rank(r.get(4)?),
        status: status.parse().unwrap_or_default(),
        verdict: r.get::<_, Option<String>>(6)?.and_then(|v| v.parse().ok()),
        verdict_reason: r.get(7)?,
        assignee: r.get(8)?,
        score: r.get(9)?,
        group_key: r.get(10)?,
        count: r.get::<_, i64>(11)?.max(0) as u64,
        first_seen: from_ms(r.get(12)?),
        last_seen: from_ms(r.get(13)?),
        case_id: r.get(14)?,
        summary: r.get(15)?,
        entities: Entities::default(),
        techniques: Vec::new(),
        ai: None,
        created_at: from_ms(r.get(19)?),
        updated_at: from_ms(r.get(20)?),
        version: r.get(21)?,
        event_ids: Vec::new(),
    };
    Ok((alert, r.get(16)?, r.get(17)?, r.get(18)?))
}

pub(super) fn finish(
    (mut a, entities, techniques, ai): (Alert, String, String, Option<String>),
) -> Result<Alert> {
    a.entities = from_json("alert entities", &entities)?;
    a.techniques = from_json("alert techniques", &techniques)?;
    a.ai = ai.map(|s| from_json("alert ai", &s)).transpose()?;
    Ok(a)
}

impl Store {
    /// A page of alerts; `event_ids` are filled (at most 1,000 per alert; `count` has the total).
    pub fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        self.page(filter, None, true)
    }

    /// How many alerts match (for the queue's scrollbar and `--count`).
    pub fn count_alerts(&self, filter: &AlertFilter) -> Result<i64> {
        let (clause, args) = filter.where_clause();
        let sql = format!("SELECT COUNT(*) FROM alerts {clause}");
        Ok(self
            .conn()
            .query_row(&sql, params_from_iter(args), |r| r.get(0))?)
    }

    /// One alert by id or unique id prefix.
    pub fn alert(&self, id: &str) -> Result<Alert> {
        let mut alert = self.alert_row(id)?;
        alert.event_ids = self
            .conn()
            .prepare_cached("SELECT event_id FROM alert_events WHERE alert_id = ?1")?
            .query_map([&alert.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(alert)
    }

    /// One alert by id or unique id prefix, without its `event_ids`.
    pub(super) fn alert_row(&self, id: &str) -> Result<Alert> {
        let id = self.resolve_prefix("alerts", "alert", id)?;
        let row = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"))?
            .query_row([&id], row_to_alert)
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "alert",
                id: id.clone(),
            })?;
        finish(row)
    }

    /// Alerts in id order after `after` (None: from the first), `limit` at a time, without their
    /// event ids: for walking every alert (re-embedding them).
    pub fn alerts_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM alerts WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(rusqlite::params![after, limit as i64], row_to_alert)?;
        rows.map(|r| finish(r?)).collect()
    }

    /// Applies an analyst's change to an alert, audited; fails with `Conflict` when someone else
    /// changed it since `expected_version`.
    pub fn update_alert(&mut self, id: &str, change: &AlertChange, actor: &str) -> Result<Alert> {
        let before = self.alert(id)?;
        let tx = self.write()?;
        let (version, updated_at): (i64, i64) = tx.query_row(
            "SELECT version, updated_at FROM alerts WHERE id = ?1",
            [&before.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let Some(expected) = change.expected_version.filter(|e| *e != version) {
            let by: Option<String> = tx
                .query_row(
                    "SELECT actor FROM audit WHERE object_type = 'alert' AND object_id = ?1 ORDER BY id DESC LIMIT 1",
                    [&before.id],
                    |r| r.get(0),
                )
                .optional()?;
            return Err(StoreError::Conflict {
                what: "alert",
                id: before.id.clone(),
                expected,
                found: version,
                by: by.unwrap_or_else(|| "someone".into()),
                at: from_ms(updated_at).to_string(),
            });
        }
        let mut after = before.clone();
        if let Some(s) = change.status {
            after.status = s;
        }
        if let Some(a) = &change.assignee {
            after.assignee = a.clone();
        }
        if let Some((v, reason)) = &change.verdict {
            after.verdict = Some(*v);
            after.verdict_reason = Some(reason.clone());
            after.status = AlertStatus::Closed;
        }
        let now = Timestamp::now();
        after.version = version + 1;
        after.updated_at = now;
        tx.execute(
            "UPDATE alerts SET status = ?2, assignee = ?3, verdict = ?4, verdict_reason = ?5,
             version = ?6, updated_at = ?7 WHERE id = ?1",
            params![
                after.id,
                after.status.as_str(),
                after.assignee,
                after.verdict.map(|v| v.as_str()),
                after.verdict_reason,
                after.version,
                ms(now),
            ],
        )?;
        let view = |a: &Alert| json!({"status": a.status, "assignee": a.assignee, "verdict": a.verdict, "verdict_reason": a.verdict_reason});
        audit::append(
            &tx,
            now,
            actor,
            "alert.update",
            ("alert", &after.id),
            Some(&view(&before)),
            Some(&view(&after)),
        )?;
        tx.commit()?;
        Ok(after)
    }
}
