//! Logsource routing and field mapping: which tocsin events a Sigma logsource covers, and how a
//! Sigma field name is read from a normalised [`Event`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rsigma_eval::{Event as SigmaEventTrait, EventValue};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::DetectError;
use crate::domain::Event;

/// The built-in mapping (`data/sigma-mapping.toml`).
pub const DEFAULT_MAPPING: &str = include_str!("../../data/sigma-mapping.toml");

/// A Sigma logsource: product, category and service, each optional, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LogsourceKey {
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
}

impl LogsourceKey {
    /// A key from the three parts, lower-cased.
    pub fn new(product: Option<&str>, category: Option<&str>, service: Option<&str>) -> Self {
        let low = |s: Option<&str>| s.map(str::to_ascii_lowercase);
        LogsourceKey {
            product: low(product),
            category: low(category),
            service: low(service),
        }
    }
}

impl std::fmt::Display for LogsourceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "product={} category={} service={}",
            self.product.as_deref().unwrap_or("-"),
            self.category.as_deref().unwrap_or("-"),
            self.service.as_deref().unwrap_or("-")
        )
    }
}

/// One route: a logsource and the events it covers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    /// Dataset names; a trailing `*` makes a prefix.
    pub datasets: Vec<String>,
    /// Windows channels (any case); empty: any.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Windows event ids; empty: any.
    #[serde(default)]
    pub event_ids: Vec<i64>,
    /// Syslog programs (`fields.program`); empty: any.
    #[serde(default)]
    pub programs: Vec<String>,
    /// Sigma field name -> the event's field names, first present wins.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
}

impl Route {
    /// The logsource this route serves.
    pub fn key(&self) -> LogsourceKey {
        LogsourceKey::new(
            self.product.as_deref(),
            self.category.as_deref(),
            self.service.as_deref(),
        )
    }

    /// Whether an event belongs to this route.
    pub fn covers(&self, e: &Event) -> bool {
        let dataset_ok = self.datasets.iter().any(|d| match d.strip_suffix('*') {
            Some(prefix) => e.dataset.starts_with(prefix),
            None => e.dataset == *d,
        });
        if !dataset_ok {
            return false;
        }
        if !self.channels.is_empty() {
            let Some(ch) = e.fields.get("Channel").and_then(Value::as_str) else {
                return false;
            };
            if !self.channels.iter().any(|c| c.eq_ignore_ascii_case(ch)) {
                return false;
            }
        }
        if !self.event_ids.is_empty() {
            let Some(id) = e.fields.get("EventID").and_then(int_of) else {
                return false;
            };
            if !self.event_ids.contains(&id) {
                return false;
            }
        }
        if !self.programs.is_empty() {
            let Some(p) = e.fields.get("program").and_then(Value::as_str) else {
                return false;
            };
            if !self.programs.iter().any(|x| x == p) {
                return false;
            }
        }
        true
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    route: Vec<Route>,
}

/// Every route, from the built-in file and an optional override.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    pub routes: Vec<Route>,
}

impl Mapping {
    /// Parses a mapping file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, DetectError> {
        let file: MappingFile = toml::from_str(text).map_err(|e| DetectError::Mapping {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Mapping { routes: file.route })
    }

    /// The built-in mapping, with `override_path`'s routes replacing those of every logsource
    /// it names (an empty path: none).
    pub fn load(override_path: &Path) -> Result<Self, DetectError> {
        let mut base = Mapping::parse(DEFAULT_MAPPING, "built-in sigma mapping")?;
        if override_path.as_os_str().is_empty() {
            return Ok(base);
        }
        let text = std::fs::read_to_string(override_path).map_err(|e| DetectError::Mapping {
            origin: override_path.display().to_string(),
            reason: e.to_string(),
        })?;
        let extra = Mapping::parse(&text, &override_path.display().to_string())?;
        let replaced: Vec<LogsourceKey> = extra.routes.iter().map(Route::key).collect();
        base.routes.retain(|r| !replaced.contains(&r.key()));
        base.routes.extend(extra.routes);
        Ok(base)
    }

    /// Route indexes per logsource.
    pub fn by_logsource(&self) -> HashMap<LogsourceKey, Vec<usize>> {
        let mut out: HashMap<LogsourceKey, Vec<usize>> = HashMap::new();
        for (i, r) in self.routes.iter().enumerate() {
            out.entry(r.key()).or_default().push(i);
        }
        out
    }
}

/// A normalised event as the Sigma evaluator sees it through one route's field names.
pub struct SigmaView<'a> {
    pub event: &'a Event,
    pub fields: Option<&'a BTreeMap<String, Vec<String>>>,
}

impl<'a> SigmaView<'a> {
    /// The event seen through `route` (None: no renaming).
    pub fn new(event: &'a Event, route: Option<&'a Route>) -> Self {
        SigmaView {
            event,
            fields: route.map(|r| &r.fields).filter(|f| !f.is_empty()),
        }
    }

    fn lookup(&self, path: &str) -> Option<EventValue<'a>> {
        let e = self.event;
        if let Some(v) = e.fields.get(path) {
            return Some(EventValue::from(v));
        }
        if path.contains('.')
            && let Some(v) = descend(&e.fields, path)
        {
            return Some(EventValue::from(v));
        }
        let s = |v: &'a str| Some(EventValue::Str(Cow::Borrowed(v)));
        match path {
            "host" => e.host.as_deref().and_then(s),
            "user" => e.user.as_deref().and_then(s),
            "process" => e.process.as_deref().and_then(s),
            "command_line" => e.command_line.as_deref().and_then(s),
            "action" => e.action.as_deref().and_then(s),
            "message" => s(&e.message),
            "dataset" => s(&e.dataset),
            "id" => s(&e.id),
            "src_ip" => e.src_ip.map(|i| EventValue::Str(Cow::Owned(i.to_string()))),
            "dst_ip" => e.dst_ip.map(|i| EventValue::Str(Cow::Owned(i.to_string()))),
            "src_port" => e.src_port.map(|p| EventValue::Int(p.into())),
            "dst_port" => e.dst_port.map(|p| EventValue::Int(p.into())),
            "pid" => e.pid.map(|p| EventValue::Int(p.into())),
            "outcome" => e
                .outcome
                .map(|o| EventValue::Str(Cow::Owned(o.to_string()))),
            _ => None,
        }
    }
}

/// `a.b.c` inside nested objects (arrays by index).
fn descend<'v>(map: &'v Map<String, Value>, path: &str) -> Option<&'v Value> {
    let mut parts = path.split('.');
    let mut cur = map.get(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn visit_strings<'v>(v: &'v Value, f: &mut dyn FnMut(&'v str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| visit_strings(x, f)),
        Value::Object(m) => m.values().for_each(|x| visit_strings(x, f)),
        _ => {}
    }
}

impl SigmaEventTrait for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if let Some(targets) = self.fields.and_then(|m| m.get(path)) {
            for t in targets {
                if let Some(v) = self.lookup(t) {
                    return Some(v);
                }
            }
        }
        self.lookup(path)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut hit = pred(&self.event.message);
        if !hit {
            for v in self.event.fields.values() {
                visit_strings(v, &mut |s| hit = hit || pred(s));
                if hit {
                    break;
                }
            }
        }
        hit
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = vec![Cow::Borrowed(self.event.message.as_str())];
        for v in self.event.fields.values() {
            visit_strings(v, &mut |s| out.push(Cow::Borrowed(s)));
        }
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        visit(&self.event.message);
        for v in self.event.fields.values() {
            visit_strings(v, &mut |s| visit(s));
        }
    }

    fn to_json(&self) -> Value {
        let mut m = self.event.fields.clone();
        m.insert("id".into(), Value::String(self.event.id.clone()));
        m.insert("message".into(), Value::String(self.event.message.clone()));
        m.insert("dataset".into(), Value::String(self.event.dataset.clone()));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_mapping_parses_and_routes_sysmon_by_event_id() {
        let m = Mapping::parse(DEFAULT_MAPPING, "built-in").unwrap();
        let by = m.by_logsource();
        let pc = LogsourceKey::new(Some("windows"), Some("process_creation"), None);
        assert!(by[&pc].len() >= 2, "sysmon 1 and security 4688");
        let mut e = Event::new(
            "e1".into(),
            jiff::Timestamp::UNIX_EPOCH,
            jiff::Timestamp::UNIX_EPOCH,
            "t",
            "sysmon",
            "evtx",
            String::new(),
            String::new(),
        );
        e.fields.insert("EventID".into(), Value::from(1));
        let routes: Vec<&Route> = by[&pc].iter().map(|&i| &m.routes[i]).collect();
        assert!(routes.iter().any(|r| r.covers(&e)));
        e.fields.insert("EventID".into(), Value::from(3));
        assert!(!routes.iter().any(|r| r.covers(&e)));
    }

    #[test]
    fn view_reads_renamed_nested_and_normalised_fields() {
        let mut e = Event::new(
            "e1".into(),
            jiff::Timestamp::UNIX_EPOCH,
            jiff::Timestamp::UNIX_EPOCH,
            "t",
            "suricata.http",
            "suricata",
            "GET /".into(),
            String::new(),
        );
        e.user = Some("root".into());
        e.fields.insert(
            "http".into(),
            serde_json::json!({"url": "/x.php", "hostname": "a.example"}),
        );
        let route: Route =
            toml::from_str("datasets = [\"suricata.http\"]\nfields = { c-uri = [\"http.url\"] }")
                .unwrap();
        let v = SigmaView::new(&e, Some(&route));
        assert_eq!(
            v.get_field("c-uri"),
            Some(EventValue::Str(Cow::Borrowed("/x.php")))
        );
        assert_eq!(
            v.get_field("user"),
            Some(EventValue::Str(Cow::Borrowed("root")))
        );
        assert!(v.any_string_value(&|s| s == "a.example"));
        assert!(v.get_field("nope").is_none());
    }
}
