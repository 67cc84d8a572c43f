//! Test helpers shared by the normalisers' tests: hostile variants of real documents.

use serde_json::Value;

/// Every JSON pointer in `v` (the root included).
pub fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Copies of `doc` with one member at a time swapped for each of `swaps` (values of other
/// shapes), so a normaliser can be shown never to panic on a document it half understands.
pub fn mutants(doc: &Value, swaps: &[Value]) -> Vec<Value> {
    let mut ptrs = Vec::new();
    pointers(doc, String::new(), &mut ptrs);
    let mut out = Vec::new();
    for p in &ptrs {
        for s in swaps {
            let mut m = doc.clone();
            if let Some(slot) = m.pointer_mut(p) {
                *slot = s.clone();
                out.push(m);
            }
        }
    }
    out
}

/// Decodes every [`mutants`] variant of `doc` (each member swapped for null, numbers, empty
/// and odd strings, arrays and objects) forced as `format`, so every variant reaches that
/// normaliser whatever it now looks like. An error is fine; a panic fails the test.
pub fn decode_every_mutant(doc: &Value, format: super::Format) {
    let swaps = [
        serde_json::json!(null),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(""),
        serde_json::json!("-"),
        serde_json::json!("x.keyword"),
        serde_json::json!([]),
        serde_json::json!({}),
        serde_json::json!([{"keyword": 1}]),
    ];
    let tz = jiff::tz::TimeZone::UTC;
    let map = super::FieldMap::default();
    let ctx = super::Context {
        id: "m",
        source: "s",
        ingested_at: jiff::Timestamp::UNIX_EPOCH,
        reference_time: jiff::Timestamp::UNIX_EPOCH,
        year: None,
        timezone: &tz,
        field_map: &map,
    };
    for m in mutants(doc, &swaps) {
        let raw = m.to_string();
        let _ = super::Decoder::new(Some(format)).decode_value(m, &raw, &ctx);
    }
}
