//! Zeek normaliser (being written).

use serde_json::Value;

use super::{Context, NormalizeError, Parsed};

/// The `#` directives of a Zeek TSV log seen so far.
#[derive(Debug, Default, Clone)]
pub struct TsvHeader {}

impl TsvHeader {
    /// Takes one `#directive` line (without the `#`).
    pub fn directive(&mut self, _line: &str) -> Result<(), NormalizeError> {
        Ok(())
    }

    /// Normalises one data row under the current header.
    pub fn row(&self, _line: &str, _ctx: &Context) -> Result<Parsed, NormalizeError> {
        Err(NormalizeError::Unrecognised {
            format: "zeek_tsv",
            problem: "normaliser not written yet".into(),
        })
    }
}

/// Normalises one Zeek JSON log record.
pub fn normalize_json(_value: Value, _raw: &str, _ctx: &Context) -> Result<Parsed, NormalizeError> {
    Err(NormalizeError::Unrecognised {
        format: "zeek_json",
        problem: "normaliser not written yet".into(),
    })
}
