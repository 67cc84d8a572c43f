//! Case: an investigation that groups alerts, observables and a timeline of what was done.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Severity, named_enum};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    #[default]
    Open,
    InProgress,
    OnHold,
    Resolved,
    Closed,
}

named_enum!(CaseStatus, "case status", {
    Open => "open",
    InProgress => "in_progress",
    OnHold => "on_hold",
    Resolved => "resolved",
    Closed => "closed",
});

/// Case priority, P1 (drop everything) to P4.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Priority {
    P1,
    P2,
    #[default]
    P3,
    P4,
}

named_enum!(Priority, "priority", {
    P1 => "p1",
    P2 => "p2",
    P3 => "p3",
    P4 => "p4",
});

impl Priority {
    /// The priority a case opened from alerts of this severity gets: critical P1, high P2,
    /// medium P3, anything lower P4.
    pub fn for_severity(severity: super::Severity) -> Self {
        use super::Severity;
        match severity {
            Severity::Critical => Priority::P1,
            Severity::High => Priority::P2,
            Severity::Medium => Priority::P3,
            Severity::Low | Severity::Info => Priority::P4,
        }
    }

    /// 1..=4, as stored.
    pub fn number(self) -> i64 {
        self as i64 + 1
    }
    pub fn from_number(n: i64) -> Self {
        match n {
            i64::MIN..=1 => Priority::P1,
            2 => Priority::P2,
            3 => Priority::P3,
            _ => Priority::P4,
        }
    }
}

/// A case. Its id reads `CASE-YYYY-NNNN`, numbered per year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub status: CaseStatus,
    pub priority: Priority,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
    #[serde(default)]
    pub alert_ids: Vec<String>,
    #[serde(default)]
    pub observables: Vec<Observable>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// The grouping key escalation files alerts under (rule, time bucket, entities); `None` for
    /// cases opened by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_key: Option<String>,
    pub version: i64,
}

/// What kind of entry a case timeline holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Created,
    Note,
    StatusChange,
    PriorityChange,
    AssigneeChange,
    AlertAdded,
    AlertRemoved,
    ObservableAdded,
    AiSummary,
    ActionTaken,
}

named_enum!(ActivityKind, "activity kind", {
    Created => "created",
    Note => "note",
    StatusChange => "status_change",
    PriorityChange => "priority_change",
    AssigneeChange => "assignee_change",
    AlertAdded => "alert_added",
    AlertRemoved => "alert_removed",
    ObservableAdded => "observable_added",
    AiSummary => "ai_summary",
    ActionTaken => "action_taken",
});

/// One entry of a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub case_id: String,
    pub at: Timestamp,
    pub actor: String,
    pub kind: ActivityKind,
    /// Free text (the note, or a one-line description of the change).
    pub body: String,
    /// Structured details (`{"from": "open", "to": "closed"}`, `{"alert_id": ..}`).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

/// The kinds of indicator an analyst tracks on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservableKind {
    Ip,
    Domain,
    Url,
    Hash,
    User,
    Host,
    Process,
    Email,
    File,
}

named_enum!(ObservableKind, "observable kind", {
    Ip => "ip",
    Domain => "domain",
    Url => "url",
    Hash => "hash",
    User => "user",
    Host => "host",
    Process => "process",
    Email => "email",
    File => "file",
});

impl ObservableKind {
    /// The observable kind of an alert entity kind (`Entities::pairs`).
    pub fn from_entity_kind(kind: &str) -> Option<Self> {
        kind.parse().ok()
    }
}

/// An indicator attached to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observable {
    pub kind: ObservableKind,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Severity;

    #[test]
    fn priority_follows_severity() {
        let got: Vec<Priority> = Severity::ALL
            .iter()
            .map(|s| Priority::for_severity(*s))
            .collect();
        use Priority::*;
        assert_eq!(got, vec![P4, P4, P3, P2, P1]);
    }
}
