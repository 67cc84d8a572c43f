//! The per-record step shared by every intake (files, streams, webhooks): what one normalised
//! record adds to the batch being built, Sigma detection included, so that every intake raises
//! the same alerts for the same records. It also gives each event its log template id.

use crate::detect::Detector;
use crate::domain::Event;
use crate::normalize::{Record, template};
use crate::store::Batch;

/// Counts of what [`add`] put into the batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    pub events: u64,
    /// Alerts the source itself carried (Wazuh, Splunk, Suricata `alert`...).
    pub alerts: u64,
    /// Alerts raised by detection on the record's events.
    pub detections: u64,
}

/// Adds one normalised record (its events, each with its template id, the alert it carries,
/// and the alerts `detector` raises on its events) to `batch`.
pub fn add(batch: &mut Batch, mut record: Record, detector: Option<&Detector>) -> Added {
    for e in &mut record.events {
        set_template(e);
    }
    let mut added = Added {
        events: record.events.len() as u64,
        alerts: u64::from(record.alert.is_some()),
        detections: 0,
    };
    if let Some(alert) = record.alert {
        batch.alerts.push(alert);
    }
    if let Some(detector) = detector {
        let raised = detector.detect_all(&record.events);
        added.detections = raised.len() as u64;
        batch.alerts.extend(raised);
    }
    batch.events.extend(record.events);
    added
}

/// Sets the event's template id from its dataset and masked message, unless it has one or
/// has no message.
pub fn set_template(e: &mut Event) {
    if e.template_id.is_none() && !e.message.trim().is_empty() {
        e.template_id = Some(template::template_id(
            &e.dataset,
            &template::mask(&e.message),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use jiff::{Timestamp, tz::TimeZone};

    use super::*;
    use crate::ingest::{Options, Silent, ingest_paths};
    use crate::store::Store;

    fn event(dataset: &str, message: &str) -> Event {
        Event::new(
            "id".into(),
            Timestamp::UNIX_EPOCH,
            Timestamp::UNIX_EPOCH,
            "test",
            dataset,
            "syslog",
            message.into(),
            message.into(),
        )
    }

    #[test]
    fn add_sets_template_ids_and_leaves_empty_messages_alone() {
        let mut batch = Batch::default();
        let record = Record {
            events: vec![
                event("sshd", "Invalid user admin from 10.0.0.1"),
                event("sshd", "Invalid user oracle from 10.0.0.2"),
                event("syslog", "Invalid user oracle from 10.0.0.2"),
                event("sshd", "  "),
            ],
            alert: None,
        };
        let added = add(&mut batch, record, None);
        assert_eq!(added.events, 4);
        let ids: Vec<Option<&str>> = batch
            .events
            .iter()
            .map(|e| e.template_id.as_deref())
            .collect();
        let want = template::template_id("sshd", "Invalid user <*> from <*>");
        assert_eq!(ids[0], Some(want.as_str()));
        assert_eq!(ids[1], ids[0]);
        assert!(ids[2].is_some() && ids[2] != ids[0]);
        assert_eq!(ids[3], None);
    }

    #[test]
    fn set_template_keeps_an_id_the_source_gave() {
        let mut e = event("sshd", "Invalid user admin from 10.0.0.1");
        e.template_id = Some("given".into());
        set_template(&mut e);
        assert_eq!(e.template_id.as_deref(), Some("given"));
    }

    /// The OpenSSH fixture through the real ingest into a store: every event comes back with
    /// its template id, and the ids group the lines into loghub's number of templates, give or
    /// take (26 for loghub's 27; see `normalize::template::tests`).
    #[test]
    fn ingest_stores_template_ids() {
        let mut store = Store::in_memory().expect("store");
        let loaded = crate::config::load_with_env(
            &crate::config::Overrides {
                no_user_config: true,
                data_dir: Some(PathBuf::from("/nonexistent")),
                ..Default::default()
            },
            Vec::new(),
        )
        .expect("default config");
        let opts = Options {
            year: Some(2025),
            timezone: TimeZone::UTC,
            ..Options::from_config(&loaded)
        };
        let log = PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/loghub/OpenSSH_2k.log"
        ));
        let summary = ingest_paths(&mut store, &[log], &opts, &Silent).expect("ingest");
        assert_eq!(summary.events, 2_000);
        let events = store.recent_events(Some("sshd"), 5_000).expect("events");
        assert_eq!(events.len(), 2_000);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for e in &events {
            let id = e.template_id.as_deref().expect("template id stored");
            *counts.entry(id).or_default() += 1;
        }
        assert!(
            (24..=30).contains(&counts.len()),
            "{} templates",
            counts.len()
        );
        // loghub's E9 has 383 lines (grep of OpenSSH_2k.log_structured.csv).
        let failed =
            template::template_id("sshd", "Failed password for <*> from <*> port <*> ssh2");
        assert_eq!(counts.get(failed.as_str()), Some(&383));
        // One event read back by id carries the id its message gives.
        let one = store.event(&events[0].id).expect("event");
        let want = template::template_id("sshd", &template::mask(&one.message));
        assert_eq!(one.template_id, Some(want));
    }
}
