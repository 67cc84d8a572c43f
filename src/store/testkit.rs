//! Test helpers for the store's unit tests: alerts built field by field and raised through the
//! real ingest path.

use jiff::{SignedDuration, Timestamp};

use super::{Batch, Store};
use crate::domain::{Alert, AlertSource, AlertStatus, Entities, RuleRef, Severity};

/// An alert under construction; `new(i)` gives a unique id, event and dedup key.
#[derive(Debug, Clone)]
pub(crate) struct TestAlert(pub(crate) Alert);

pub(crate) fn t0() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap()
}

impl TestAlert {
    pub(crate) fn new(i: u32) -> Self {
        let at = t0() + SignedDuration::from_mins(i as i64);
        TestAlert(Alert {
            id: format!("al{i:06}"),
            rule: RuleRef {
                id: "r0".into(),
                name: "Rule r0".into(),
                source: AlertSource::Tocsin,
            },
            severity: Severity::Medium,
            status: AlertStatus::New,
            verdict: None,
            verdict_reason: None,
            assignee: None,
            event_ids: vec![format!("ev{i:06}")],
            entities: Entities::default(),
            techniques: Vec::new(),
            score: None,
            group_key: format!("k{i}"),
            count: 1,
            first_seen: at,
            last_seen: at,
            case_id: None,
            summary: format!("alert {i}"),
            ai: None,
            created_at: at,
            updated_at: at,
            version: 1,
        })
    }
    pub(crate) fn rule(mut self, id: &str) -> Self {
        self.0.rule.id = id.into();
        self.0.rule.name = format!("Rule {id}");
        self
    }
    pub(crate) fn source(mut self, s: AlertSource) -> Self {
        self.0.rule.source = s;
        self
    }
    pub(crate) fn host(mut self, h: &str) -> Self {
        self.0.entities.add_host(h);
        self
    }
    pub(crate) fn user(mut self, u: &str) -> Self {
        self.0.entities.add_user(u);
        self
    }
    pub(crate) fn severity(mut self, s: Severity) -> Self {
        self.0.severity = s;
        self
    }
    pub(crate) fn technique(mut self, t: &str) -> Self {
        self.0.techniques.push(t.into());
        self
    }
    pub(crate) fn count(mut self, n: u64) -> Self {
        self.0.count = n;
        self
    }
    pub(crate) fn key(mut self, k: &str) -> Self {
        self.0.group_key = k.into();
        self
    }
    /// First seen `first` minutes after [`t0`], last seen `span` minutes later.
    pub(crate) fn seen_min(mut self, first: i64, span: i64) -> Self {
        self.0.first_seen = t0() + SignedDuration::from_mins(first);
        self.0.last_seen = self.0.first_seen + SignedDuration::from_mins(span);
        self
    }
}

/// Raises the alerts in one batch (dedup window one hour); returns their ids in order.
pub(crate) fn raise_all(store: &mut Store, alerts: &[TestAlert]) -> Vec<String> {
    let batch = Batch {
        source: "test".into(),
        alerts: alerts.iter().map(|a| a.0.clone()).collect(),
        ..Batch::default()
    };
    store
        .write_batch(&batch, "test", SignedDuration::from_hours(1))
        .unwrap();
    alerts.iter().map(|a| a.0.id.clone()).collect()
}
