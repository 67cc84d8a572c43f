//! Zeek TSV logs: the `#` header directives and typed data rows, turned into JSON objects keyed
//! by Zeek field name so they go through the same mapping as Zeek JSON.

use serde_json::{Map, Number, Value};

use super::super::{Context, NormalizeError, Parsed};
use super::logs;

/// How a Zeek column type is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `time`: epoch seconds, kept as a float.
    Time,
    /// `interval`, `double`.
    Float,
    /// `port`, `count`.
    Unsigned,
    /// `int`.
    Signed,
    /// `bool`: `T` / `F`.
    Bool,
    /// `string`, `addr`, `subnet`, `enum` and anything else: text with `\x..` escapes decoded.
    Text,
}

/// One column's type: a scalar kind, or a `set[..]` / `vector[..]` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ColumnType {
    kind: Kind,
    container: bool,
}

impl ColumnType {
    fn parse(name: &str) -> Self {
        let name = name.trim();
        let (inner, container) = match name
            .strip_prefix("set[")
            .or_else(|| name.strip_prefix("vector["))
            .and_then(|rest| rest.strip_suffix(']'))
        {
            Some(inner) => (inner, true),
            None => (name, false),
        };
        let kind = match inner {
            "time" => Kind::Time,
            "interval" | "double" => Kind::Float,
            "port" | "count" | "counter" => Kind::Unsigned,
            "int" => Kind::Signed,
            "bool" => Kind::Bool,
            _ => Kind::Text,
        };
        ColumnType { kind, container }
    }
}

const TEXT: ColumnType = ColumnType {
    kind: Kind::Text,
    container: false,
};

/// The `#` directives of a Zeek TSV log seen so far: separators, the markers for unset and
/// empty values, the log's path and its typed columns.
#[derive(Debug, Clone)]
pub struct TsvHeader {
    separator: String,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: Option<String>,
    fields: Vec<String>,
    types: Vec<ColumnType>,
}

impl Default for TsvHeader {
    fn default() -> Self {
        TsvHeader {
            separator: "\t".to_string(),
            set_separator: ",".to_string(),
            empty_field: "(empty)".to_string(),
            unset_field: "-".to_string(),
            path: None,
            fields: Vec::new(),
            types: Vec::new(),
        }
    }
}

impl TsvHeader {
    /// Takes one `#directive` line (without the `#`). `#separator` (written with a space and
    /// an escaped value, `#separator \x09`) starts a new header; the others are split on the
    /// separator. Unknown directives and comments are ignored.
    pub fn directive(&mut self, line: &str) -> Result<(), NormalizeError> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(rest) = line.strip_prefix("separator") {
            let value = rest.strip_prefix([' ', '\t']).unwrap_or(rest);
            let separator = unescape(value);
            if separator.is_empty() {
                return Err(NormalizeError::Unrecognised {
                    format: "zeek_tsv",
                    problem: "empty #separator".into(),
                });
            }
            // A new `#separator` line is the start of another log's header (concatenated logs).
            *self = TsvHeader {
                separator,
                ..TsvHeader::default()
            };
            return Ok(());
        }
        let (name, value) = match line.split_once(self.separator.as_str()) {
            Some((name, value)) => (name.trim(), value),
            None => match line.split_once(char::is_whitespace) {
                Some((name, value)) => (name, value.trim_start()),
                None => (line.trim(), ""),
            },
        };
        match name {
            "set_separator" => self.set_separator = unescape(value),
            "empty_field" => self.empty_field = unescape(value),
            "unset_field" => self.unset_field = unescape(value),
            "path" => self.path = Some(unescape(value)).filter(|p| !p.is_empty()),
            "fields" => {
                self.fields = value.split(self.separator.as_str()).map(unescape).collect();
                self.types.clear();
            }
            "types" => {
                self.types = value
                    .split(self.separator.as_str())
                    .map(ColumnType::parse)
                    .collect();
            }
            _ => {}
        }
        Ok(())
    }

    /// The log's `#path` (`conn`, `dns`, ...), once seen.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Normalises one data row under the current header. A row whose column count differs from
    /// `#fields` is an error; an empty line is skipped.
    pub fn row(&self, line: &str, ctx: &Context) -> Result<Parsed, NormalizeError> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if self.fields.is_empty() {
            return Err(NormalizeError::Unrecognised {
                format: "zeek_tsv",
                problem: "data row before any #fields header".into(),
            });
        }
        if line.is_empty() {
            return Ok(Parsed::Skip {
                reason: "empty line",
            });
        }
        let obj = self.columns(line)?;
        let path = match &self.path {
            Some(p) => p.as_str(),
            None => logs::infer_path(&obj),
        };
        logs::to_record(obj, path, line, ctx, "zeek_tsv")
    }

    /// Splits and types one row into an object keyed by field name; unset columns are absent.
    fn columns(&self, line: &str) -> Result<Map<String, Value>, NormalizeError> {
        let count = line.split(self.separator.as_str()).count();
        if count != self.fields.len() {
            return Err(NormalizeError::Unrecognised {
                format: "zeek_tsv",
                problem: format!(
                    "row has {count} columns but #fields names {}",
                    self.fields.len()
                ),
            });
        }
        if !self.types.is_empty() && self.types.len() != self.fields.len() {
            return Err(NormalizeError::Unrecognised {
                format: "zeek_tsv",
                problem: format!(
                    "#types names {} columns but #fields names {}",
                    self.types.len(),
                    self.fields.len()
                ),
            });
        }
        let mut obj = Map::with_capacity(count);
        for (i, (name, cell)) in self
            .fields
            .iter()
            .zip(line.split(self.separator.as_str()))
            .enumerate()
        {
            if cell == self.unset_field {
                continue;
            }
            let ty = self.types.get(i).copied().unwrap_or(TEXT);
            obj.insert(name.clone(), self.cell(cell, ty));
        }
        Ok(obj)
    }

    fn cell(&self, cell: &str, ty: ColumnType) -> Value {
        if ty.container {
            if cell == self.empty_field || cell.is_empty() {
                return Value::Array(Vec::new());
            }
            let items = cell
                .split(self.set_separator.as_str())
                .map(|item| {
                    if item == self.unset_field {
                        Value::Null
                    } else {
                        scalar(item, ty.kind)
                    }
                })
                .collect();
            return Value::Array(items);
        }
        if cell == self.empty_field {
            return Value::String(String::new());
        }
        scalar(cell, ty.kind)
    }
}

/// One scalar cell; a value that does not read as its declared type is kept as text.
fn scalar(cell: &str, kind: Kind) -> Value {
    let number = match kind {
        Kind::Time | Kind::Float => cell.parse::<f64>().ok().and_then(Number::from_f64),
        Kind::Unsigned => cell.parse::<u64>().ok().map(Number::from),
        Kind::Signed => cell.parse::<i64>().ok().map(Number::from),
        Kind::Bool => match cell {
            "T" => return Value::Bool(true),
            "F" => return Value::Bool(false),
            _ => None,
        },
        Kind::Text => None,
    };
    match number {
        Some(n) => Value::Number(n),
        None => Value::String(unescape(cell)),
    }
}

/// Decodes Zeek's ASCII escapes: `\xHH` is the byte HH and `\\` a backslash. Bytes that do not
/// form UTF-8 are replaced, never an error.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            match bytes.get(i + 1) {
                Some(b'\\') => {
                    out.push(b'\\');
                    i += 2;
                    continue;
                }
                Some(b'x') => {
                    let hex = bytes
                        .get(i + 2..i + 4)
                        .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(byte) = hex {
                        out.push(byte);
                        i += 4;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
