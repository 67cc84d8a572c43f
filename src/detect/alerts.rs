//! Alerts from Sigma matches: rule title and id, `level` as severity, `attack.tXXXX` tags as
//! techniques, the matched events and their entities.

use std::net::IpAddr;

use crate::attack::techniques_from_tags;
use crate::domain::{Alert, AlertSource, Event, RuleRef, Severity, derived_id};

use super::RuleMatch;

/// Sigma `level` -> severity (`informational` -> info; unknown or absent -> medium).
pub fn severity(level: Option<&str>) -> Severity {
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("informational") => Severity::Info,
        Some("low") => Severity::Low,
        Some("high") => Severity::High,
        Some("critical") => Severity::Critical,
        _ => Severity::Medium,
    }
}

/// The alert a match raises on `event` (the event that completed it, for correlations).
pub fn alert_for(m: &RuleMatch, event: &Event) -> Alert {
    let rule = RuleRef {
        id: m.rule_id.clone(),
        name: m.title.clone(),
        source: AlertSource::Sigma,
    };
    let id = derived_id(&event.id, &format!("sigma:{}", m.rule_id));
    let mut alert = Alert::from_event(
        id,
        rule,
        severity(m.level.as_deref()),
        event,
        m.title.clone(),
    );
    alert.techniques = techniques_from_tags(&m.tags);
    if m.correlation {
        let group: Vec<String> = m.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        alert.group_key = format!("sigma:{}|{}", m.rule_id, group.join(","));
        let mut ids = m.event_ids.clone();
        if ids.is_empty() {
            ids.push(event.id.clone());
        }
        // The triggering event first: the store recognises a re-ingested alert by it.
        if let Some(pos) = ids.iter().position(|i| *i == event.id) {
            let own = ids.remove(pos);
            ids.insert(0, own);
        }
        alert.count = ids.len() as u64;
        alert.event_ids = ids;
        for (k, v) in &m.group {
            let key = k.to_ascii_lowercase();
            if v.parse::<IpAddr>().is_ok() {
                alert.entities.add_ip(v);
            } else if key.contains("user") {
                alert.entities.add_user(v);
            } else if key.contains("host") || key == "computer" {
                alert.entities.add_host(v);
            }
        }
        let value = m.value.map_or_else(String::new, |v| format!("{v}"));
        alert.summary = if group.is_empty() {
            format!("{} ({value})", m.title)
        } else {
            format!("{}: {value} for {}", m.title, group.join(", "))
        };
    }
    alert
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let mut e = Event::new(
            "ev1".into(),
            jiff::Timestamp::UNIX_EPOCH,
            jiff::Timestamp::UNIX_EPOCH,
            "t",
            "sshd",
            "syslog",
            "Failed password".into(),
            String::new(),
        );
        e.src_ip = "203.0.113.9".parse().ok();
        e.user = Some("root".into());
        e
    }

    #[test]
    fn levels_map_to_severities() {
        assert_eq!(severity(Some("informational")), Severity::Info);
        assert_eq!(severity(Some("critical")), Severity::Critical);
        assert_eq!(severity(None), Severity::Medium);
    }

    #[test]
    fn correlation_alert_groups_by_its_group_values() {
        let m = RuleMatch {
            rule_id: "r1".into(),
            title: "Brute".into(),
            level: Some("high".into()),
            tags: vec!["attack.t1110.001".into()],
            correlation: true,
            correlation_only: false,
            group: vec![("src_ip".into(), "203.0.113.9".into())],
            value: Some(12.0),
            event_ids: vec!["ev0".into(), "ev1".into()],
        };
        let a = alert_for(&m, &event());
        assert_eq!(a.severity, Severity::High);
        assert_eq!(a.techniques, vec!["T1110.001"]);
        assert_eq!(a.group_key, "sigma:r1|src_ip=203.0.113.9");
        assert_eq!(a.event_ids, vec!["ev1", "ev0"]);
        assert_eq!(a.count, 2);
        assert!(a.summary.contains("12"));
    }
}
