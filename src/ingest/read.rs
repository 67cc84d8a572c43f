//! Reading inputs into records: plain or gzipped files, stdin, binary `.evtx`, JSON lines and
//! whole JSON documents (arrays, or pretty-printed objects one after another), each record with
//! its 1-based line number and a stable id (content hash + occurrence in this input).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use xxhash_rust::xxh3::xxh3_128;

use crate::domain::content_id;

/// One raw record read from an input.
#[derive(Debug)]
pub enum RawRecord {
    /// A line of a line-oriented input (no line terminator).
    Line { line: u64, id: String, text: String },
    /// One JSON document of a document-oriented input, already parsed.
    Document {
        line: u64,
        id: String,
        text: String,
        value: serde_json::Value,
    },
    /// A Windows event from a binary `.evtx` file, as evtx JSON text.
    Evtx {
        record: u64,
        id: String,
        text: String,
    },
    /// Something that could not even be read as a record (a broken evtx record, a JSON document
    /// stream that stops parsing): rejected as it is.
    Broken {
        line: u64,
        id: String,
        text: String,
        reason: String,
    },
    /// A blank line (counted, not stored).
    Blank,
}

/// Why an input could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
}

/// Assigns stable ids: the same content gets the same id the n-th time it appears in an input.
#[derive(Default)]
pub struct Occurrences(HashMap<u128, u32>);

impl Occurrences {
    pub fn id(&mut self, bytes: &[u8]) -> String {
        let n = self.0.entry(xxh3_128(bytes)).or_insert(0);
        let id = content_id(bytes, *n);
        *n += 1;
        id
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Extensions a folder walk leaves alone (docs, code, configs, images, archives): a file named
/// on the command line is always read.
const NOT_LOGS: &[&str] = &[
    "md", "txt.md", "rst", "py", "sh", "rs", "toml", "yml", "yaml", "ini", "cfg", "csv", "tsv",
    "html", "pdf", "png", "jpg", "jpeg", "gif", "svg", "zip", "tar", "xz", "bz2", "zst", "7z",
    "exe", "dll", "so",
];

/// Expands folders (recursively, sorted, hidden entries and non-log files skipped). Returns the
/// files to read and the ones skipped, so the summary can say so.
pub fn expand(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), ReadError> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" || !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let walker = walkdir::WalkDir::new(p)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = entry.map_err(|e| ReadError::Io {
                path: p.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let ext = entry
                .path()
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            if ext.as_deref().is_some_and(|e| NOT_LOGS.contains(&e)) {
                skipped.push(entry.into_path());
            } else {
                files.push(entry.into_path());
            }
        }
    }
    Ok((files, skipped))
}

/// An open input, read record by record.
pub struct Input {
    pub name: String,
    /// Bytes of the input read so far (compressed bytes for gzip), for progress.
    pub total_bytes: Option<u64>,
    pub modified: Option<jiff::Timestamp>,
    kind: Kind,
}

enum Kind {
    Lines {
        reader: Box<dyn BufRead>,
        line: u64,
        buf: Vec<u8>,
    },
    Queue(std::vec::IntoIter<RawRecord>),
}

impl Input {
    /// Opens `path` (`-` is stdin), sniffing gzip, evtx and JSON documents.
    pub fn open(path: &Path) -> Result<Input, ReadError> {
        let name = if path.as_os_str() == "-" {
            "stdin".to_string()
        } else {
            path.display().to_string()
        };
        let io = |source| ReadError::Io {
            path: name.clone(),
            source,
        };
        let (raw, total_bytes, modified): (Box<dyn Read>, _, _) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin().lock()), None, None)
        } else {
            let file = std::fs::File::open(path).map_err(io)?;
            let meta = file.metadata().map_err(io)?;
            let modified = meta
                .modified()
                .ok()
                .and_then(|m| jiff::Timestamp::try_from(m).ok());
            (Box::new(file), Some(meta.len()), modified)
        };
        let mut reader: Box<dyn BufRead> = Box::new(BufReader::with_capacity(256 * 1024, raw));
        let head = reader.fill_buf().map_err(io)?;
        if head.starts_with(GZIP_MAGIC) {
            let gz = flate2::bufread::MultiGzDecoder::new(reader);
            reader = Box::new(BufReader::with_capacity(256 * 1024, gz));
        }
        let head = reader.fill_buf().map_err(io)?.to_vec();
        let kind = if head.starts_with(EVTX_MAGIC) {
            let mut data = Vec::new();
            reader.read_to_end(&mut data).map_err(io)?;
            Kind::Queue(evtx_records(&name, data)?.into_iter())
        } else if looks_like_documents(&head) {
            let mut text = String::new();
            reader
                .read_to_string(&mut text)
                .map_err(|e| ReadError::Format {
                    path: name.clone(),
                    reason: format!("not UTF-8 text: {e}"),
                })?;
            Kind::Queue(documents(&text).into_iter())
        } else {
            Kind::Lines {
                reader,
                line: 0,
                buf: Vec::with_capacity(4096),
            }
        };
        Ok(Input {
            name,
            total_bytes,
            modified,
            kind,
        })
    }

    /// The next record, or `None` at the end.
    pub fn next_record(
        &mut self,
        occurrences: &mut Occurrences,
    ) -> Result<Option<RawRecord>, ReadError> {
        match &mut self.kind {
            Kind::Queue(q) => Ok(q.next()),
            Kind::Lines { reader, line, buf } => {
                buf.clear();
                let n = reader
                    .read_until(b'\n', buf)
                    .map_err(|source| ReadError::Io {
                        path: self.name.clone(),
                        source,
                    })?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    return Ok(Some(RawRecord::Blank));
                }
                let id = occurrences.id(buf);
                let text = match std::str::from_utf8(buf) {
                    Ok(s) => s.to_string(),
                    Err(_) => String::from_utf8_lossy(buf).into_owned(),
                };
                Ok(Some(RawRecord::Line {
                    line: *line,
                    id,
                    text,
                }))
            }
        }
    }
}

/// True when the input starts like a JSON document that is not one object per line: an array,
/// or an object whose first line is not a whole JSON value (pretty-printed).
fn looks_like_documents(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.starts_with('[') {
        return true;
    }
    if !trimmed.starts_with('{') {
        return false;
    }
    match trimmed.split_once('\n') {
        Some((first, _)) => serde_json::from_str::<serde_json::Value>(first.trim_end()).is_err(),
        None => false,
    }
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.get(..offset)
        .map(|t| t.matches('\n').count() as u64 + 1)
        .unwrap_or(1)
}

/// Splits a JSON document input into records: an array's members, or concatenated values.
fn documents(text: &str) -> Vec<RawRecord> {
    let mut occ = Occurrences::default();
    let mut out = Vec::new();
    let body = text.trim_start_matches('\u{feff}');
    let offset0 = text.len() - body.len();
    if body.trim_start().starts_with('[') {
        match serde_json::from_str::<serde_json::Value>(body) {
            Ok(serde_json::Value::Array(items)) => {
                for (i, value) in items.into_iter().enumerate() {
                    let text = value.to_string();
                    let id = occ.id(text.as_bytes());
                    out.push(RawRecord::Document {
                        line: i as u64 + 1,
                        id,
                        text,
                        value,
                    });
                }
            }
            Ok(_) | Err(_) => {
                let reason = match serde_json::from_str::<serde_json::Value>(body) {
                    Err(e) => format!("invalid JSON array: {e}"),
                    Ok(_) => "not a JSON array".into(),
                };
                let id = occ.id(body.as_bytes());
                out.push(RawRecord::Broken {
                    line: 1,
                    id,
                    text: body.to_string(),
                    reason,
                });
            }
        }
        return out;
    }
    let mut stream = serde_json::Deserializer::from_str(body).into_iter::<serde_json::Value>();
    let mut start = 0usize;
    loop {
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let end = stream.byte_offset();
                let chunk = body.get(start..end).unwrap_or("");
                let raw = chunk.trim();
                let line = line_of(
                    text,
                    offset0 + start + (chunk.len() - chunk.trim_start().len()),
                );
                let id = occ.id(raw.as_bytes());
                out.push(RawRecord::Document {
                    line,
                    id,
                    text: raw.to_string(),
                    value,
                });
                start = end;
            }
            Some(Err(e)) => {
                let tail = body.get(start..).unwrap_or("");
                let rest = tail.trim();
                let line = line_of(
                    text,
                    offset0 + start + (tail.len() - tail.trim_start().len()),
                );
                let id = occ.id(rest.as_bytes());
                out.push(RawRecord::Broken {
                    line,
                    id,
                    text: rest.to_string(),
                    reason: format!(
                        "invalid JSON document, the rest of the input is kept here: {e}"
                    ),
                });
                break;
            }
        }
    }
    out
}

/// Reads a binary `.evtx` file into records (a broken record is kept as `Broken`).
fn evtx_records(name: &str, data: Vec<u8>) -> Result<Vec<RawRecord>, ReadError> {
    let records = crate::normalize::windows::evtx_records(data).map_err(|e| ReadError::Format {
        path: name.to_string(),
        reason: e.to_string(),
    })?;
    let mut occ = Occurrences::default();
    Ok(records
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let record = i as u64 + 1;
            match r {
                Ok(text) => {
                    let id = occ.id(text.as_bytes());
                    RawRecord::Evtx { record, id, text }
                }
                Err(e) => {
                    let text = format!("evtx record {record}");
                    let id = occ.id(text.as_bytes());
                    RawRecord::Broken {
                        line: record,
                        id,
                        text,
                        reason: e.to_string(),
                    }
                }
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_printed_objects_one_after_another() {
        let text = "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n";
        let recs = documents(text);
        assert_eq!(recs.len(), 2);
        match &recs[1] {
            RawRecord::Document { line, text, .. } => {
                assert_eq!(*line, 4);
                assert!(text.starts_with('{') && text.ends_with('}'));
            }
            other => panic!("{other:?}"),
        }
        assert!(looks_like_documents(text.as_bytes()));
        assert!(!looks_like_documents(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!looks_like_documents(
            b"Dec 10 06:55:46 LabSZ sshd[24200]: x\n"
        ));
    }

    #[test]
    fn broken_document_stream_keeps_the_rest() {
        let recs = documents("{\"a\": 1}\n{\"a\": \n");
        assert!(matches!(recs[0], RawRecord::Document { .. }));
        assert!(matches!(&recs[1], RawRecord::Broken { line: 2, .. }));
    }

    #[test]
    fn identical_lines_get_distinct_stable_ids() {
        let mut a = Occurrences::default();
        let mut b = Occurrences::default();
        let (x1, x2) = (a.id(b"same"), a.id(b"same"));
        assert_ne!(x1, x2);
        assert_eq!(x1, b.id(b"same"));
    }
}
