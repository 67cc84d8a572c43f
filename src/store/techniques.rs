//! Alerts per ATT&CK technique under an alert filter, for the console's ATT&CK matrix.

use jiff::Timestamp;
use rusqlite::params_from_iter;
use serde::Serialize;

use super::{AlertFilter, Result, Store, from_ms};

/// How many of the filtered alerts name one technique (as stored: revoked ids stay as they are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TechniqueCount {
    pub technique: String,
    /// Alerts naming the technique.
    pub alerts: i64,
    /// Sum of those alerts' counts (events folded into them).
    pub events: i64,
    /// The newest `last_seen` among them.
    pub last_seen: Timestamp,
}

impl Store {
    /// Per technique, the alerts matching `filter` that name it, ordered by technique id.
    /// Paging and sort fields of the filter are ignored.
    pub fn technique_counts(&self, filter: &AlertFilter) -> Result<Vec<TechniqueCount>> {
        let (clause, args) = filter.where_clause();
        // The filter's clause names alert columns unqualified: keep it in its own SELECT.
        let sql = format!(
            "SELECT t.technique, COUNT(*), SUM(a.count), MAX(a.last_seen)
             FROM alert_techniques t
             JOIN (SELECT id, count, last_seen FROM alerts {clause}) a ON a.id = t.alert_id
             GROUP BY t.technique
             ORDER BY t.technique"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok(TechniqueCount {
                technique: r.get(0)?,
                alerts: r.get(1)?,
                events: r.get(2)?,
                last_seen: from_ms(r.get(3)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertSource, Severity};
    use crate::store::testkit::{TestAlert, raise_all, t0};

    #[test]
    fn counts_alerts_and_events_per_technique_under_the_filter() {
        let mut store = Store::in_memory().unwrap();
        raise_all(
            &mut store,
            &[
                TestAlert::new(1)
                    .technique("T1110.001")
                    .technique("T1078")
                    .count(5)
                    .seen_min(0, 10),
                TestAlert::new(2)
                    .technique("T1110.001")
                    .count(2)
                    .seen_min(30, 0),
                TestAlert::new(3)
                    .technique("T1071")
                    .severity(Severity::Low)
                    .source(AlertSource::Wazuh),
                TestAlert::new(4),
            ],
        );
        let all = store.technique_counts(&AlertFilter::default()).unwrap();
        let got: Vec<(&str, i64, i64)> = all
            .iter()
            .map(|c| (c.technique.as_str(), c.alerts, c.events))
            .collect();
        assert_eq!(got, [("T1071", 1, 1), ("T1078", 1, 5), ("T1110.001", 2, 7)]);
        let brute = &all[2];
        assert_eq!(brute.last_seen, t0() + jiff::SignedDuration::from_mins(30));

        // The filter applies to the alerts, the technique filter included.
        let high = AlertFilter {
            min_severity: Some(Severity::Medium),
            ..AlertFilter::default()
        };
        let ids: Vec<String> = store
            .technique_counts(&high)
            .unwrap()
            .into_iter()
            .map(|c| c.technique)
            .collect();
        assert_eq!(ids, ["T1078", "T1110.001"]);
        let brute_only = AlertFilter {
            technique: Some("T1110".into()),
            ..AlertFilter::default()
        };
        let counts = store.technique_counts(&brute_only).unwrap();
        assert_eq!(counts.len(), 2, "alert 1 names T1078 too: {counts:?}");
        let none = AlertFilter {
            case_id: Some("CASE-NONE".into()),
            ..AlertFilter::default()
        };
        assert!(store.technique_counts(&none).unwrap().is_empty());
    }
}
