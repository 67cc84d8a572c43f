//! Binary `.evtx` files read with the `evtx` crate into one JSON text per record, in the shape
//! `evtx_dump -o json` writes (`Event.System`, `Event.EventData` / `Event.UserData`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use evtx::{EvtxParser, ParserSettings};

use super::super::NormalizeError;

fn evtx_error(problem: String) -> NormalizeError {
    NormalizeError::Unrecognised {
        format: "evtx",
        problem,
    }
}

/// Reads a whole `.evtx` file from memory and returns each record's JSON text, oldest first.
///
/// The outer error means the buffer is not an evtx file at all (no valid file header); a
/// record (or chunk) that cannot be read is an `Err` item and reading goes on with the next.
/// Run [`super::normalize`] on each text to get its event; events from binary evtx carry
/// format `evtx`, which the caller sets (the JSON itself cannot tell).
pub fn evtx_records(data: Vec<u8>) -> Result<Vec<Result<String, NormalizeError>>, NormalizeError> {
    let settings = ParserSettings::new()
        .indent(false)
        .separate_json_attributes(false);
    let parser = catch_unwind(AssertUnwindSafe(|| EvtxParser::from_buffer(data)))
        .map_err(|_| evtx_error("the evtx reader failed on the file header".into()))?
        .map_err(|e| evtx_error(e.to_string()))?;
    let mut parser = parser.with_configuration(settings);
    let mut records = parser.records_json();
    let mut out = Vec::new();
    loop {
        // The reader is third-party code over untrusted bytes: a panic inside it ends this
        // file's records with an error instead of taking the process down.
        match catch_unwind(AssertUnwindSafe(|| records.next())) {
            Ok(Some(Ok(record))) => out.push(Ok(record.data)),
            Ok(Some(Err(e))) => out.push(Err(evtx_error(e.to_string()))),
            Ok(None) => break,
            Err(_) => {
                out.push(Err(evtx_error(
                    "the evtx reader failed; the rest of the file is unread".into(),
                )));
                break;
            }
        }
    }
    Ok(out)
}
