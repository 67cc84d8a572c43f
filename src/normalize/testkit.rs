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
