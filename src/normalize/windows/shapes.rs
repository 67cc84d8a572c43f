//! The three JSON shapes Windows events arrive in (evtx-crate `Event.System` / `EventData`,
//! Winlogbeat `winlog.*`, flattened shipper JSON), each read into one flat [`WinEvent`].

use jiff::Timestamp;
use serde_json::{Map, Number, Value};

use super::super::{Context, NormalizeError, time};
use crate::domain::{Outcome, Severity};

/// The names of the header fields every event gets, as Sigma's Windows rules spell them.
pub(super) const HEADER: [&str; 4] = ["EventID", "Channel", "Provider_Name", "Computer"];

/// One Windows event, whatever shape it came in.
#[derive(Debug)]
pub(super) struct WinEvent {
    pub event_id: i64,
    pub timestamp: Option<Timestamp>,
    pub severity: Option<Severity>,
    /// What the audit keywords say (Security's audit success / failure).
    pub audit: Option<Outcome>,
    /// EventData (or UserData) flat under Windows names, plus the [`HEADER`] fields (where the
    /// source has them; `EventID` always).
    pub fields: Map<String, Value>,
}

/// An `EventID` as a number: `4624`, `"4624"`, or `{"#text": 4624, "#attributes": {..}}`.
fn event_id(v: Option<&Value>) -> Result<i64, NormalizeError> {
    let v = v.ok_or(NormalizeError::Missing("EventID"))?;
    let id = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => return event_id(o.get("#text").or_else(|| o.get("value"))),
        _ => None,
    };
    id.ok_or_else(|| NormalizeError::bad_field("EventID", format!("not a number: {v}")))
}

/// An XML attribute as the evtx crate renders it: `Elem.#attributes.Name`, or with separate
/// attributes `Elem_attributes.Name`.
fn attr<'a>(parent: &'a Map<String, Value>, elem: &str, name: &str) -> Option<&'a Value> {
    parent
        .get(elem)
        .and_then(|e| e.get("#attributes"))
        .and_then(|a| a.get(name))
        .or_else(|| {
            parent
                .get(&format!("{elem}_attributes"))
                .and_then(|a| a.get(name))
        })
}

/// [`attr`], moved out of the map.
fn take_attr(parent: &mut Map<String, Value>, elem: &str, name: &str) -> Option<Value> {
    if let Some(v) = parent
        .get_mut(elem)
        .and_then(|e| e.get_mut("#attributes"))
        .and_then(Value::as_object_mut)
        .and_then(|a| a.remove(name))
    {
        return Some(v);
    }
    parent
        .get_mut(&format!("{elem}_attributes"))
        .and_then(Value::as_object_mut)
        .and_then(|a| a.remove(name))
}

/// A non-empty string, as a header value.
fn text_value(v: Option<Value>) -> Option<Value> {
    v.filter(|v| v.as_str().is_some_and(|s| !s.is_empty() && s != "-"))
}

fn timestamp(v: Option<&Value>, ctx: &Context) -> Result<Option<Timestamp>, NormalizeError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => time::from_value(v, ctx.timezone).map(Some),
    }
}

/// Windows `Level` (1 critical, 2 error, 3 warning) or its name; information and verbose are
/// no severity at all.
fn severity(v: Option<&Value>) -> Option<Severity> {
    let v = v?;
    let level = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(1),
            "error" => Some(2),
            "warning" => Some(3),
            other => other.parse().ok(),
        },
        _ => None,
    }?;
    match level {
        1 => Some(Severity::Critical),
        2 => Some(Severity::High),
        3 => Some(Severity::Medium),
        _ => None,
    }
}

/// Audit success / failure from keywords: the evtx hex mask, NXLog's signed decimal, or the
/// names Winlogbeat and NXLog write.
fn audit(v: Option<&Value>) -> Option<Outcome> {
    match v? {
        Value::Array(items) => items.iter().find_map(|i| audit(Some(i))),
        Value::Number(n) => n.as_i64().and_then(|i| mask(i as u64)),
        Value::String(s) => {
            let s = s.trim();
            let lower = s.to_ascii_lowercase().replace(['_', ' '], "");
            if lower.contains("auditfailure") {
                Some(Outcome::Failure)
            } else if lower.contains("auditsuccess") {
                Some(Outcome::Success)
            } else if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u64::from_str_radix(hex, 16).ok().and_then(mask)
            } else {
                s.parse::<i64>().ok().and_then(|i| mask(i as u64))
            }
        }
        _ => None,
    }
}

/// The audit bits of a Windows keywords mask.
fn mask(bits: u64) -> Option<Outcome> {
    const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;
    const AUDIT_SUCCESS: u64 = 0x0020_0000_0000_0000;
    if bits & AUDIT_FAILURE != 0 {
        Some(Outcome::Failure)
    } else if bits & AUDIT_SUCCESS != 0 {
        Some(Outcome::Success)
    } else {
        None
    }
}

/// Adds the header entries (`EventID`, `Channel`, `Provider_Name`, `Computer`, each a key and
/// value moved out of the source where it had them) after the data; a data field that has one
/// of their names is kept as `EventData_<name>`. (Appending, not inserting at the front: a
/// front insert re-indexes the whole map, which costs more than the rest of the mapping.)
fn add_header(fields: &mut Map<String, Value>, header: [Option<(String, Value)>; 4]) {
    // One pass to see whether the data uses a header name at all (it almost never does).
    if fields.keys().any(|k| HEADER.contains(&k.as_str())) {
        for key in HEADER {
            if let Some(old) = fields.remove(key) {
                fields.insert(format!("EventData_{key}"), old);
            }
        }
    }
    for (key, value) in header.into_iter().flatten() {
        fields.insert(key, value);
    }
}

/// The header entry for a value found under another name (or built).
fn named(name: &str, v: Option<Value>) -> Option<(String, Value)> {
    text_value(v).map(|v| (name.to_string(), v))
}

/// `{"#text": v, "#attributes": {..}}` as just `v`.
fn unwrap_text(v: Value) -> Value {
    match v {
        Value::Object(mut o) if o.contains_key("#text") => o.remove("#text").unwrap_or(Value::Null),
        other => other,
    }
}

/// `EventData` as a flat map (its own map, reused): a Name -> value map as it is,
/// `{"Data": [...]}` items by their `Name` attribute, and unnamed data as `Data` (one value,
/// or an array of them).
pub(super) fn event_data(data: Value) -> Map<String, Value> {
    let mut map = match data {
        Value::Object(map) => map,
        Value::Null => return Map::new(),
        other => {
            let mut map = Map::new();
            map.insert("Data".into(), unwrap_text(other));
            return map;
        }
    };
    // One pass to see whether anything needs reshaping (a plain Name -> value map does not).
    let special = map
        .iter()
        .any(|(k, v)| k.starts_with('#') || k == "Data" || v.is_object());
    if !special {
        return map;
    }
    map.shift_remove("#attributes");
    let data = map.shift_remove("Data");
    let text = map.shift_remove("#text");
    for v in map.values_mut() {
        if v.as_object().is_some_and(|o| o.contains_key("#text")) {
            *v = unwrap_text(v.take());
        }
    }
    if data.is_some() || text.is_some() {
        let mut unnamed = Vec::new();
        for d in [data, text].into_iter().flatten() {
            data_items(d, &mut map, &mut unnamed);
        }
        match unnamed.len() {
            0 => {}
            1 => {
                map.insert("Data".into(), unnamed.remove(0));
            }
            _ => {
                map.insert("Data".into(), Value::Array(unnamed));
            }
        }
    }
    map
}

fn data_items(value: Value, fields: &mut Map<String, Value>, unnamed: &mut Vec<Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                data_items(item, fields, unnamed);
            }
        }
        Value::Object(mut o) => {
            let name = o
                .get("#attributes")
                .and_then(|a| a.get("Name"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let text = o.remove("#text").unwrap_or(Value::Null);
            match name {
                Some(name) => {
                    fields.insert(name, text);
                }
                None if o.is_empty() || o.len() == 1 && o.contains_key("#attributes") => {
                    data_items(text, fields, unnamed)
                }
                // An object that is not a Data element: keep what it holds, unflattened.
                None => {
                    if !text.is_null() {
                        o.insert("#text".into(), text);
                    }
                    unnamed.push(Value::Object(o));
                }
            }
        }
        Value::Null => {}
        other => unnamed.push(other),
    }
}

/// Flattens `UserData` into `fields`: the fields of its element(s), attributes left out.
pub(super) fn flatten_user_data(data: Value, fields: &mut Map<String, Value>) {
    let Value::Object(data) = data else { return };
    for (key, value) in data {
        match value {
            Value::Object(inner) => {
                for (k, v) in inner {
                    if k != "#attributes" {
                        fields.insert(k, unwrap_text(v));
                    }
                }
            }
            other if key != "#attributes" => {
                fields.insert(key, other);
            }
            _ => {}
        }
    }
}

/// The evtx-crate shape: `{"Event": {"System": {..}, "EventData": {..}}}`. Values are moved
/// out of the document, not copied.
pub(super) fn from_evtx(
    mut root: Map<String, Value>,
    ctx: &Context,
) -> Result<WinEvent, NormalizeError> {
    let Some(Value::Object(mut event)) = root.remove("Event") else {
        return Err(NormalizeError::Missing("Event"));
    };
    let mut system = match event.remove("System") {
        Some(Value::Object(system)) => system,
        _ => Map::new(),
    };
    let event_id = event_id(system.get("EventID"))?;
    let timestamp = timestamp(attr(&system, "TimeCreated", "SystemTime"), ctx)?;
    let severity = severity(system.get("Level"));
    let audit = audit(system.get("Keywords"));
    let mut fields = event
        .remove("EventData")
        .map(event_data)
        .unwrap_or_default();
    if let Some(data) = event.remove("UserData") {
        flatten_user_data(data, &mut fields);
    }
    let id_key = system
        .remove_entry("EventID")
        .map_or_else(|| "EventID".to_string(), |(k, _)| k);
    let provider = named("Provider_Name", take_attr(&mut system, "Provider", "Name"));
    let header = [
        Some((id_key, Value::Number(Number::from(event_id)))),
        own(&mut system, "Channel"),
        provider,
        own(&mut system, "Computer"),
    ];
    add_header(&mut fields, header);
    Ok(WinEvent {
        event_id,
        timestamp,
        severity,
        audit,
        fields,
    })
}

/// A header entry moved, key and all, out of `map`.
fn own(map: &mut Map<String, Value>, key: &str) -> Option<(String, Value)> {
    map.remove_entry(key)
        .and_then(|(k, v)| text_value(Some(v)).map(|v| (k, v)))
}

fn take_str(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    text_value(map.remove(key))
}

/// Winlogbeat: `winlog.{event_id, channel, provider_name, computer_name, event_data}` with
/// `@timestamp` and `host.name` (and Winlogbeat 6's top-level `event_data`, `log_name`, ...).
pub(super) fn from_winlogbeat(
    mut root: Map<String, Value>,
    ctx: &Context,
) -> Result<WinEvent, NormalizeError> {
    let mut winlog = match root.remove("winlog") {
        Some(Value::Object(w)) => w,
        _ => Map::new(),
    };
    let id_value = winlog
        .get("event_id")
        .or_else(|| root.get("event_id"))
        .or_else(|| root.get("event").and_then(|e| e.get("code")));
    let event_id = event_id(id_value)?;
    let timestamp = timestamp(root.get("@timestamp"), ctx)?;
    let severity = severity(root.get("log").and_then(|l| l.get("level")));
    let audit = audit(winlog.get("keywords")).or_else(|| {
        match root
            .get("event")
            .and_then(|e| e.get("outcome"))
            .and_then(Value::as_str)
        {
            Some("success") => Some(Outcome::Success),
            Some("failure") => Some(Outcome::Failure),
            _ => None,
        }
    });
    let channel = take_str(&mut winlog, "channel").or_else(|| take_str(&mut root, "log_name"));
    let provider =
        take_str(&mut winlog, "provider_name").or_else(|| take_str(&mut root, "source_name"));
    let host = root.get_mut("host").and_then(Value::as_object_mut);
    let host_name = host.and_then(|h| take_str(h, "name").or_else(|| take_str(h, "hostname")));
    let computer = take_str(&mut winlog, "computer_name")
        .or_else(|| take_str(&mut root, "computer_name"))
        .or(host_name);
    let mut fields = winlog
        .remove("event_data")
        .or_else(|| root.remove("event_data"))
        .map(event_data)
        .unwrap_or_default();
    if let Some(data) = winlog
        .remove("user_data")
        .or_else(|| root.remove("user_data"))
    {
        flatten_user_data(data, &mut fields);
    }
    let header = [
        Some(("EventID".to_string(), Value::Number(Number::from(event_id)))),
        named("Channel", channel),
        named("Provider_Name", provider),
        named("Computer", computer),
    ];
    add_header(&mut fields, header);
    Ok(WinEvent {
        event_id,
        timestamp,
        severity,
        audit,
        fields,
    })
}

/// Flattened shipper JSON (OTRF Security-Datasets, NXLog): `EventID`, `Channel`,
/// `Hostname`/`Computer`, `SourceName`/`ProviderName`, a time, and the EventData fields at the
/// top level. The whole document becomes the fields, with `EventID` made a number and
/// `Provider_Name` / `Computer` added from the shipper's names.
pub(super) fn from_flat(
    mut root: Map<String, Value>,
    ctx: &Context,
) -> Result<WinEvent, NormalizeError> {
    let event_id = event_id(root.get("EventID"))?;
    let time_value = match root.get("TimeCreated") {
        Some(t @ Value::Object(_)) => t.get("#attributes").and_then(|a| a.get("SystemTime")),
        other => other,
    };
    let timestamp = match time_value.filter(|v| !v.is_null()) {
        Some(v) => Some(time::from_value(v, ctx.timezone)?),
        None => match root.get("@timestamp").or_else(|| root.get("EventTime")) {
            Some(v) => timestamp(Some(v), ctx)?,
            // Sysmon's own `UtcTime` is UTC without saying so.
            None => match root.get("UtcTime") {
                Some(v) => Some(time::from_value(v, &jiff::tz::TimeZone::UTC)?),
                None => None,
            },
        },
    };
    let severity = severity(root.get("Level"));
    let audit = audit(root.get("Keywords")).or_else(|| audit(root.get("EventType")));
    root.insert("EventID".into(), Value::Number(Number::from(event_id)));
    for (key, aliases) in [
        (
            "Provider_Name",
            &["SourceName", "ProviderName", "Provider"][..],
        ),
        ("Computer", &["Hostname", "ComputerName"][..]),
    ] {
        if !root.contains_key(key)
            && let Some(v) = aliases
                .iter()
                .find_map(|a| text_value(root.get(*a).cloned()))
        {
            root.insert(key.into(), v);
        }
    }
    if let Some(data) = root.shift_remove("EventData") {
        for (key, value) in event_data(data) {
            root.entry(key).or_insert(value);
        }
    }
    Ok(WinEvent {
        event_id,
        timestamp,
        severity,
        audit,
        fields: root,
    })
}
