//! The queue's filter language, typed after `/`: `key:value` terms narrow the queue and the
//! remaining words search rule names, summaries, hosts, users and addresses.
//!
//! `sev:high` (at least high), `status:open|all|new,acknowledged`, `src:wazuh`, `tech:T1110`,
//! `assignee:me|none|NAME`, `since:24h`, `until:2026-11-20`, `entity:10.0.0.5` (also `host:`,
//! `user:`, `ip:`), `case:CASE-2026-0001`, `like:ALERT_ID` (the alerts most like that one, by
//! meaning: what `m` sets).

use crate::domain::{AlertSource, AlertStatus, Severity};
use crate::store::AlertFilter;

/// The statuses `status:open` (and the default queue) shows: work still to do.
pub const OPEN: &[AlertStatus] = &[
    AlertStatus::New,
    AlertStatus::Acknowledged,
    AlertStatus::InProgress,
    AlertStatus::Escalated,
];

/// The filter a fresh console starts with.
pub const DEFAULT: &str = "status:open";

/// The keys the language knows, for completion and the error message.
pub const KEYS: &[&str] = &[
    "sev:",
    "status:",
    "src:",
    "tech:",
    "assignee:",
    "since:",
    "until:",
    "entity:",
    "host:",
    "user:",
    "ip:",
    "case:",
    "like:",
];

/// Parses `text` into a filter; `me` is the analyst's name for `assignee:me`.
pub fn parse(text: &str, me: &str) -> Result<AlertFilter, String> {
    let mut f = AlertFilter::default();
    let mut words: Vec<&str> = Vec::new();
    for term in text.split_whitespace() {
        let Some((key, value)) = term.split_once(':').filter(|(k, v)| {
            !v.is_empty() && KEYS.iter().any(|known| known.trim_end_matches(':') == *k)
        }) else {
            words.push(term);
            continue;
        };
        match key {
            "sev" => {
                f.min_severity =
                    Some(value.parse::<Severity>().map_err(|_| {
                        format!("sev:{value}: use info, low, medium, high or critical")
                    })?)
            }
            "status" => f.statuses = statuses(value)?,
            "src" => {
                f.source = Some(
                    value
                        .parse::<AlertSource>()
                        .map_err(|e| format!("src:{value}: {e}"))?,
                )
            }
            "tech" => f.technique = Some(value.to_ascii_uppercase()),
            "assignee" => {
                f.assignee = Some(match value {
                    "me" => me.to_string(),
                    "none" => String::new(),
                    name => name.to_string(),
                })
            }
            "since" => f.since = Some(time(value)?),
            "until" => f.until = Some(time(value)?),
            "entity" | "host" | "user" | "ip" => f.entity = Some(value.to_string()),
            "case" => f.case_id = Some(value.to_ascii_uppercase()),
            "like" => f.like = Some(value.to_ascii_lowercase()),
            _ => words.push(term),
        }
    }
    if !words.is_empty() {
        f.text = Some(words.join(" "));
    }
    Ok(f)
}

fn statuses(value: &str) -> Result<Vec<AlertStatus>, String> {
    match value {
        "open" => Ok(OPEN.to_vec()),
        "all" => Ok(Vec::new()),
        list => list
            .split(',')
            .map(|s| {
                s.parse::<AlertStatus>()
                    .map_err(|e| format!("status:{s}: {e} (or open, all)"))
            })
            .collect(),
    }
}

fn time(value: &str) -> Result<jiff::Timestamp, String> {
    crate::cli::parse_time(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_words() {
        let f = parse(
            "sev:high status:new src:wazuh tech:t1110 brute force",
            "ana",
        )
        .unwrap();
        assert_eq!(f.min_severity, Some(Severity::High));
        assert_eq!(f.statuses, vec![AlertStatus::New]);
        assert_eq!(f.source, Some(AlertSource::Wazuh));
        assert_eq!(f.technique.as_deref(), Some("T1110"));
        assert_eq!(f.text.as_deref(), Some("brute force"));
    }

    #[test]
    fn open_all_me_none() {
        assert_eq!(parse("status:open", "x").unwrap().statuses, OPEN.to_vec());
        assert!(parse("status:all", "x").unwrap().statuses.is_empty());
        assert_eq!(
            parse("assignee:me", "ana").unwrap().assignee.as_deref(),
            Some("ana")
        );
        assert_eq!(
            parse("assignee:none", "ana").unwrap().assignee.as_deref(),
            Some("")
        );
        assert!(parse("since:24h", "x").unwrap().since.is_some());
    }

    #[test]
    fn unknown_keys_are_text_and_bad_values_are_errors() {
        assert_eq!(
            parse("http://x", "a").unwrap().text.as_deref(),
            Some("http://x")
        );
        assert!(parse("sev:urgent", "a").unwrap_err().contains("sev:urgent"));
        assert!(
            parse("status:pending", "a")
                .unwrap_err()
                .contains("pending")
        );
        assert!(parse("since:yesterday", "a").is_err());
    }
}
