//! What the console's alert queue asks of the store: pages that stay fast a million rows deep,
//! light rows without event ids, where one alert sits in the current order, groups, and a
//! cheap "did anyone else change anything" check.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params_from_iter, types::Value as SqlValue};
use serde::Serialize;

use super::alerts::{COLUMNS, finish, row_to_alert};
use super::{AlertFilter, AlertGroupBy, Result, Store, from_ms};
use crate::domain::{Alert, Severity};

/// One group of alerts sharing a rule, host, user or dedup key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertGroup {
    pub by: AlertGroupBy,
    /// The grouped column's value (`None`: the alerts have none); put it in
    /// [`AlertFilter::group`] to list the members.
    pub value: Option<String>,
    /// What to show: the rule name when grouping by rule, else the value (empty for `None`).
    pub label: String,
    pub alerts: i64,
    /// Sum of the alerts' counts (events folded in).
    pub events: i64,
    pub max_severity: Severity,
    pub last_seen: Timestamp,
    /// Alerts neither closed nor suppressed.
    pub open: i64,
}

/// `LIMIT` takes an i64; `usize::MAX` ("everything") must not wrap to -1 by accident.
fn clamp(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// The rows of `filter`'s page. With `total` (the filter's match count) and an offset past
    /// half of it, the page is read from the other end (reverse order, offset from the end)
    /// and turned around: SQLite walks `OFFSET` rows one by one, so this halves the worst case.
    pub(super) fn page(
        &self,
        filter: &AlertFilter,
        total: Option<i64>,
        with_events: bool,
    ) -> Result<Vec<Alert>> {
        let (clause, mut args) = filter.listing_clause();
        let limit = clamp(filter.limit.max(1));
        let offset = clamp(filter.offset);
        let (reversed, limit, offset) = match total {
            Some(total) if offset > total / 2 => {
                if offset >= total {
                    return Ok(Vec::new());
                }
                let end = offset.saturating_add(limit).min(total);
                (true, end - offset, total - end)
            }
            _ => (false, limit, offset),
        };
        args.push(SqlValue::Integer(limit));
        args.push(SqlValue::Integer(offset));
        let n = args.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts {clause} ORDER BY {} LIMIT ?{} OFFSET ?{n}",
            filter.order_by(reversed),
            n - 1
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), row_to_alert)?;
        let mut alerts: Vec<Alert> = rows.map(|r| finish(r?)).collect::<Result<_>>()?;
        if reversed {
            alerts.reverse();
        }
        if with_events {
            let mut ev = self.conn().prepare_cached(
                "SELECT event_id FROM alert_events WHERE alert_id = ?1 LIMIT 1000",
            )?;
            for a in &mut alerts {
                a.event_ids = ev
                    .query_map([&a.id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
            }
        }
        Ok(alerts)
    }

    /// Exactly what [`Store::alerts`] returns for `filter`, read from the far end when the
    /// offset is past half of `total` (the filter's current [`Store::count_alerts`]).
    pub fn alerts_window(&self, filter: &AlertFilter, total: i64) -> Result<Vec<Alert>> {
        self.page(filter, Some(total), true)
    }

    /// The queue's rows: like [`Store::alerts`] (or [`Store::alerts_window`] when `total` is
    /// given) but without `event_ids`, which the queue does not show.
    pub fn alert_rows(&self, filter: &AlertFilter, total: Option<i64>) -> Result<Vec<Alert>> {
        self.page(filter, total, false)
    }

    /// Where alert `id` sits in `filter`'s order (0-based, ignoring limit and offset), or
    /// `None` when it does not match the filter: the count of matching rows sorting before it.
    pub fn alert_position(&self, filter: &AlertFilter, id: &str) -> Result<Option<i64>> {
        let (clause, mut args) = filter.listing_clause();
        let keys = filter.order_keys();
        args.push(SqlValue::Text(id.to_string()));
        let id_param = args.len();
        let sql = format!(
            "SELECT {} FROM alerts {} id = ?{id_param}",
            keys.join(", "),
            if clause.is_empty() {
                "WHERE".to_string()
            } else {
                format!("{clause} AND")
            }
        );
        let anchor: Option<Vec<SqlValue>> = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params_from_iter(args), |r| {
                (0..keys.len()).map(|i| r.get::<_, SqlValue>(i)).collect()
            })
            .optional()?;
        let Some(anchor) = anchor else {
            return Ok(None);
        };
        let (clause, mut args) = filter.listing_clause();
        let first = args.len() + 1;
        args.extend(anchor);
        let before = filter.before(first);
        let sql = if clause.is_empty() {
            format!("SELECT COUNT(*) FROM alerts WHERE {before}")
        } else {
            format!("SELECT COUNT(*) FROM alerts {clause} AND {before}")
        };
        let n: i64 = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params_from_iter(args), |r| r.get(0))?;
        Ok(Some(n))
    }

    /// Groups of the alerts `filter` matches (its sort, limit and offset are not used), most
    /// severe first, then largest, then by value.
    pub fn alert_groups(
        &self,
        filter: &AlertFilter,
        by: AlertGroupBy,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<AlertGroup>> {
        let (clause, mut args) = filter.where_clause();
        let col = by.column();
        let label = match by {
            AlertGroupBy::Rule => "MAX(rule_name)".to_string(),
            _ => format!("coalesce({col}, '')"),
        };
        args.push(SqlValue::Integer(clamp(limit.max(1))));
        args.push(SqlValue::Integer(clamp(offset)));
        let n = args.len();
        let sql = format!(
            "SELECT {col}, {label}, COUNT(*), SUM(count), MAX(severity), MAX(last_seen),
               SUM(status NOT IN ('closed', 'suppressed'))
             FROM alerts {clause} GROUP BY {col}
             ORDER BY MAX(severity) DESC, COUNT(*) DESC, {col}
             LIMIT ?{} OFFSET ?{n}",
            n - 1
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok(AlertGroup {
                by,
                value: r.get(0)?,
                label: r.get(1)?,
                alerts: r.get(2)?,
                events: r.get(3)?,
                max_severity: Severity::from_rank(r.get(4)?),
                last_seen: from_ms(r.get(5)?),
                open: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many groups [`Store::alert_groups`] has for `filter`.
    pub fn count_alert_groups(&self, filter: &AlertFilter, by: AlertGroupBy) -> Result<i64> {
        let (clause, args) = filter.where_clause();
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM alerts {clause} GROUP BY {})",
            by.column()
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params_from_iter(args), |r| r.get(0))?)
    }

    /// A number that changes whenever another connection (another process, or another handle
    /// in this one) commits to the database; this handle's own commits leave it alone.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::AlertStatus;
    use crate::store::testkit::{TestAlert, raise_all};
    use crate::store::{AlertChange, AlertSort};

    /// Alerts with NULLs, ties on every sort key, and ties on last_seen.
    fn varied_store() -> (Store, Vec<String>) {
        let mut store = Store::in_memory().unwrap();
        let hosts = [Some("web-1"), None, Some("db-1"), Some("web-1"), None];
        let users = [None, Some("bob"), Some("alice"), None];
        let mut alerts = Vec::new();
        for i in 0..40u32 {
            let mut a = TestAlert::new(i)
                .rule(&format!("r{}", i % 3))
                .severity(Severity::from_rank((i % 4) as i64))
                .seen_min((i % 7) as i64, (i % 5) as i64 * 3)
                .count(1 + (i % 2) as u64);
            if let Some(h) = hosts[i as usize % hosts.len()] {
                a = a.host(h);
            }
            if let Some(u) = users[i as usize % users.len()] {
                a = a.user(u);
            }
            if i % 3 == 0 {
                a = a.technique("T1110.001");
            } else if i % 3 == 1 {
                a = a.technique("T1059");
            }
            if i % 6 == 0 {
                a = a.source(crate::domain::AlertSource::Wazuh);
            }
            alerts.push(a);
        }
        let ids = raise_all(&mut store, &alerts);
        for (i, id) in ids.iter().enumerate() {
            if i % 4 == 1 {
                let change = AlertChange {
                    assignee: Some(Some(if i % 8 == 1 { "ana" } else { "bo" }.into())),
                    status: Some(if i % 3 == 0 {
                        AlertStatus::InProgress
                    } else {
                        AlertStatus::Acknowledged
                    }),
                    ..Default::default()
                };
                store.update_alert(id, &change, "t").unwrap();
            }
        }
        (store, ids)
    }

    fn all(filter: &AlertFilter) -> AlertFilter {
        AlertFilter {
            limit: usize::MAX,
            offset: 0,
            ..filter.clone()
        }
    }

    #[test]
    fn position_agrees_with_the_listing_for_every_sort_and_direction() {
        let (store, ids) = varied_store();
        let filters = [
            AlertFilter::default(),
            AlertFilter {
                min_severity: Some(Severity::Low),
                ..Default::default()
            },
        ];
        for base in &filters {
            for sort in AlertSort::ALL {
                for ascending in [false, true] {
                    let f = AlertFilter {
                        sort: *sort,
                        ascending,
                        ..base.clone()
                    };
                    let listed: Vec<String> = store
                        .alerts(&all(&f))
                        .unwrap()
                        .into_iter()
                        .map(|a| a.id)
                        .collect();
                    assert_eq!(listed.len() as i64, store.count_alerts(&f).unwrap());
                    for id in &ids {
                        let want = listed.iter().position(|l| l == id).map(|p| p as i64);
                        assert_eq!(
                            store.alert_position(&f, id).unwrap(),
                            want,
                            "{sort} ascending={ascending} {id}"
                        );
                    }
                }
            }
        }
        assert_eq!(
            store
                .alert_position(&AlertFilter::default(), "no-such-alert")
                .unwrap(),
            None
        );
    }

    #[test]
    fn sorts_order_by_what_they_name_with_nulls_lowest() {
        let (store, _) = varied_store();
        let list = |sort, ascending| {
            store
                .alerts(&all(&AlertFilter {
                    sort,
                    ascending,
                    ..Default::default()
                }))
                .unwrap()
        };
        let hosts: Vec<Option<String>> = list(AlertSort::Host, true)
            .into_iter()
            .map(|a| a.entities.hosts.first().cloned())
            .collect();
        let mut sorted = hosts.clone();
        sorted.sort();
        assert_eq!(hosts, sorted);
        assert_eq!(hosts[0], None);
        let sev: Vec<Severity> = list(AlertSort::Severity, false)
            .into_iter()
            .map(|a| a.severity)
            .collect();
        assert!(sev.windows(2).all(|w| w[0] >= w[1]));
        // Ties break by last_seen, newest first.
        let rules = list(AlertSort::Rule, true);
        assert!(rules.windows(2).all(|w| w[0].rule.name < w[1].rule.name
            || (w[0].rule.name == w[1].rule.name && w[0].last_seen >= w[1].last_seen)));
        // Techniques: alerts without any come first ascending, sub-technique after parent.
        let techs: Vec<Vec<String>> = list(AlertSort::Techniques, true)
            .into_iter()
            .map(|a| a.techniques)
            .collect();
        assert!(techs[0].is_empty());
        assert_eq!(techs.last().unwrap(), &vec!["T1110.001".to_string()]);
        let assignees: Vec<Option<String>> = list(AlertSort::Assignee, false)
            .into_iter()
            .map(|a| a.assignee)
            .collect();
        assert_eq!(assignees[0].as_deref(), Some("bo"));
        assert_eq!(assignees.last().unwrap(), &None);
    }

    #[test]
    fn window_reads_match_plain_pages_at_every_depth() {
        let (store, _) = varied_store();
        for sort in [AlertSort::LastSeen, AlertSort::Host, AlertSort::Count] {
            for ascending in [false, true] {
                let base = AlertFilter {
                    sort,
                    ascending,
                    ..Default::default()
                };
                let total = store.count_alerts(&base).unwrap();
                for (offset, limit) in [
                    (0, 7),
                    (19, 3),
                    (21, 5),
                    (30, 7),
                    (35, 10),
                    (39, 1),
                    (40, 5),
                    (55, 5),
                ] {
                    let f = AlertFilter {
                        offset,
                        limit,
                        ..base.clone()
                    };
                    let plain = store.alerts(&f).unwrap();
                    assert_eq!(
                        store.alerts_window(&f, total).unwrap(),
                        plain,
                        "{sort} {offset}"
                    );
                    let light = store.alert_rows(&f, Some(total)).unwrap();
                    let light_plain = store.alert_rows(&f, None).unwrap();
                    assert_eq!(light, light_plain);
                    assert_eq!(
                        light.iter().map(|a| &a.id).collect::<Vec<_>>(),
                        plain.iter().map(|a| &a.id).collect::<Vec<_>>()
                    );
                    assert!(light.iter().all(|a| a.event_ids.is_empty()));
                    assert!(plain.iter().all(|a| !a.event_ids.is_empty()));
                }
            }
        }
    }

    #[test]
    fn groups_count_and_order_and_filter_to_members() {
        let mut store = Store::in_memory().unwrap();
        let ids = raise_all(
            &mut store,
            &[
                TestAlert::new(1)
                    .rule("r1")
                    .host("a")
                    .severity(Severity::Low)
                    .count(3),
                TestAlert::new(2)
                    .rule("r1")
                    .host("b")
                    .severity(Severity::High),
                TestAlert::new(3)
                    .rule("r2")
                    .host("a")
                    .severity(Severity::Low),
                TestAlert::new(4).rule("r2").severity(Severity::Low),
                TestAlert::new(5).rule("r2").severity(Severity::Low),
                TestAlert::new(6)
                    .rule("r3")
                    .host("c")
                    .severity(Severity::Critical),
            ],
        );
        store
            .update_alert(
                &ids[3],
                &AlertChange {
                    status: Some(AlertStatus::Closed),
                    ..Default::default()
                },
                "t",
            )
            .unwrap();
        let f = AlertFilter::default();
        let by_rule = store.alert_groups(&f, AlertGroupBy::Rule, 10, 0).unwrap();
        let summary: Vec<String> = by_rule
            .iter()
            .map(|g| {
                format!(
                    "{:?} {} alerts={} events={} {} open={}",
                    g.value, g.label, g.alerts, g.events, g.max_severity, g.open
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                "Some(\"r3\") Rule r3 alerts=1 events=1 critical open=1",
                "Some(\"r1\") Rule r1 alerts=2 events=4 high open=2",
                "Some(\"r2\") Rule r2 alerts=3 events=3 low open=2",
            ]
        );
        assert_eq!(
            by_rule[1].last_seen,
            store.alert(&ids[1]).unwrap().last_seen
        );
        assert_eq!(store.count_alert_groups(&f, AlertGroupBy::Rule).unwrap(), 3);
        let by_host = store.alert_groups(&f, AlertGroupBy::Host, 10, 0).unwrap();
        let values: Vec<Option<&str>> = by_host.iter().map(|g| g.value.as_deref()).collect();
        // `a` and NULL tie on severity (low) and size (2): by value, NULL first.
        assert_eq!(values, vec![Some("c"), Some("b"), None, Some("a")]);
        assert_eq!(by_host[2].label, "");
        assert_eq!(store.count_alert_groups(&f, AlertGroupBy::Host).unwrap(), 4);
        let page = store.alert_groups(&f, AlertGroupBy::Host, 2, 1).unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[0].value.as_deref(), Some("b"));
        // Members of a group, including the NULL group.
        let members = |value: Option<&str>| {
            let f = AlertFilter {
                group: Some((AlertGroupBy::Host, value.map(String::from))),
                limit: 100,
                ..Default::default()
            };
            let mut ids: Vec<String> = store
                .alert_rows(&f, None)
                .unwrap()
                .into_iter()
                .map(|a| a.id)
                .collect();
            ids.sort();
            assert_eq!(store.count_alerts(&f).unwrap(), ids.len() as i64);
            ids
        };
        assert_eq!(members(None), vec![ids[3].clone(), ids[4].clone()]);
        assert_eq!(members(Some("a")), vec![ids[0].clone(), ids[2].clone()]);
        // The filter applies before grouping.
        let high = AlertFilter {
            min_severity: Some(Severity::High),
            ..Default::default()
        };
        assert_eq!(
            store.count_alert_groups(&high, AlertGroupBy::Rule).unwrap(),
            2
        );
    }

    #[test]
    fn data_version_moves_when_another_connection_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tocsin.db");
        let mut a = Store::open(&path, Duration::from_secs(5)).unwrap();
        let mut b = Store::open(&path, Duration::from_secs(5)).unwrap();
        let v0 = a.data_version().unwrap();
        assert_eq!(a.data_version().unwrap(), v0);
        raise_all(&mut a, &[TestAlert::new(1)]);
        assert_eq!(a.data_version().unwrap(), v0, "own commits do not count");
        let w0 = b.data_version().unwrap();
        raise_all(&mut b, &[TestAlert::new(2)]);
        let v1 = a.data_version().unwrap();
        assert_ne!(v1, v0);
        assert_eq!(b.data_version().unwrap(), w0);
        assert_eq!(a.data_version().unwrap(), v1);
    }
}
