//! Zeek logs, TSV (with `#` headers) and JSON streaming logs, normalised to the same events.
//!
//! A TSV row is typed by its header and turned into the object Zeek's JSON writer would have
//! written (keys like `id.orig_h` kept), so both formats share one mapping: dataset
//! `zeek.<path>`, timestamp from `ts`, both ends of the connection, and per-log details. Notices
//! also raise an alert.

mod line;
mod logs;
mod notice;
mod tsv;

#[cfg(test)]
mod tests;

use serde_json::Value;

use super::{Context, NormalizeError, Parsed};

pub use tsv::TsvHeader;

/// Normalises one Zeek JSON log record. The log type comes from `_path` when present, else it
/// is inferred from the field names (falling back to dataset `zeek`).
pub fn normalize_json(value: Value, raw: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
    let Value::Object(obj) = value else {
        return Err(NormalizeError::Unrecognised {
            format: "zeek_json",
            problem: "not a JSON object".into(),
        });
    };
    let path = match obj.get("_path") {
        Some(Value::String(p)) if !p.is_empty() => logs::path_name(p),
        _ => logs::infer_path(&obj).into(),
    };
    logs::to_record(obj, &path, raw, ctx, "zeek_json")
}
