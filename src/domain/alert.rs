//! Alert: something a rule (ours or the source's) says deserves an analyst's attention.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Severity, named_enum};

/// Where an alert's rule lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSource {
    Sigma,
    Wazuh,
    Splunk,
    Kibana,
    Suricata,
    Zeek,
    Windows,
    Tocsin,
}

named_enum!(AlertSource, "alert source", {
    Sigma => "sigma",
    Wazuh => "wazuh",
    Splunk => "splunk",
    Kibana => "kibana",
    Suricata => "suricata",
    Zeek => "zeek",
    Windows => "windows",
    Tocsin => "tocsin",
});

/// The analyst workflow state of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    #[default]
    New,
    Acknowledged,
    InProgress,
    Escalated,
    Closed,
    /// Hidden by an active suppression: still open (repeats fold into it), out of the queue.
    Suppressed,
}

named_enum!(AlertStatus, "alert status", {
    New => "new",
    Acknowledged => "acknowledged",
    InProgress => "in_progress",
    Escalated => "escalated",
    Closed => "closed",
    Suppressed => "suppressed",
});

/// The conclusion an analyst (or, kept apart, the AI) reached about an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    TruePositive,
    FalsePositive,
    Benign,
    Duplicate,
}

named_enum!(Verdict, "verdict", {
    TruePositive => "true_positive",
    FalsePositive => "false_positive",
    Benign => "benign",
    Duplicate => "duplicate",
});

/// The rule that raised an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// The rule's own id (Sigma UUID, Wazuh rule id, Suricata sid, Splunk search name).
    pub id: String,
    pub name: String,
    pub source: AlertSource,
}

/// The things an alert is about, deduplicated and in first-seen order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Entities {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

impl Entities {
    /// The entity kinds, as `pairs` names them (and as config and the entity index spell them).
    pub const KINDS: [&'static str; 6] = ["host", "user", "ip", "process", "hash", "domain"];

    /// The values of one kind (`host`, `user`, ...); empty for an unknown kind.
    pub fn of_kind(&self, kind: &str) -> &[String] {
        match kind {
            "host" => &self.hosts,
            "user" => &self.users,
            "ip" => &self.ips,
            "process" => &self.processes,
            "hash" => &self.hashes,
            "domain" => &self.domains,
            _ => &[],
        }
    }

    /// The first value of one kind, if any.
    pub fn first(&self, kind: &str) -> Option<&str> {
        self.of_kind(kind).first().map(String::as_str)
    }

    fn push_unique(list: &mut Vec<String>, value: &str) {
        let value = value.trim();
        if !value.is_empty() && value != "-" && !list.iter().any(|v| v == value) {
            list.push(value.to_string());
        }
    }
    pub fn add_host(&mut self, v: &str) {
        Self::push_unique(&mut self.hosts, v);
    }
    pub fn add_user(&mut self, v: &str) {
        Self::push_unique(&mut self.users, v);
    }
    pub fn add_ip(&mut self, v: &str) {
        Self::push_unique(&mut self.ips, v);
    }
    pub fn add_process(&mut self, v: &str) {
        Self::push_unique(&mut self.processes, v);
    }
    pub fn add_hash(&mut self, v: &str) {
        Self::push_unique(&mut self.hashes, v);
    }
    pub fn add_domain(&mut self, v: &str) {
        Self::push_unique(&mut self.domains, v);
    }

    /// Adds the entities an event names (host, user, both ends' addresses, process).
    pub fn add_from_event(&mut self, e: &super::Event) {
        if let Some(h) = &e.host {
            self.add_host(h);
        }
        if let Some(u) = &e.user {
            self.add_user(u);
        }
        if let Some(ip) = e.src_ip {
            self.add_ip(&ip.to_string());
        }
        if let Some(ip) = e.dst_ip {
            self.add_ip(&ip.to_string());
        }
        if let Some(p) = &e.process {
            self.add_process(p);
        }
    }

    /// Every (kind, value) pair, for the entity index that pivots use.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let kinds: [(&'static str, &Vec<String>); 6] = [
            ("host", &self.hosts),
            ("user", &self.users),
            ("ip", &self.ips),
            ("process", &self.processes),
            ("hash", &self.hashes),
            ("domain", &self.domains),
        ];
        kinds
            .into_iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k, v.as_str())))
    }

    pub fn is_empty(&self) -> bool {
        self.pairs().next().is_none()
    }
}

/// What a model concluded about an alert; always kept apart from the analyst's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AiAssessment {
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    pub model: String,
    pub prompt_hash: String,
    pub at: Timestamp,
}

/// An alert. `version` increases on every analyst-visible change so two consoles can detect
/// that they are about to overwrite each other.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: String,
    pub rule: RuleRef,
    pub severity: Severity,
    pub status: AlertStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The events behind the alert (for deduplicated alerts, every one that was folded in).
    pub event_ids: Vec<String>,
    pub entities: Entities,
    pub techniques: Vec<String>,
    /// Source-provided risk score (Splunk/Kibana risk, Suricata priority), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Alerts with the same key inside the dedup window fold into one, counting.
    pub group_key: String,
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// A one-line description from the source (Wazuh rule description, signature text).
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiAssessment>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Alert {
    /// A new alert raised from one event, with status `new`. `group_key` defaults to the rule
    /// plus the event's primary entities; callers may replace it.
    pub fn from_event(
        id: String,
        rule: RuleRef,
        severity: Severity,
        event: &super::Event,
        summary: String,
    ) -> Self {
        let mut entities = Entities::default();
        entities.add_from_event(event);
        let group_key = format!(
            "{}:{}|{}|{}|{}",
            rule.source,
            rule.id,
            event.host.as_deref().unwrap_or(""),
            event.user.as_deref().unwrap_or(""),
            event.src_ip.map(|i| i.to_string()).unwrap_or_default(),
        );
        Alert {
            id,
            rule,
            severity,
            status: AlertStatus::New,
            verdict: None,
            verdict_reason: None,
            assignee: None,
            event_ids: vec![event.id.clone()],
            entities,
            techniques: event.techniques.clone(),
            score: None,
            group_key,
            count: 1,
            first_seen: event.timestamp,
            last_seen: event.timestamp,
            case_id: None,
            summary,
            ai: None,
            created_at: event.ingested_at,
            updated_at: event.ingested_at,
            version: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressed_is_a_status_name() {
        assert_eq!(
            "suppressed".parse::<AlertStatus>().unwrap(),
            AlertStatus::Suppressed
        );
        assert_eq!(
            serde_json::to_string(&AlertStatus::Suppressed).unwrap(),
            "\"suppressed\""
        );
    }

    #[test]
    fn entities_by_kind() {
        let mut e = Entities::default();
        e.add_host("web-1");
        e.add_host("web-2");
        e.add_domain("example.org");
        assert_eq!(e.first("host"), Some("web-1"));
        assert_eq!(e.of_kind("host").len(), 2);
        assert_eq!(e.first("domain"), Some("example.org"));
        assert_eq!(e.first("user"), None);
        assert!(e.of_kind("planet").is_empty());
        // Every kind `pairs` yields is one of KINDS and is found again by `of_kind`.
        e.add_user("bob");
        e.add_ip("10.0.0.1");
        e.add_process("sshd");
        e.add_hash("abc123");
        let mut kinds: Vec<&str> = Vec::new();
        for (kind, value) in e.pairs() {
            assert!(e.of_kind(kind).iter().any(|v| v == value), "{kind}");
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        assert_eq!(kinds, Entities::KINDS);
    }
}
