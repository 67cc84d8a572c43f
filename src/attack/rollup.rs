//! Technique roll-up: per ATT&CK technique, how many alerts and events named it and when it was
//! first and last seen, over whatever set of alerts the caller chose (a time window, a case).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::Catalogue;
use crate::domain::Alert;

/// One technique's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueRollup {
    pub technique: String,
    /// The technique's name (`Brute Force: Password Guessing`); empty when not in ATT&CK.
    pub name: String,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    /// The parent technique of a sub-technique.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Alerts naming the technique.
    pub alerts: u64,
    /// Events behind those alerts (folded alerts count every event).
    pub count: u64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub alert_ids: Vec<String>,
}

/// Rolls alerts up by technique (revoked ids counted under their replacement), most events
/// first, then by id.
pub fn rollup(alerts: &[Alert]) -> Vec<TechniqueRollup> {
    let cat = Catalogue::get();
    let mut by: BTreeMap<String, TechniqueRollup> = BTreeMap::new();
    for a in alerts {
        let mut seen: Vec<String> = Vec::new();
        for t in &a.techniques {
            let id = cat.current_id(t);
            if seen.contains(&id) {
                continue;
            }
            seen.push(id.clone());
            let entry = by.entry(id.clone()).or_insert_with(|| {
                let known = cat.technique(&id);
                TechniqueRollup {
                    name: cat.full_name(&id),
                    tactics: known.map(|k| k.tactics.clone()).unwrap_or_default(),
                    parent: id.split_once('.').map(|(p, _)| p.to_string()),
                    technique: id.clone(),
                    alerts: 0,
                    count: 0,
                    first_seen: a.first_seen,
                    last_seen: a.last_seen,
                    alert_ids: Vec::new(),
                }
            });
            entry.alerts += 1;
            entry.count += a.count.max(1);
            entry.first_seen = entry.first_seen.min(a.first_seen);
            entry.last_seen = entry.last_seen.max(a.last_seen);
            entry.alert_ids.push(a.id.clone());
        }
    }
    let mut out: Vec<TechniqueRollup> = by.into_values().collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.technique.cmp(&b.technique))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AlertSource, Event, RuleRef, Severity};

    fn alert(id: &str, techniques: &[&str], count: u64, secs: i64) -> Alert {
        let t = Timestamp::from_second(secs).unwrap();
        let e = Event::new(
            format!("e-{id}"),
            t,
            t,
            "s",
            "sshd",
            "syslog",
            String::new(),
            String::new(),
        );
        let rule = RuleRef {
            id: "r".into(),
            name: "r".into(),
            source: AlertSource::Sigma,
        };
        let mut a = Alert::from_event(id.into(), rule, Severity::High, &e, String::new());
        a.techniques = techniques.iter().map(|s| s.to_string()).collect();
        a.count = count;
        a
    }

    #[test]
    fn counts_first_and_last_seen_per_technique() {
        let alerts = [
            alert("a1", &["T1110.001", "T1078"], 5, 100),
            alert("a2", &["T1110.001"], 2, 50),
            alert("a3", &["T1078"], 1, 300),
        ];
        let r = rollup(&alerts);
        assert_eq!(r[0].technique, "T1110.001");
        assert_eq!(r[0].count, 7);
        assert_eq!(r[0].alerts, 2);
        assert_eq!(r[0].first_seen.as_second(), 50);
        assert_eq!(r[0].parent.as_deref(), Some("T1110"));
        assert_eq!(r[0].tactics, vec!["credential-access"]);
        let t1078 = r.iter().find(|x| x.technique == "T1078").unwrap();
        assert_eq!(t1078.last_seen.as_second(), 300);
        assert_eq!(t1078.alert_ids, vec!["a1", "a3"]);
    }
}
