//! `TOCSIN_*` environment variables as a configuration layer: every key has one variable, its
//! dotted path upper-cased with `_` for `.` (`ingest.batch_size` -> `TOCSIN_INGEST_BATCH_SIZE`).
//! The value is read as the key's type; other `TOCSIN_` variables are not configuration and are
//! left alone.

use super::{Config, ConfigError};

/// Every leaf key of a TOML value with its value, as dotted paths, sorted.
pub(super) fn leaves(value: &toml::Value) -> Vec<(String, toml::Value)> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&path, v, out);
                }
            }
            other => out.push((prefix.to_string(), other.clone())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The variable name for a dotted key.
pub fn var_name(key: &str) -> String {
    format!("TOCSIN_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// Every configuration variable with its key, for `tocsin paths` and the README.
pub fn variables() -> Vec<(String, String)> {
    let defaults =
        toml::Value::try_from(Config::default()).unwrap_or(toml::Value::Table(Default::default()));
    leaves(&defaults)
        .into_iter()
        .map(|(k, _)| (var_name(&k), k))
        .collect()
}

/// Sets every key named by a `TOCSIN_*` variable in `merged`.
pub(super) fn apply(
    merged: &mut toml::Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let defaults = toml::Value::try_from(Config::default()).map_err(|e| ConfigError::Syntax {
        origin: "built-in defaults".into(),
        message: e.to_string(),
    })?;
    let keys = leaves(&defaults);
    for (var, raw) in vars {
        if !var.starts_with("TOCSIN_") {
            continue;
        }
        let Some((key, default)) = keys.iter().find(|(k, _)| var_name(k) == var) else {
            continue;
        };
        let origin = format!("environment variable {var}");
        let bad = |what: &str| ConfigError::Invalid {
            origin: origin.clone(),
            key: key.clone(),
            message: format!("expected {what}, found `{raw}`"),
        };
        let value = match default {
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.trim().parse().map_err(|_| bad("an integer"))?)
            }
            toml::Value::Float(_) => {
                toml::Value::Float(raw.trim().parse().map_err(|_| bad("a number"))?)
            }
            toml::Value::Boolean(_) => {
                toml::Value::Boolean(raw.trim().parse().map_err(|_| bad("true or false"))?)
            }
            toml::Value::Array(_) if raw.trim_start().starts_with('[') => {
                let doc: toml::Table = format!("v = {raw}")
                    .parse()
                    .map_err(|_| bad("a TOML array"))?;
                doc.get("v").cloned().ok_or_else(|| bad("a TOML array"))?
            }
            toml::Value::Array(_) => toml::Value::Array(
                raw.split(',')
                    .map(|s| toml::Value::String(s.trim().to_string()))
                    .filter(|v| v.as_str() != Some(""))
                    .collect(),
            ),
            _ => toml::Value::String(raw.clone()),
        };
        set(merged, key, value);
    }
    Ok(())
}

fn set(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        None => {
            table.insert(key.to_string(), value);
        }
        Some((head, rest)) => {
            let child = table
                .entry(head.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !child.is_table() {
                *child = toml::Value::Table(toml::Table::new());
            }
            if let toml::Value::Table(t) = child {
                set(t, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_cover_every_key() {
        let vars = variables();
        assert!(
            vars.iter()
                .any(|(v, k)| v == "TOCSIN_DATA_DIR" && k == "data_dir")
        );
        assert!(
            vars.iter()
                .any(|(v, _)| v == "TOCSIN_INGEST_FIELD_MAP_HOST")
        );
    }

    #[test]
    fn typed_values_and_clear_errors() {
        let mut t = toml::Table::new();
        apply(
            &mut t,
            [
                ("TOCSIN_INGEST_YEAR".into(), "2024".into()),
                ("TOCSIN_INGEST_FIELD_MAP_HOST".into(), "a.b, c".into()),
                ("TOCSIN_PEERS".into(), "/not/config".into()),
            ],
        )
        .unwrap();
        assert_eq!(t["ingest"]["year"].as_integer(), Some(2024));
        assert_eq!(
            t["ingest"]["field_map"]["host"].as_array().map(|a| a.len()),
            Some(2)
        );
        let err = apply(
            &mut t,
            [("TOCSIN_STORE_BUSY_TIMEOUT_MS".into(), "soon".into())],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("TOCSIN_STORE_BUSY_TIMEOUT_MS")
                && err.contains("store.busy_timeout_ms")
                && err.contains("an integer"),
            "{err}"
        );
    }
}
