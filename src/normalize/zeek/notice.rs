//! Zeek notices as alerts: the notice type is the rule, and the connection, `src`, `dst` and
//! the notice's subject are the entities.

use std::net::IpAddr;

use serde_json::Value;

use super::super::{Context, json};
use super::line::{MESSAGE_MAX, one_line};
use crate::domain::{Alert, AlertSource, Entities, Event, RuleRef, Severity, derived_id};

/// The alert a Zeek notice raises: rule = the notice type, severity medium, entities from the
/// connection plus the notice's `src`, `dst` and `sub`.
pub(super) fn notice_alert(e: &Event, v: &Value, ctx: &Context) -> Alert {
    let note = json::str_at(v, "note").unwrap_or("Notice::Unknown");
    let msg = json::str_at(v, "msg");
    let rule = RuleRef {
        id: note.to_string(),
        name: match msg {
            Some(msg) => format!("{note}: {}", one_line(msg, MESSAGE_MAX)),
            None => note.to_string(),
        },
        source: AlertSource::Zeek,
    };
    let summary = msg
        .map(|m| one_line(m, MESSAGE_MAX))
        .unwrap_or_else(|| e.message.clone());
    let mut alert = Alert::from_event(
        derived_id(ctx.id, "alert"),
        rule,
        Severity::Medium,
        e,
        summary,
    );
    for key in ["src", "dst"] {
        if let Some(ip) = json::ip_at(v, key) {
            alert.entities.add_ip(&ip.to_string());
        }
    }
    if let Some(sub) = json::str_at(v, "sub") {
        add_subject(&mut alert.entities, sub);
    }
    alert
}

/// A notice's `sub` as an entity: an address, a certificate subject's `CN`, or a host name.
fn add_subject(entities: &mut Entities, sub: &str) {
    let sub = sub.trim();
    if let Ok(ip) = sub.parse::<IpAddr>() {
        entities.add_ip(&ip.to_string());
    } else if let Some(cn) = common_name(sub) {
        entities.add_domain(&cn);
    } else if !sub.contains([' ', '=', ',', '/']) && sub.contains('.') {
        entities.add_domain(sub);
    }
}

/// The `CN=` part of a distinguished name (`\,` is an escaped comma inside a value).
fn common_name(dn: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = dn.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ',' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts.into_iter().find_map(|p| {
        p.trim()
            .strip_prefix("CN=")
            .map(str::to_string)
            .filter(|cn| !cn.is_empty())
    })
}
