//! Wazuh `alerts.json` records, each turned into one event and the alert Wazuh raised for it.

use serde_json::Value;

use super::json::{integer, pick, string, text};
use super::{Context, NormalizeError, Parsed, Record, json, time};
use crate::domain::{Alert, AlertSource, Event, Outcome, RuleRef, Severity, derived_id};

/// Normalises one Wazuh alert record (one line of `alerts.json`, or the same JSON posted by an
/// integration). Wazuh only writes alerts, so every record gives an event and an alert.
///
/// The timestamp and `rule.level` / `rule.id` are required: Wazuh always writes them, so a record
/// without them is not a Wazuh alert.
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    if !value.is_object() {
        return Err(NormalizeError::Unrecognised {
            format: "wazuh",
            problem: "not a JSON object".into(),
        });
    }
    // Wazuh writes nested objects only: each object's members are picked in one pass over it.
    let [ts, rule, full_log, agent, data, predecoder] = pick(
        &value,
        [
            "timestamp",
            "rule",
            "full_log",
            "agent",
            "data",
            "predecoder",
        ],
    );
    let timestamp = match ts {
        Some(Value::Null) | None => return Err(NormalizeError::Missing("timestamp")),
        Some(t) => time::from_value(t, ctx.timezone)?,
    };
    let rule = match rule {
        Some(r @ Value::Object(_)) => r,
        _ => return Err(NormalizeError::Missing("rule")),
    };
    let [level, rule_id, description, groups, mitre] =
        pick(rule, ["level", "id", "description", "groups", "mitre"]);
    let level = match level {
        None | Some(Value::Null) => return Err(NormalizeError::Missing("rule.level")),
        Some(v) => {
            integer(v).ok_or_else(|| NormalizeError::bad_field("rule.level", "not a number"))?
        }
    };
    let rule_id = text(rule_id).ok_or(NormalizeError::Missing("rule.id"))?;
    let severity = Severity::from_wazuh_level(level);
    let description = text(description).unwrap_or_else(|| format!("Wazuh rule {rule_id}"));
    let message = text(full_log).unwrap_or_else(|| description.clone());

    let mut e = Event::new(
        ctx.id.to_string(),
        timestamp,
        ctx.ingested_at,
        ctx.source,
        "wazuh",
        "wazuh",
        message,
        raw.to_string(),
    );
    let [agent_name, agent_ip] = pick(agent.unwrap_or(&Value::Null), ["name", "ip"]);
    let [src_user, dst_user, src_ip, src_port, dst_ip, dst_port] = pick(
        data.unwrap_or(&Value::Null),
        ["srcuser", "dstuser", "srcip", "srcport", "dstip", "dstport"],
    );
    let agent_ip = string(agent_ip);
    let (src_user, dst_user) = (string(src_user), string(dst_user));
    e.host = text(agent_name).or_else(|| agent_ip.map(str::to_string));
    e.user = dst_user.or(src_user).map(str::to_string);
    e.src_ip = string(src_ip).and_then(|s| s.trim().parse().ok());
    e.src_port = src_port
        .and_then(integer)
        .and_then(|p| u16::try_from(p).ok());
    e.dst_ip = string(dst_ip).and_then(|s| s.trim().parse().ok());
    e.dst_port = dst_port
        .and_then(integer)
        .and_then(|p| u16::try_from(p).ok());
    if let Some(pre) = predecoder {
        e.process = json::text_at(pre, "program_name");
    }
    e.outcome = groups.and_then(outcome_from_groups);
    e.severity = Some(severity);
    if let Some(mitre) = mitre {
        e.techniques = json::strings_at(mitre, "id");
    }

    let rule = RuleRef {
        id: rule_id,
        name: description.clone(),
        source: AlertSource::Wazuh,
    };
    let mut alert = Alert::from_event(derived_id(ctx.id, "alert"), rule, severity, &e, description);
    if let Some(ip) = agent_ip {
        alert.entities.add_ip(ip);
    }
    for user in [src_user, dst_user].into_iter().flatten() {
        alert.entities.add_user(user);
    }

    if let Value::Object(obj) = value {
        e.fields = obj;
    }
    Ok(Parsed::Record(Record {
        events: vec![e],
        alert: Some(alert),
    }))
}

/// Whether the rule's groups say the thing failed or succeeded (Wazuh's own group names).
fn outcome_from_groups(groups: &Value) -> Option<Outcome> {
    let Value::Array(groups) = groups else {
        return None;
    };
    groups
        .iter()
        .filter_map(Value::as_str)
        .find_map(|g| match g {
            "authentication_failed" | "authentication_failures" | "invalid_login" => {
                Some(Outcome::Failure)
            }
            "authentication_success" => Some(Outcome::Success),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Decoder, FieldMap, Format};

    const ALERTS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wazuh/alerts.json"
    ));
    const INVALID: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/wazuh/alerts_invalid_missing_rule_key.txt"
    ));

    fn decode(line: &str) -> Result<Parsed, NormalizeError> {
        let tz = jiff::tz::TimeZone::UTC;
        let map = FieldMap::default();
        let now: jiff::Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
        let ctx = Context {
            id: "rec-1",
            source: "alerts.json",
            ingested_at: now,
            reference_time: now,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        Decoder::new(None).decode_line(line, &ctx)
    }

    fn record(line: &str) -> Record {
        match decode(line).unwrap() {
            Parsed::Record(r) => r,
            other => panic!("expected a record, got {other:?}"),
        }
    }

    #[test]
    fn real_alert_becomes_event_and_alert() {
        let line = ALERTS.lines().next().unwrap();
        let r = record(line);
        assert_eq!(r.events.len(), 1);
        let e = &r.events[0];
        assert_eq!(e.id, "rec-1");
        assert_eq!(e.format, "wazuh");
        assert_eq!(e.dataset, "wazuh");
        assert_eq!(e.timestamp.as_millisecond(), 1652272159905);
        assert_eq!(e.severity, Some(Severity::Medium));
        assert_eq!(e.techniques, vec!["T1110"]);
        assert_eq!(e.host.as_deref(), Some("localhost.localdomain"));
        assert_eq!(e.src_ip, Some("172.17.1.1".parse().unwrap()));
        assert_eq!(e.src_port, Some(56404));
        assert_eq!(e.user.as_deref(), Some("paco"));
        assert_eq!(e.process.as_deref(), Some("sshd"));
        assert_eq!(e.outcome, Some(Outcome::Failure));
        assert_eq!(
            e.message,
            "May 11 12:29:18 localhost sshd[17584]: Invalid user paco from 172.17.1.1 port 56404"
        );
        assert_eq!(e.raw, line);
        assert_eq!(e.fields["location"], "/var/log/secure");
        assert_eq!(e.fields["decoder"]["name"], "sshd");
        assert!(
            e.fields["previous_output"]
                .as_str()
                .unwrap()
                .contains("port 56390")
        );

        let a = r.alert.expect("every Wazuh record is an alert");
        assert_eq!(a.id, derived_id("rec-1", "alert"));
        assert_eq!(a.rule.id, "5712");
        assert_eq!(a.rule.source, AlertSource::Wazuh);
        assert!(a.rule.name.starts_with("sshd: brute force"));
        assert_eq!(a.summary, a.rule.name);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.techniques, vec!["T1110"]);
        assert_eq!(a.event_ids, vec!["rec-1".to_string()]);
        assert_eq!(a.entities.ips, vec!["172.17.1.1"]);
        assert_eq!(a.entities.users, vec!["paco"]);
    }

    #[test]
    fn invalid_sample_is_rejected() {
        let line = INVALID.lines().next().unwrap();
        assert!(matches!(decode(line), Err(NormalizeError::Json(_))));
    }

    #[test]
    fn fallbacks_and_bad_input() {
        // No full_log: the message is the rule description; no agent name: the agent IP.
        let r = record(
            r#"{"timestamp":"2024-01-01T10:00:00.000+0000","rule":{"level":3,"id":"100","description":"d"},"agent":{"id":"001","ip":"10.0.0.9"}}"#,
        );
        assert_eq!(r.events[0].message, "d");
        assert_eq!(r.events[0].host.as_deref(), Some("10.0.0.9"));
        assert_eq!(r.alert.unwrap().severity, Severity::Low);

        let bad_ts = r#"{"timestamp":"2024-01-01T10:00:00.000+0000junk","rule":{"level":3,"id":"1"},"agent":{"id":"001"}}"#;
        assert!(matches!(
            decode(bad_ts),
            Err(NormalizeError::Timestamp { .. })
        ));
        let no_id = r#"{"timestamp":"2024-01-01T10:00:00Z","rule":{"level":3},"agent":{}}"#;
        assert_eq!(decode(no_id), Err(NormalizeError::Missing("rule.id")));
        let bad_level =
            r#"{"timestamp":"2024-01-01T10:00:00Z","rule":{"level":"x","id":"1"},"agent":{}}"#;
        assert!(matches!(
            decode(bad_level),
            Err(NormalizeError::BadField { .. })
        ));
        let tz = jiff::tz::TimeZone::UTC;
        let map = FieldMap::default();
        let ctx = Context {
            id: "x",
            source: "s",
            ingested_at: jiff::Timestamp::UNIX_EPOCH,
            reference_time: jiff::Timestamp::UNIX_EPOCH,
            year: None,
            timezone: &tz,
            field_map: &map,
        };
        assert!(normalize(serde_json::json!([1]), "[1]", &ctx).is_err());
        assert_eq!(
            normalize(serde_json::json!({"rule": {"level": 1}}), "{}", &ctx),
            Err(NormalizeError::Missing("timestamp"))
        );
    }

    #[test]
    fn reshaped_members_never_panic() {
        let doc: Value = serde_json::from_str(ALERTS.lines().next().unwrap()).unwrap();
        crate::normalize::testkit::decode_every_mutant(&doc, Format::Wazuh);
    }
}
