//! Small accessors over `serde_json::Value` shared by the JSON normalisers: dotted paths,
//! lenient scalars (numbers given as strings and the reverse), addresses and ports.

use std::net::IpAddr;

use serde_json::Value;

/// The value at a dotted path (`rule.mitre.id`). A key that itself contains dots (Zeek's
/// `id.orig_h`, flattened shipper JSON) is found too: at each level the longest literal key
/// that matches wins.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(found) = obj.get(path) {
        return Some(found);
    }
    let mut split = path.len();
    while let Some(pos) = path[..split].rfind('.') {
        if let Some(found) = obj
            .get(&path[..pos])
            .and_then(|child| get(child, &path[pos + 1..]))
        {
            return Some(found);
        }
        split = pos;
    }
    None
}

/// A non-empty string at `path` (`"-"` and `""` count as absent).
pub fn str_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    string(get(v, path))
}

/// A scalar at `path` as text: strings as they are, numbers and booleans printed.
pub fn text_at(v: &Value, path: &str) -> Option<String> {
    text(get(v, path))
}

/// A scalar as text (`None` for null, empty, `-`, arrays and objects).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer at `path`, accepting `"10"` as well as `10`.
pub fn i64_at(v: &Value, path: &str) -> Option<i64> {
    get(v, path).and_then(integer)
}

/// An IP address at `path` (strings only; anything unparsable is absent).
pub fn ip_at(v: &Value, path: &str) -> Option<IpAddr> {
    str_at(v, path).and_then(|s| s.trim().parse().ok())
}

/// A port at `path`, accepting numbers and numeric strings.
pub fn port_at(v: &Value, path: &str) -> Option<u16> {
    i64_at(v, path).and_then(|p| u16::try_from(p).ok())
}

/// Strings at `path`: a string gives one, an array gives its string members.
pub fn strings_at(v: &Value, path: &str) -> Vec<String> {
    match get(v, path) {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(scalar_text).collect(),
        _ => Vec::new(),
    }
}

/// The members `names` of the object `v`, found in one pass over it (cheaper than a hashed
/// lookup per name); `None` where absent or when `v` is not an object.
pub fn pick<'a, const N: usize>(v: &'a Value, names: [&str; N]) -> [Option<&'a Value>; N] {
    let mut out = [None; N];
    if let Value::Object(m) = v {
        for (k, val) in m {
            if let Some(i) = names.iter().position(|n| *n == k) {
                out[i] = Some(val);
            }
        }
    }
    out
}

/// A scalar as text (see [`scalar_text`]).
pub fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(scalar_text)
}

/// A non-empty string (`-` counts as empty, as in [`str_at`]).
pub fn string(v: Option<&Value>) -> Option<&str> {
    match v? {
        Value::String(s) if !s.is_empty() && s != "-" => Some(s.as_str()),
        _ => None,
    }
}

/// An integer given as a number or a numeric string (as [`i64_at`]).
pub fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_and_literal_dotted_keys() {
        let v = json!({"rule": {"mitre": {"id": ["T1110"]}, "level": "10"},
                       "id.orig_h": "10.0.0.1", "id": {"resp_p": 22}, "x": "-"});
        assert_eq!(strings_at(&v, "rule.mitre.id"), vec!["T1110"]);
        assert_eq!(i64_at(&v, "rule.level"), Some(10));
        assert_eq!(ip_at(&v, "id.orig_h"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(port_at(&v, "id.resp_p"), Some(22));
        assert_eq!(str_at(&v, "x"), None);
        assert_eq!(get(&v, "nope.deeper"), None);
    }
}
