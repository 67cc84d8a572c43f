//! Log templates in the store: how many events each template id groups, with one example
//! message, for a templates view (rare templates first is the caller's sort to choose).

use rusqlite::params;
use serde::Serialize;

use super::{Result, Store};

/// One template id and the events that carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateCount {
    pub template_id: String,
    /// The dataset of its events (part of the id, so one per template).
    pub dataset: String,
    pub events: i64,
    /// One of its messages (the smallest, so the same one every time).
    pub example: String,
}

impl Store {
    /// Per template id, optionally of one dataset: its event count and an example message,
    /// most events first, then by id. Events without a template id are left out.
    // A full scan of events: fine for a view opened on demand; an index on template_id would
    // need a schema migration.
    pub fn template_counts(&self, dataset: Option<&str>) -> Result<Vec<TemplateCount>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT template_id, MIN(dataset), COUNT(*), MIN(message) FROM events
             WHERE template_id IS NOT NULL AND (?1 IS NULL OR dataset = ?1)
             GROUP BY template_id ORDER BY COUNT(*) DESC, template_id",
        )?;
        let rows = stmt.query_map(params![dataset], |r| {
            Ok(TemplateCount {
                template_id: r.get(0)?,
                dataset: r.get(1)?,
                events: r.get(2)?,
                example: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::domain::Event;
    use crate::ingest::record::set_template;
    use crate::store::Batch;

    fn event(id: &str, dataset: &str, message: &str) -> Event {
        let mut e = Event::new(
            id.into(),
            Timestamp::UNIX_EPOCH,
            Timestamp::UNIX_EPOCH,
            "test",
            dataset,
            "syslog",
            message.into(),
            message.into(),
        );
        set_template(&mut e);
        e
    }

    #[test]
    fn counts_templates_per_dataset_most_events_first() {
        let mut store = Store::in_memory().expect("store");
        let batch = Batch {
            source: "test".into(),
            events: vec![
                event("a", "sshd", "Invalid user oracle from 10.0.0.2"),
                event("b", "sshd", "Invalid user admin from 10.0.0.1"),
                event("c", "sshd", "Invalid user test from 10.0.0.3"),
                event(
                    "d",
                    "sshd",
                    "Accepted password for bob from 10.0.0.9 port 22 ssh2",
                ),
                event("e", "syslog", "Invalid user admin from 10.0.0.1"),
                event("f", "syslog", ""),
            ],
            ..Default::default()
        };
        store
            .write_batch(&batch, "test", jiff::SignedDuration::ZERO)
            .expect("write");
        let all = store.template_counts(None).expect("counts");
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0].events, 3);
        assert_eq!(all[0].dataset, "sshd");
        assert_eq!(all[0].example, "Invalid user admin from 10.0.0.1");
        assert_eq!(all[1].events, 1);
        assert_eq!(all[2].events, 1);
        let sshd = store.template_counts(Some("sshd")).expect("counts");
        assert_eq!(sshd.len(), 2);
        assert!(sshd.iter().all(|t| t.dataset == "sshd"));
        assert!(
            store
                .template_counts(Some("zeek"))
                .expect("counts")
                .is_empty()
        );
    }
}
