//! Timestamps as sources write them: RFC 3339 with `Z`, `+01:00` or `+0100`, zone-less civil
//! times (read in the configured zone), and Unix epochs in seconds or milliseconds.

use jiff::{Timestamp, civil, tz::TimeZone};
use serde_json::Value;

use super::NormalizeError;

/// Parses a timestamp string; zone-less times are taken in `tz`.
pub fn parse(s: &str, tz: &TimeZone) -> Result<Timestamp, NormalizeError> {
    let t = s.trim();
    let err = |problem: &str| NormalizeError::Timestamp {
        value: s.to_string(),
        problem: problem.to_string(),
    };
    if t.is_empty() {
        return Err(err("empty"));
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = t.parse().map_err(|_| err("not a number"))?;
        return from_epoch(secs).ok_or_else(|| err("epoch out of range"));
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    // `2024-01-01 10:00:00+0000` and friends: jiff wants `T`.
    if t.len() > 10 && t.as_bytes()[10] == b' ' {
        let with_t = format!("{}T{}", &t[..10], &t[11..]);
        if let Ok(ts) = with_t.parse::<Timestamp>() {
            return Ok(ts);
        }
        if let Ok(dt) = with_t.parse::<civil::DateTime>() {
            return tz.to_timestamp(dt).map_err(|e| err(&e.to_string()));
        }
    }
    match t.parse::<civil::DateTime>() {
        Ok(dt) => tz.to_timestamp(dt).map_err(|e| err(&e.to_string())),
        Err(e) => Err(err(&e.to_string())),
    }
}

/// A Unix epoch in seconds (fractional allowed); values beyond year ~5138 are read as
/// milliseconds, as Elastic and Splunk often send them.
pub fn from_epoch(value: f64) -> Option<Timestamp> {
    if !value.is_finite() {
        return None;
    }
    let secs = if value.abs() > 1e11 {
        value / 1000.0
    } else {
        value
    };
    let nanos = (secs * 1e9).round();
    if nanos.abs() > i128::MAX as f64 {
        return None;
    }
    Timestamp::from_nanosecond(nanos as i128).ok()
}

/// A timestamp from a JSON value: a string in any form [`parse`] takes, or an epoch number.
pub fn from_value(v: &Value, tz: &TimeZone) -> Result<Timestamp, NormalizeError> {
    match v {
        Value::String(s) => parse(s, tz),
        Value::Number(n) => {
            n.as_f64()
                .and_then(from_epoch)
                .ok_or_else(|| NormalizeError::Timestamp {
                    value: n.to_string(),
                    problem: "epoch out of range".into(),
                })
        }
        other => Err(NormalizeError::Timestamp {
            value: other.to_string(),
            problem: "not a string or number".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Timestamp, NormalizeError> {
        parse(s, &TimeZone::UTC)
    }

    #[test]
    fn source_formats_parse() {
        let want = "2017-01-30T15:12:26.985026Z".parse::<Timestamp>().unwrap();
        assert_eq!(p("2017-01-30T16:12:26.985026+0100").unwrap(), want);
        assert_eq!(p("2017-01-30T16:12:26.985026+01:00").unwrap(), want);
        assert_eq!(
            p("2022-05-11T12:29:19.905+0000").unwrap().as_millisecond(),
            1652272159905
        );
        assert_eq!(p("2024-01-01 10:00:00").unwrap().as_second(), 1704103200);
        assert_eq!(p("1521911721.255387").unwrap().as_second(), 1521911721);
        assert_eq!(
            from_epoch(1_704_103_200_000.0).unwrap().as_second(),
            1704103200
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_guess() {
        assert!(p("2017-01-30T16:12:26.985026+0100asloefbnjhowebfg").is_err());
        assert!(p("").is_err());
        assert!(p("yesterday").is_err());
    }
}
