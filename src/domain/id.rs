//! Stable identifiers: the same input always gets the same id, so a redelivered or re-ingested
//! record is an upsert, never a duplicate.

use xxhash_rust::xxh3::xxh3_128;

/// A 32-hex-digit id from the content of a record and its ordinal among identical records in
/// the same input (so two identical log lines in one file stay two events, while reading the
/// file again maps each line to the id it had the first time).
pub fn content_id(raw: &[u8], occurrence: u32) -> String {
    let mut buf = Vec::with_capacity(raw.len() + 5);
    buf.extend_from_slice(raw);
    buf.push(0);
    buf.extend_from_slice(&occurrence.to_le_bytes());
    format!("{:032x}", xxh3_128(&buf))
}

/// An id derived from a parent id and a label (e.g. the alert raised from an event, or the
/// second hit inside one webhook payload).
pub fn derived_id(parent: &str, label: &str) -> String {
    let mut buf = Vec::with_capacity(parent.len() + label.len() + 1);
    buf.extend_from_slice(parent.as_bytes());
    buf.push(0);
    buf.extend_from_slice(label.as_bytes());
    format!("{:032x}", xxh3_128(&buf))
}

/// The short form shown in tables (like a git abbreviated hash); lookups accept any unique prefix.
pub fn short_id(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinguish_occurrences() {
        let a = content_id(b"line", 0);
        assert_eq!(a, content_id(b"line", 0));
        assert_ne!(a, content_id(b"line", 1));
        assert_ne!(a, content_id(b"line2", 0));
        assert_eq!(a.len(), 32);
        assert_ne!(derived_id(&a, "alert"), derived_id(&a, "event:1"));
        assert_eq!(short_id(&a).len(), 10);
    }
}
