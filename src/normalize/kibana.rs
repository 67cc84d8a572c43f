//! kibana normaliser (being written).

use serde_json::Value;

use super::{Context, NormalizeError, Parsed};

/// Normalises one kibana JSON document.
pub fn normalize(_value: Value, _raw: &str, _ctx: &Context) -> Result<Parsed, NormalizeError> {
    Err(NormalizeError::Unrecognised {
        format: "kibana",
        problem: "normaliser not written yet".into(),
    })
}
