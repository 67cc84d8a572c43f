//! The database schema as an ordered list of migrations; `PRAGMA user_version` records how many
//! have been applied. Never edit a released migration: add the next one.

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the foundation.
    r#"
    CREATE TABLE events (
        id           TEXT PRIMARY KEY,
        ts           INTEGER NOT NULL,          -- unix milliseconds
        ingested_at  INTEGER NOT NULL,
        source       TEXT NOT NULL,
        dataset      TEXT NOT NULL,
        format       TEXT NOT NULL,
        host         TEXT,
        user         TEXT,
        src_ip       TEXT,
        src_port     INTEGER,
        dst_ip       TEXT,
        dst_port     INTEGER,
        process      TEXT,
        pid          INTEGER,
        command_line TEXT,
        action       TEXT,
        outcome      TEXT,
        severity     INTEGER,
        message      TEXT NOT NULL,
        techniques   TEXT NOT NULL DEFAULT '[]',
        template_id  TEXT,
        fields       TEXT NOT NULL DEFAULT '{}',
        raw          TEXT NOT NULL
    );
    CREATE INDEX events_ts ON events(ts);
    CREATE INDEX events_dataset_ts ON events(dataset, ts);

    CREATE TABLE cases (
        id           TEXT PRIMARY KEY,          -- CASE-YYYY-NNNN
        title        TEXT NOT NULL,
        description  TEXT NOT NULL DEFAULT '',
        status       TEXT NOT NULL,
        priority     INTEGER NOT NULL,          -- 1..4
        severity     INTEGER NOT NULL,          -- 0..4
        assignee     TEXT,
        tags         TEXT NOT NULL DEFAULT '[]',
        techniques   TEXT NOT NULL DEFAULT '[]',
        created_by   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        closed_at    INTEGER,
        version      INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX cases_status ON cases(status, updated_at);
    CREATE TABLE case_counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

    CREATE TABLE alerts (
        id             TEXT PRIMARY KEY,
        rule_id        TEXT NOT NULL,
        rule_name      TEXT NOT NULL,
        rule_source    TEXT NOT NULL,
        severity       INTEGER NOT NULL,        -- 0 info .. 4 critical
        status         TEXT NOT NULL,
        verdict        TEXT,
        verdict_reason TEXT,
        assignee       TEXT,
        score          REAL,
        group_key      TEXT NOT NULL,
        count          INTEGER NOT NULL DEFAULT 1,
        first_seen     INTEGER NOT NULL,
        last_seen      INTEGER NOT NULL,
        case_id        TEXT REFERENCES cases(id),
        summary        TEXT NOT NULL DEFAULT '',
        host           TEXT,                    -- first entities, for queue columns and filters
        user           TEXT,
        src_ip         TEXT,
        entities       TEXT NOT NULL DEFAULT '{}',
        techniques     TEXT NOT NULL DEFAULT '[]',
        ai             TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL,
        version        INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX alerts_last_seen ON alerts(last_seen);
    CREATE INDEX alerts_status_last_seen ON alerts(status, last_seen);
    CREATE INDEX alerts_severity_last_seen ON alerts(severity, last_seen);
    CREATE INDEX alerts_group_key ON alerts(group_key, last_seen);
    CREATE INDEX alerts_case ON alerts(case_id);

    CREATE TABLE alert_events (
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        event_id TEXT NOT NULL,
        PRIMARY KEY (alert_id, event_id)
    ) WITHOUT ROWID;
    CREATE INDEX alert_events_event ON alert_events(event_id);

    CREATE TABLE alert_techniques (
        technique TEXT NOT NULL,
        alert_id  TEXT NOT NULL REFERENCES alerts(id),
        PRIMARY KEY (technique, alert_id)
    ) WITHOUT ROWID;

    -- Entity index: pivots ("alerts that share this IP") and entity filters.
    CREATE TABLE alert_entities (
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        alert_id TEXT NOT NULL REFERENCES alerts(id),
        PRIMARY KEY (kind, value, alert_id)
    ) WITHOUT ROWID;
    CREATE INDEX alert_entities_alert ON alert_entities(alert_id);

    CREATE TABLE activities (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id  TEXT NOT NULL REFERENCES cases(id),
        at       INTEGER NOT NULL,
        actor    TEXT NOT NULL,
        kind     TEXT NOT NULL,
        body     TEXT NOT NULL DEFAULT '',
        details  TEXT
    );
    CREATE INDEX activities_case ON activities(case_id, at);

    CREATE TABLE observables (
        case_id  TEXT NOT NULL REFERENCES cases(id),
        kind     TEXT NOT NULL,
        value    TEXT NOT NULL,
        note     TEXT,
        added_at INTEGER NOT NULL,
        added_by TEXT NOT NULL,
        PRIMARY KEY (case_id, kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX observables_value ON observables(kind, value);

    CREATE TABLE case_tasks (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id    TEXT NOT NULL REFERENCES cases(id),
        title      TEXT NOT NULL,
        done       INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        created_by TEXT NOT NULL
    );

    CREATE TABLE suppressions (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id      TEXT,
        entity_kind  TEXT,
        entity_value TEXT,
        until        INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        created_by   TEXT NOT NULL,
        created_at   INTEGER NOT NULL
    );

    -- Input that could not be normalised: kept with its reason, never dropped.
    CREATE TABLE rejected (
        id      TEXT PRIMARY KEY,               -- content hash, so re-reading a file adds nothing
        at      INTEGER NOT NULL,
        source  TEXT NOT NULL,
        line    INTEGER,
        format  TEXT,
        reason  TEXT NOT NULL,
        raw     TEXT NOT NULL
    );
    CREATE INDEX rejected_at ON rejected(at);

    CREATE TABLE checkpoints (
        stream     TEXT NOT NULL,
        grp        TEXT NOT NULL,
        last_id    TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (stream, grp)
    ) WITHOUT ROWID;

    -- Append-only: who changed what, when, before and after.
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        object_type TEXT NOT NULL,
        object_id   TEXT NOT NULL,
        before      TEXT,
        after       TEXT
    );
    CREATE INDEX audit_object ON audit(object_type, object_id, id);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    "#,
    // 2: the console: escalation groups alerts into cases by key, the queue sorts by rule and
    // host cheaply, and suppressions are looked up by expiry on every new alert.
    r#"
    ALTER TABLE cases ADD COLUMN group_key TEXT;
    CREATE INDEX cases_group_key ON cases(group_key, status);
    CREATE INDEX alerts_rule_name_last_seen ON alerts(rule_name, last_seen);
    CREATE INDEX alerts_host_last_seen ON alerts(host, last_seen);
    CREATE INDEX suppressions_until ON suppressions(until);
    "#,
];

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::Store;

    #[test]
    fn a_version_1_database_upgrades_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tocsin.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO cases (id, title, status, priority, severity, created_by, created_at, updated_at)
                 VALUES ('CASE-2026-0001', 'old', 'open', 3, 2, 'ana', 0, 0)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&path, Duration::from_secs(5)).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let case = store.case("CASE-2026-0001").unwrap().case;
        assert_eq!((case.title.as_str(), case.group_key), ("old", None));
        let indexes: Vec<String> = store
            .conn()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        for want in [
            "cases_group_key",
            "alerts_rule_name_last_seen",
            "alerts_host_last_seen",
            "suppressions_until",
        ] {
            assert!(indexes.iter().any(|i| i == want), "{want} in {indexes:?}");
        }
    }

    #[test]
    fn rule_and_host_sorts_walk_their_index_instead_of_sorting_everything() {
        let store = Store::in_memory().unwrap();
        for (sort, index) in [
            (crate::store::AlertSort::Rule, "alerts_rule_name_last_seen"),
            (crate::store::AlertSort::Host, "alerts_host_last_seen"),
        ] {
            let f = crate::store::AlertFilter {
                sort,
                ..Default::default()
            };
            for reversed in [false, true] {
                let sql = format!(
                    "EXPLAIN QUERY PLAN SELECT id FROM alerts ORDER BY {} LIMIT 50 OFFSET 100",
                    f.order_by(reversed)
                );
                let plan: Vec<String> = store
                    .conn()
                    .prepare(&sql)
                    .unwrap()
                    .query_map([], |r| r.get(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                let plan = plan.join("; ");
                assert!(plan.contains(index), "{sort}: {plan}");
                assert!(!plan.contains("B-TREE FOR ORDER BY"), "{sort}: {plan}");
            }
        }
    }
}
