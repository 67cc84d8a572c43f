//! The typed messages between the console's update loop and its background store workers:
//! requests (each with an id, so a stale reply is dropped), replies, and the changes an
//! analyst makes.

use jiff::{SignedDuration, Timestamp};

use super::matrix::Column;
use crate::domain::{Alert, Case, CaseStatus, Event, Priority, Verdict};
use crate::store::{AlertFilter, AlertGroup, AlertGroupBy, AuditEntry, CaseDetail, CaseFilter};

/// A request id; the model remembers the newest per kind of request ("latest job wins").
pub type ReqId = u64;

/// A read the reader worker runs.
#[derive(Debug, Clone)]
pub enum Query {
    /// Count the queue, then fetch `filter.limit` rows from `filter.offset`; with `anchor` (an
    /// alert id and the row it was on), also find where that alert now sits and move the page
    /// with it, so the selection stays on it.
    Page {
        filter: AlertFilter,
        anchor: Option<(String, usize)>,
        count: bool,
        known_total: i64,
    },
    Groups {
        filter: AlertFilter,
        by: AlertGroupBy,
    },
    Members {
        filter: AlertFilter,
    },
    Detail {
        id: String,
    },
    Cases {
        filter: CaseFilter,
    },
    Case {
        id: String,
    },
    Status,
    /// The ATT&CK matrix of the alerts `filter` matches (paging and sort ignored).
    Matrix {
        filter: AlertFilter,
    },
    /// A hunt on the text index.
    Hunt {
        query: String,
    },
    /// One stored event's raw record.
    Event {
        id: String,
    },
    /// Has another process committed since `seen`?
    Poll {
        seen: i64,
    },
}

/// A change the writer worker makes, audited under the analyst's name.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Acknowledge,
    Assign(Option<String>),
    Verdict(Verdict, String),
    Escalate(Option<String>),
    AddToCase(String),
    Suppress(SignedDuration, String),
    NewCase(String),
    Note(String, String),
    CaseStatus(String, CaseStatus, String),
    CasePriority(String, Priority),
    CaseAssign(String, Option<String>),
    Unlink(String, String),
}

impl Op {
    /// Whether `.` may repeat it on other alerts.
    pub fn is_disposition(&self) -> bool {
        matches!(
            self,
            Op::Acknowledge | Op::Assign(_) | Op::Verdict(..) | Op::AddToCase(_)
        )
    }

    /// A few words for flash messages.
    pub fn describe(&self) -> String {
        match self {
            Op::Acknowledge => "acknowledged".into(),
            Op::Assign(Some(who)) => format!("assigned to {who}"),
            Op::Assign(None) => "unassigned".into(),
            Op::Verdict(v, _) => format!("closed as {v}"),
            Op::Escalate(_) => "escalated".into(),
            Op::AddToCase(c) => format!("added to {c}"),
            Op::Suppress(d, _) => format!("suppressed for {}", human_duration(*d)),
            Op::NewCase(_) => "case created".into(),
            Op::Note(..) => "note saved".into(),
            Op::CaseStatus(_, s, _) => format!("case {s}"),
            Op::CasePriority(_, p) => format!("priority {p}"),
            Op::CaseAssign(_, Some(who)) => format!("case assigned to {who}"),
            Op::CaseAssign(_, None) => "case unassigned".into(),
            Op::Unlink(..) => "alert removed from the case".into(),
        }
    }
}

/// `90m` -> `1h30m`, for people.
pub fn human_duration(d: SignedDuration) -> String {
    let mins = d.as_secs() / 60;
    match (mins / 1440, (mins % 1440) / 60, mins % 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h{m}m"),
        (days, 0, 0) => format!("{days}d"),
        (days, h, _) => format!("{days}d{h}h"),
    }
}

/// One alert the analyst acts on, with the version they saw (for the conflict check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    pub version: i64,
}

/// An alert's detail, made ready for drawing by the worker.
#[derive(Debug, Clone)]
pub struct AlertDetail {
    pub alert: Alert,
    pub events: Vec<Event>,
    /// Each event's raw record pretty-printed (JSON) or as it came (text), split into lines.
    pub raw_lines: Vec<String>,
    pub history: Vec<AuditEntry>,
    /// `T1110.001  Brute Force: Password Guessing (credential-access)`.
    pub techniques: Vec<(String, String)>,
}

/// Counts for the status bar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusCounts {
    pub alerts_open: i64,
    pub alerts_new: i64,
    pub cases_open: i64,
    pub newest_event: Option<Timestamp>,
}

/// What a worker sends back.
#[derive(Debug)]
pub enum Reply {
    Page {
        req: ReqId,
        offset: usize,
        rows: Vec<Alert>,
        /// The matching count, or (when `counted` is false) a lower bound until `Count` comes.
        total: i64,
        counted: bool,
        anchor_at: Option<i64>,
    },
    /// The count a `Page` deferred.
    Count {
        req: ReqId,
        total: i64,
    },
    Groups {
        req: ReqId,
        groups: Vec<AlertGroup>,
        total: i64,
    },
    Members {
        req: ReqId,
        group: Option<String>,
        rows: Vec<Alert>,
    },
    Detail {
        req: ReqId,
        detail: Box<AlertDetail>,
    },
    Cases {
        req: ReqId,
        rows: Vec<Case>,
    },
    Case {
        req: ReqId,
        detail: Box<CaseDetail>,
        alerts: Vec<Alert>,
    },
    Status {
        req: ReqId,
        counts: StatusCounts,
    },
    Matrix {
        req: ReqId,
        columns: Vec<Column>,
    },
    Hunt {
        req: ReqId,
        query: String,
        hits: Vec<crate::index::Hit>,
        count: usize,
        /// The embedder behind a semantic query's side (a lexical fallback says so).
        embedder: Option<String>,
        error: Option<String>,
    },
    Event {
        req: ReqId,
        id: String,
        lines: Vec<String>,
    },
    Changed {
        version: i64,
        changed: bool,
    },
    /// A write finished: what to tell the analyst, and whether it was refused because someone
    /// else changed the alert first.
    Written {
        req: ReqId,
        op: Op,
        result: Result<String, String>,
        conflict: bool,
        /// The case the write created or touched, to open it.
        case_id: Option<String>,
    },
    Failed {
        req: ReqId,
        what: &'static str,
        error: String,
    },
}
