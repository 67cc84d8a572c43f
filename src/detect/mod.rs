//! Detection: Sigma rules (detection and correlation) evaluated on every normalised event, each
//! rule seeing only the events of its logsource, matches turned into alerts.
//!
//! The evaluator is `rsigma-eval` (rules parsed by `rsigma-parser`); tocsin adds the logsource
//! routing and field mapping ([`mapping`]), rule loading with per-file refusals ([`rules`]) and
//! the alert shape ([`alerts`]).

pub mod alerts;
pub mod events;
pub mod mapping;
pub mod rules;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rsigma_eval::{
    CorrelationConfig, CorrelationEngine, CorrelationEventMode, Engine, EvaluationResult,
    ResultBody,
};
use rsigma_parser::Level;
use serde::Serialize;

use crate::domain::{Alert, Event};
use mapping::{LogsourceKey, Mapping, SigmaView};
use rules::{Refusal, RuleSet};

/// Why detection could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("sigma mapping {origin}: {reason}")]
    Mapping { origin: String, reason: String },
    #[error("{0}")]
    Read(String),
}

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Rule folders (or files).
    pub rules: Vec<PathBuf>,
    /// Load tocsin's own embedded rules too.
    pub builtin_rules: bool,
    /// A mapping file whose routes replace the built-in ones per logsource (empty: none).
    pub mapping: PathBuf,
}

/// What loading a rule set did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    /// Rule files read.
    pub files: usize,
    /// Detection rules compiled and in use.
    pub rules: usize,
    /// Correlation rules in use.
    pub correlations: usize,
    /// Loaded rules whose logsource no tocsin event has (no route in the mapping), by
    /// logsource.
    pub unrouted: usize,
    pub unrouted_logsources: Vec<(String, usize)>,
    /// Files (or documents in them) refused, with the reason.
    pub refused: Vec<Refusal>,
}

/// One rule that matched one event.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMatch {
    pub rule_id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    pub tags: Vec<String>,
    /// A correlation firing (otherwise a single-event detection).
    pub correlation: bool,
    /// A detection that only feeds correlations (raises no alert of its own).
    pub correlation_only: bool,
    /// For correlations: the group-by values and the aggregated value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// For correlations: the ids of the events in the window (the triggering one last).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_ids: Vec<String>,
}

/// The (rule group, route) pairs one kind of event goes through.
type RoutePairs = Arc<Vec<(usize, usize)>>;

struct Group {
    routes: Vec<usize>,
    engine: Engine,
}

/// The loaded rule set, ready to evaluate events. Safe to share between threads: correlation
/// state sits behind a lock.
pub struct Detector {
    mapping: Mapping,
    groups: Vec<Group>,
    /// (dataset, channel, event id, program) -> (group, route) pairs.
    cache: Mutex<HashMap<String, RoutePairs>>,
    correlation: Option<Mutex<CorrelationEngine>>,
    /// Ids of the rules whose matches feed correlations.
    correlated: HashSet<String>,
    /// Event ids already put into a correlation alert, per correlation group: a firing that
    /// repeats while the window stays above the threshold carries only the new events.
    emitted: Mutex<HashMap<String, HashSet<String>>>,
    /// Rule ids whose matches only feed correlations.
    correlation_only: HashSet<String>,
    pub report: LoadReport,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.report.rules)
            .field("correlations", &self.report.correlations)
            .finish()
    }
}

impl Detector {
    /// Loads the rules and mapping that `settings` name. Bad rules are refused in the report,
    /// never an error; only a broken mapping file is.
    pub fn load(settings: &Settings) -> Result<Detector, DetectError> {
        let mapping = Mapping::load(&settings.mapping)?;
        let set = RuleSet::load(&settings.rules, settings.builtin_rules);
        Ok(Detector::build(set, mapping))
    }

    /// Compiles a parsed rule set against a mapping.
    pub fn build(set: RuleSet, mapping: Mapping) -> Detector {
        let mut report = LoadReport {
            files: set.files,
            refused: set.refused,
            ..LoadReport::default()
        };
        let by_logsource = mapping.by_logsource();
        let mut grouped: HashMap<LogsourceKey, Vec<&rules::Loaded>> = HashMap::new();
        for r in &set.rules {
            let ls = &r.rule.logsource;
            let key = LogsourceKey::new(
                ls.product.as_deref(),
                ls.category.as_deref(),
                ls.service.as_deref(),
            );
            grouped.entry(key).or_default().push(r);
        }
        let mut keys: Vec<LogsourceKey> = grouped.keys().cloned().collect();
        keys.sort();
        let mut groups = Vec::new();
        let mut unrouted: Vec<(String, usize)> = Vec::new();
        let mut compiled: Vec<&rules::Loaded> = Vec::new();
        for key in keys {
            let members = &grouped[&key];
            let mut engine = Engine::new();
            let errors = engine.add_rules(members.iter().map(|r| &r.rule));
            let failed: HashSet<usize> = errors.iter().map(|(i, _)| *i).collect();
            for (i, e) in errors {
                if let Some(r) = members.get(i) {
                    report.refused.push(Refusal {
                        path: r.path.clone(),
                        reason: format!("{}: {e}", r.rule.title),
                    });
                }
            }
            let ok = members.len() - failed.len();
            report.rules += ok;
            compiled.extend(
                members
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !failed.contains(i))
                    .map(|(_, r)| *r),
            );
            match by_logsource.get(&key) {
                Some(routes) => {
                    for f in &set.filters {
                        // A filter naming rules of other logsources does not apply here.
                        let _ = engine.apply_filter(f);
                    }
                    groups.push(Group {
                        routes: routes.clone(),
                        engine,
                    });
                }
                None => {
                    report.unrouted += ok;
                    if ok > 0 {
                        unrouted.push((key.to_string(), ok));
                    }
                }
            }
        }
        unrouted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        report.unrouted_logsources = unrouted;

        let mut correlated = HashSet::new();
        let mut correlation_only = HashSet::new();
        let mut correlation = None;
        if !set.correlations.is_empty() {
            let config = CorrelationConfig {
                correlation_event_mode: CorrelationEventMode::Refs,
                max_correlation_events: 100,
                ..CorrelationConfig::default()
            };
            let mut ce = CorrelationEngine::new(config);
            let referenced: HashSet<&String> = set
                .correlations
                .iter()
                .flat_map(|c| c.rule.rules.iter())
                .collect();
            let generating: HashSet<&String> = set
                .correlations
                .iter()
                .filter(|c| c.rule.generate)
                .flat_map(|c| c.rule.rules.iter())
                .collect();
            for r in &compiled {
                let refs: Vec<&String> = r.rule.id.iter().chain(r.rule.name.iter()).collect();
                if refs.iter().any(|x| referenced.contains(*x)) {
                    correlated.extend(r.rule.id.iter().cloned());
                    if let Err(e) = ce.add_rule(&r.rule) {
                        report.refused.push(Refusal {
                            path: r.path.clone(),
                            reason: e.to_string(),
                        });
                    }
                    if !refs.iter().any(|x| generating.contains(x))
                        && let Some(id) = &r.rule.id
                    {
                        correlation_only.insert(id.clone());
                    }
                }
            }
            for c in &set.correlations {
                match ce.add_correlation(&c.rule) {
                    Ok(()) => report.correlations += 1,
                    Err(e) => report.refused.push(Refusal {
                        path: c.path.clone(),
                        reason: format!("{}: {e}", c.rule.title),
                    }),
                }
            }
            correlation = Some(Mutex::new(ce));
        }
        Detector {
            mapping,
            groups,
            cache: Mutex::new(HashMap::new()),
            emitted: Mutex::new(HashMap::new()),
            correlation,
            correlated,
            correlation_only,
            report,
        }
    }

    /// The (group, route) pairs an event belongs to.
    fn routes_for(&self, e: &Event) -> RoutePairs {
        let s = |k: &str| e.fields.get(k).map(|v| v.to_string()).unwrap_or_default();
        let key = format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}",
            e.dataset,
            s("Channel"),
            s("EventID"),
            s("program")
        );
        if let Ok(cache) = self.cache.lock()
            && let Some(hit) = cache.get(&key)
        {
            return Arc::clone(hit);
        }
        let mut out = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            if let Some(&r) = group
                .routes
                .iter()
                .find(|&&r| self.mapping.routes[r].covers(e))
            {
                out.push((g, r));
            }
        }
        let out = Arc::new(out);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 4_096 {
                cache.clear();
            }
            cache.insert(key, Arc::clone(&out));
        }
        out
    }

    /// Every rule that matches one event, correlations included (their state advances).
    pub fn evaluate(&self, e: &Event) -> Vec<RuleMatch> {
        let routes = self.routes_for(e);
        if routes.is_empty() {
            return Vec::new();
        }
        let mut detections: Vec<EvaluationResult> = Vec::new();
        for &(g, r) in routes.iter() {
            let view = SigmaView::new(e, self.mapping.routes.get(r));
            detections.extend(self.groups[g].engine.evaluate(&view));
        }
        if detections.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<RuleMatch> = detections.iter().map(|d| self.to_match(d)).collect();
        if let Some(ce) = &self.correlation {
            let feeds: Vec<EvaluationResult> = detections
                .into_iter()
                .filter(|d| {
                    d.header
                        .rule_id
                        .as_ref()
                        .is_some_and(|i| self.correlated.contains(i))
                })
                .collect();
            if !feeds.is_empty()
                && let Ok(mut ce) = ce.lock()
            {
                let view = SigmaView::new(e, None);
                let results = ce.process_with_detections(&view, feeds, e.timestamp.as_second());
                for res in results.iter().filter(|r| r.is_correlation()) {
                    let mut m = self.to_match(res);
                    if m.event_ids.last() != Some(&e.id) {
                        m.event_ids.push(e.id.clone());
                    }
                    self.keep_new_events(&mut m);
                    out.push(m);
                }
            }
        }
        out
    }

    /// Drops the event ids an earlier firing of the same correlation group already carried
    /// (the triggering event always stays).
    fn keep_new_events(&self, m: &mut RuleMatch) {
        let Ok(mut emitted) = self.emitted.lock() else {
            return;
        };
        if emitted.len() > 10_000 {
            emitted.clear();
        }
        let key = format!("{}|{:?}", m.rule_id, m.group);
        let seen = emitted.entry(key).or_default();
        if seen.len() > 100_000 {
            seen.clear();
        }
        let last = m.event_ids.last().cloned();
        m.event_ids
            .retain(|id| seen.insert(id.clone()) || Some(id) == last.as_ref());
    }

    fn to_match(&self, d: &EvaluationResult) -> RuleMatch {
        let rule_id = d
            .header
            .rule_id
            .clone()
            .unwrap_or_else(|| d.header.rule_title.clone());
        let mut m = RuleMatch {
            correlation_only: self.correlation_only.contains(&rule_id),
            rule_id,
            title: d.header.rule_title.clone(),
            level: d.header.level.map(level_name),
            tags: d.header.tags.clone(),
            correlation: false,
            group: Vec::new(),
            value: None,
            event_ids: Vec::new(),
        };
        if let ResultBody::Correlation(c) = &d.body {
            m.correlation = true;
            m.correlation_only = false;
            m.group = c.group_key.clone();
            m.value = Some(c.aggregated_value);
            m.event_ids = c
                .event_refs
                .iter()
                .flatten()
                .filter_map(|r| r.id.clone())
                .collect();
        }
        m
    }

    /// The alerts one event raises: a detection alert per matching rule (except rules that
    /// only feed correlations) and an alert per correlation firing.
    pub fn detect(&self, e: &Event) -> Vec<Alert> {
        self.evaluate(e)
            .into_iter()
            .filter(|m| !m.correlation_only)
            .map(|m| alerts::alert_for(&m, e))
            .collect()
    }

    /// Alerts for a record's events.
    pub fn detect_all(&self, events: &[Event]) -> Vec<Alert> {
        events.iter().flat_map(|e| self.detect(e)).collect()
    }
}

fn level_name(l: Level) -> String {
    match l {
        Level::Informational => "informational",
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
        Level::Critical => "critical",
    }
    .to_string()
}
