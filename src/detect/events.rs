//! Files to normalised events without the store, each with its input and position: what
//! `tocsin sigma test`, the detection benchmark and the corpus tests evaluate rules on.

use std::path::PathBuf;

use jiff::Timestamp;

use super::DetectError;
use crate::domain::Event;
use crate::ingest::read::{self, Input, Occurrences};
use crate::ingest::{Options, decode};
use crate::normalize::{Decoder, Parsed};

/// A normalised event and where it was read.
#[derive(Debug, Clone)]
pub struct Located {
    pub input: String,
    /// Line (text and JSON inputs) or record number (`.evtx`) of the record.
    pub position: u64,
    pub event: Event,
}

/// Reads every path (files, folders, gzip) into events, in input order. Records that do not
/// normalise are counted in the second value, not returned.
pub fn read_events(paths: &[PathBuf], opts: &Options) -> Result<(Vec<Located>, u64), DetectError> {
    let (files, _) = read::expand(paths).map_err(|e| DetectError::Read(e.to_string()))?;
    let mut out = Vec::new();
    let mut rejected = 0u64;
    for path in files {
        let mut input = Input::open(&path).map_err(|e| DetectError::Read(e.to_string()))?;
        let name = input.name.clone();
        let ingested_at = Timestamp::now();
        let reference_time = input.modified.unwrap_or(ingested_at);
        let mut decoder = Decoder::new(opts.format);
        let mut occurrences = Occurrences::default();
        while let Some(record) = input
            .next_record(&mut occurrences)
            .map_err(|e| DetectError::Read(e.to_string()))?
        {
            let Some(decoded) = decode(
                &mut decoder,
                record,
                &name,
                ingested_at,
                reference_time,
                opts,
            ) else {
                continue;
            };
            match decoded.result {
                Ok(Parsed::Record(record)) => {
                    for event in record.events {
                        out.push(Located {
                            input: name.clone(),
                            position: decoded.line,
                            event,
                        });
                    }
                }
                Ok(Parsed::Skip { .. }) => {}
                Err(_) => rejected += 1,
            }
        }
    }
    Ok((out, rejected))
}
