//! ATT&CK Navigator layer export (layer format 4.5): techniques scored by how many events named
//! them, one entry per tactic where a technique sits under several, a white-to-red gradient, and
//! the scope (case or time window) in the layer's metadata.

use serde::Serialize;
use serde_json::{Value, json};

use super::rollup::TechniqueRollup;
use super::{ATTACK_VERSION, ATTRIBUTION, Catalogue};

/// The Navigator version the layer declares (the format needs at least 4.9.0).
pub const NAVIGATOR_VERSION: &str = "5.1.0";

/// What a layer covers, for its name, description and metadata.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scope {
    pub case_id: Option<String>,
    pub case_title: Option<String>,
    pub since: Option<String>,
    pub generated_at: String,
}

/// Builds a Navigator layer (a JSON object) from a technique roll-up.
pub fn layer(rollup: &[TechniqueRollup], scope: &Scope) -> Value {
    let cat = Catalogue::get();
    let max = rollup.iter().map(|r| r.count).max().unwrap_or(0).max(1);
    let mut techniques = Vec::new();
    for r in rollup {
        let comment = format!(
            "{} alert(s), {} event(s), first seen {}, last seen {}",
            r.alerts, r.count, r.first_seen, r.last_seen
        );
        let metadata = vec![
            json!({"name": "alerts", "value": r.alerts.to_string()}),
            json!({"name": "first_seen", "value": r.first_seen.to_string()}),
            json!({"name": "last_seen", "value": r.last_seen.to_string()}),
        ];
        let entry = |tactic: Option<&str>| {
            let mut t = json!({
                "techniqueID": r.technique,
                "score": r.count,
                "comment": comment,
                "enabled": true,
                "metadata": metadata,
                "showSubtechniques": false,
            });
            if let (Some(tactic), Some(obj)) = (tactic, t.as_object_mut()) {
                obj.insert("tactic".into(), Value::String(tactic.to_string()));
            }
            t
        };
        // Tactic-qualified when the technique sits under more than one tactic, so the score
        // shows under each; a technique ATT&CK does not know goes in unqualified.
        if r.tactics.len() > 1 {
            for tactic in &r.tactics {
                techniques.push(entry(Some(tactic)));
            }
        } else {
            techniques.push(entry(r.tactics.first().map(String::as_str)));
        }
        // A scored sub-technique is only visible when its parent shows it.
        if let Some(parent) = &r.parent
            && !rollup.iter().any(|x| &x.technique == parent)
            && cat.technique(parent).is_some()
        {
            techniques.push(json!({"techniqueID": parent, "showSubtechniques": true}));
        }
    }
    let (name, description) = match (&scope.case_id, &scope.since) {
        (Some(case), _) => (
            format!("tocsin {case}"),
            format!(
                "ATT&CK techniques in the alerts of case {case}{}",
                scope
                    .case_title
                    .as_deref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default()
            ),
        ),
        (None, Some(since)) => (
            format!("tocsin alerts since {since}"),
            format!("ATT&CK techniques in tocsin alerts since {since}"),
        ),
        (None, None) => (
            "tocsin alerts".to_string(),
            "ATT&CK techniques in all tocsin alerts".to_string(),
        ),
    };
    let mut metadata = vec![json!({"name": "generated_by", "value": "tocsin"})];
    if let Some(c) = &scope.case_id {
        metadata.push(json!({"name": "case", "value": c}));
    }
    if let Some(t) = &scope.case_title {
        metadata.push(json!({"name": "case_title", "value": t}));
    }
    if let Some(s) = &scope.since {
        metadata.push(json!({"name": "since", "value": s}));
    }
    metadata.push(json!({"name": "generated_at", "value": scope.generated_at}));
    metadata.push(json!({"name": "attack_attribution", "value": ATTRIBUTION}));
    json!({
        "name": name,
        "versions": {"attack": ATTACK_VERSION, "navigator": NAVIGATOR_VERSION, "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": description,
        "sorting": 3,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": true,
            "showName": true,
            "showAggregateScores": true,
            "countUnscored": false,
            "expandedSubtechniques": "annotated"
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#ffffffff", "#ff6666ff"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
        "metadata": metadata,
        "links": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn r(id: &str, tactics: &[&str], count: u64) -> TechniqueRollup {
        TechniqueRollup {
            technique: id.into(),
            name: String::new(),
            tactics: tactics.iter().map(|s| s.to_string()).collect(),
            parent: id.split_once('.').map(|(p, _)| p.to_string()),
            alerts: 1,
            count,
            first_seen: Timestamp::UNIX_EPOCH,
            last_seen: Timestamp::UNIX_EPOCH,
            alert_ids: vec!["a".into()],
        }
    }

    #[test]
    fn layer_has_the_required_fields_and_qualifies_multi_tactic_techniques() {
        let scope = Scope {
            case_id: Some("CASE-2026-0001".into()),
            ..Scope::default()
        };
        let l = layer(
            &[
                r("T1078", &["defense-evasion", "persistence"], 4),
                r("T1110.001", &["credential-access"], 9),
            ],
            &scope,
        );
        assert_eq!(l["versions"]["layer"], "4.5");
        assert_eq!(l["domain"], "enterprise-attack");
        assert_eq!(l["gradient"]["maxValue"], 9);
        let t = l["techniques"].as_array().unwrap();
        let t1078: Vec<&Value> = t.iter().filter(|x| x["techniqueID"] == "T1078").collect();
        assert_eq!(t1078.len(), 2);
        assert!(
            t.iter()
                .any(|x| x["techniqueID"] == "T1110" && x["showSubtechniques"] == true)
        );
        assert!(
            l["metadata"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["name"] == "case" && m["value"] == "CASE-2026-0001")
        );
    }
}
