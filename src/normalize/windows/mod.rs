//! Windows events, from JSON (evtx-crate / `evtx_dump -o json` output, Winlogbeat, flattened
//! shipper JSON) and binary `.evtx` files, normalised to one event shape.
//!
//! Whatever the shape, `fields` is a flat object with the EventData (or UserData) fields under
//! their Windows names (`Image`, `CommandLine`, `TargetObject`, ...) plus `EventID` (a number),
//! `Channel`, `Provider_Name` and `Computer`: the names Sigma's Windows rules use.

mod evtx;
mod mapping;
mod shapes;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use super::{Context, NormalizeError, Parsed, Record, json};
use crate::domain::Event;

pub use evtx::evtx_records;

use mapping::Log;

/// Normalises one Windows event given as JSON, in any of the three shapes: evtx-crate
/// (`Event.System` + `Event.EventData` / `Event.UserData`), Winlogbeat (`winlog.*`), or
/// flattened (`EventID`, `Channel`, ... and the data at the top level). The event's format is
/// `windows_json`; for records read from a binary file by [`evtx_records`] the caller sets
/// `evtx`. A missing or non-numeric `EventID`, or a present but unreadable time, is an error.
pub fn normalize(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let Value::Object(root) = value else {
        return Err(NormalizeError::Unrecognised {
            format: "windows_json",
            problem: "not a JSON object".into(),
        });
    };
    let win = if root.get("Event").is_some_and(|e| e.get("System").is_some()) {
        shapes::from_evtx(root, ctx)?
    } else if root.contains_key("winlog")
        || (root.contains_key("event_data") && root.contains_key("event_id"))
    {
        shapes::from_winlogbeat(root, ctx)?
    } else {
        shapes::from_flat(root, ctx)?
    };
    Ok(Parsed::Record(Record::event(build(win, raw, ctx))))
}

/// The data fields that feed the event's own columns, each list in order of preference.
const PROCESS: [&str; 5] = [
    "Image",
    "NewProcessName",
    "ProcessName",
    "SourceImage",
    "Process Name",
];
const PID: [&str; 3] = ["ProcessId", "NewProcessId", "SourceProcessId"];
const USER: [&str; 6] = [
    "User",
    "TargetUserName",
    "SubjectUserName",
    "SourceUser",
    "UserName",
    "Detection User",
];
const SRC_IP: [&str; 3] = ["SourceIp", "IpAddress", "SourceAddress"];
const SRC_PORT: [&str; 2] = ["SourcePort", "IpPort"];
const DST_IP: [&str; 2] = ["DestinationIp", "DestAddress"];
const DST_PORT: [&str; 2] = ["DestinationPort", "DestPort"];

/// The candidates for each event column, found in one pass over the fields (a pass is much
/// cheaper than two dozen map lookups, most of which miss).
#[derive(Default)]
struct Picks<'a> {
    process: [Option<&'a Value>; 5],
    pid: [Option<&'a Value>; 3],
    user: [Option<&'a Value>; 6],
    src_ip: [Option<&'a Value>; 3],
    src_port: [Option<&'a Value>; 2],
    dst_ip: [Option<&'a Value>; 2],
    dst_port: [Option<&'a Value>; 2],
    command_line: Option<&'a Value>,
    channel: Option<&'a str>,
    provider: Option<&'a str>,
    computer: Option<&'a str>,
}

impl<'a> Picks<'a> {
    fn of(fields: &'a Map<String, Value>) -> Self {
        fn slot<'a, const N: usize>(
            names: &[&str; N],
            slots: &mut [Option<&'a Value>; N],
            key: &str,
            v: &'a Value,
        ) -> bool {
            match names.iter().position(|n| *n == key) {
                Some(i) => {
                    slots[i] = Some(v);
                    true
                }
                None => false,
            }
        }
        let mut p = Picks::default();
        for (k, v) in fields {
            let k = k.as_str();
            match k {
                "CommandLine" => p.command_line = Some(v),
                "Channel" => p.channel = v.as_str(),
                "Provider_Name" => p.provider = v.as_str(),
                "Computer" => p.computer = v.as_str(),
                _ => {}
            }
            // Each name belongs to one list at most: stop at the first that takes it.
            let _taken = slot(&PROCESS, &mut p.process, k, v)
                || slot(&PID, &mut p.pid, k, v)
                || slot(&USER, &mut p.user, k, v)
                || slot(&SRC_IP, &mut p.src_ip, k, v)
                || slot(&SRC_PORT, &mut p.src_port, k, v)
                || slot(&DST_IP, &mut p.dst_ip, k, v)
                || slot(&DST_PORT, &mut p.dst_port, k, v);
        }
        p
    }
}

/// The first candidate that gives a value.
fn pick<T>(slots: &[Option<&Value>], f: impl Fn(&Value) -> Option<T>) -> Option<T> {
    slots.iter().flatten().find_map(|v| f(v))
}

fn ip(v: &Value) -> Option<std::net::IpAddr> {
    v.as_str().and_then(|s| s.trim().parse().ok())
}

fn port(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn build(win: shapes::WinEvent, raw: &str, ctx: &Context) -> Event {
    let fields = Value::Object(win.fields);
    let empty = Map::new();
    let p = Picks::of(fields.as_object().unwrap_or(&empty));
    let log = Log::of(p.channel, p.provider);
    let dataset = mapping::dataset(log, p.channel);
    let action = mapping::action(log, win.event_id);
    let message = mapping::message(log, p.provider, p.channel, win.event_id, action, &fields);
    let mut e = Event::new(
        ctx.id.to_string(),
        win.timestamp.unwrap_or(ctx.ingested_at),
        ctx.ingested_at,
        ctx.source,
        &dataset,
        "windows_json",
        message,
        raw.to_string(),
    );
    e.host = p.computer.map(str::to_string);
    e.process = pick(&p.process, json::scalar_text);
    e.pid = pick(&p.pid, mapping::pid);
    e.command_line = p.command_line.and_then(json::scalar_text);
    e.user = pick(&p.user, json::scalar_text);
    e.src_ip = pick(&p.src_ip, ip);
    e.src_port = pick(&p.src_port, port);
    e.dst_ip = pick(&p.dst_ip, ip);
    e.dst_port = pick(&p.dst_port, port);
    e.outcome = mapping::outcome(log, win.event_id, &fields, win.audit);
    e.action = action.map(str::to_string);
    e.severity = win.severity;
    if let Value::Object(fields) = fields {
        e.fields = fields;
    }
    e
}
