//! Syslog normaliser (being written).

use super::{Context, NormalizeError, Parsed};

/// Normalises one syslog line (RFC 3164 or RFC 5424).
pub fn normalize(_line: &str, _ctx: &Context) -> Result<Parsed, NormalizeError> {
    Err(NormalizeError::Unrecognised {
        format: "syslog",
        problem: "normaliser not written yet".into(),
    })
}
