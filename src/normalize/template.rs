//! Log templates: a message with its variable parts (numbers, addresses, hex, paths, quoted
//! strings, `key=value` values, user names after known keywords) masked to `<*>`, and a short
//! stable id per (dataset, template), so per-template work (embedding, counting, rare-template
//! hunting) grows with the number of templates, not with the number of events.
//!
//! [`mask`] is one pass over the message's whitespace-separated tokens with no regex: each
//! token is stripped of surrounding punctuation, its core is either wholly variable (an
//! address, a number, a hash...) and becomes `<*>`, or keeps its letters and loses the digit
//! runs that are not part of a word (`CPU#0` -> `CPU#<*>`, but `ssh2` stays). Whitespace is
//! normalised to single spaces and consecutive `<*>` tokens collapse into one.

use xxhash_rust::xxh3::xxh3_64;

/// The wildcard that replaces a variable part.
pub const WILDCARD: &str = "<*>";

/// Whether `core` is the value after the word `prev`: the user name after `user` or `for`,
/// the host after `from`. The message's own words are not values (`for invalid user x`, `for
/// user x`, and `user  from` where the name is empty).
fn value_after(prev: &str, core: &str) -> bool {
    match prev {
        "user" => !matches!(core, "from" | "by" | "port" | "unknown" | "preauth"),
        "for" => !matches!(core, "invalid" | "user" | "from" | "preauth"),
        "from" | "port" | "host" => !matches!(core, "port" | "user" | "preauth"),
        _ => false,
    }
}

const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Punctuation stripped off the front of a token before it is classified.
fn leading_punct(b: u8) -> bool {
    matches!(b, b'(' | b'[' | b'{' | b'<' | b'"' | b'\'' | b'#')
}

/// Punctuation stripped off the end of a token before it is classified.
fn trailing_punct(b: u8) -> bool {
    matches!(
        b,
        b')' | b']' | b'}' | b'>' | b',' | b';' | b':' | b'.' | b'!' | b'?' | b'"' | b'\''
    )
}

/// The message with its variable parts replaced by `<*>` (see the module docs).
pub fn mask(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let bytes = message.as_bytes();
    let mut i = 0;
    // The previous token's core as written (for keywords and dates), and whether the last
    // thing written was a lone wildcard (for collapsing).
    let mut prev_core: &str = "";
    let mut last_wild = false;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // A quoted string runs to its closing quote, spaces included.
        if let Some(end) = quoted_end(bytes, i) {
            push_sep(&mut out);
            let q = char::from(bytes[i]);
            out.push(q);
            out.push_str(WILDCARD);
            out.push(q);
            // Punctuation glued after the closing quote.
            let rest_end = token_end(bytes, end);
            out.push_str(&message[end..rest_end]);
            last_wild = false;
            prev_core = "";
            i = rest_end;
            continue;
        }
        let end = token_end(bytes, i);
        let token = &message[i..end];
        // `1.2.3.4 ()`: the empty alias of a value (no reverse name) is a value too.
        if token == "()" && last_wild {
            out.push_str(" (<*>)");
            last_wild = false;
            prev_core = "";
            i = end;
            continue;
        }
        let next = next_core(message, end);
        let (lead, core, trail) = split_punct(token);
        let variable = !core.is_empty()
            && ((lead.is_empty() && value_after(prev_core, core))
                || wholly_variable(core)
                || (DAYS.contains(&core) && MONTHS.contains(&next))
                || (MONTHS.contains(&core)
                    && next.as_bytes().first().is_some_and(u8::is_ascii_digit)));
        if variable && lead.is_empty() && trail.is_empty() {
            if !last_wild {
                push_sep(&mut out);
                out.push_str(WILDCARD);
            }
            last_wild = true;
        } else {
            push_sep(&mut out);
            out.push_str(lead);
            if variable {
                out.push_str(WILDCARD);
            } else {
                mask_inside(core, &mut out);
            }
            out.push_str(trail);
            last_wild = false;
        }
        prev_core = core;
        i = end;
    }
    out
}

/// A short stable id for a template: xxh3-64 of the dataset and the masked text, in hex.
pub fn template_id(dataset: &str, masked: &str) -> String {
    let mut buf = Vec::with_capacity(dataset.len() + 1 + masked.len());
    buf.extend_from_slice(dataset.as_bytes());
    buf.push(0);
    buf.extend_from_slice(masked.as_bytes());
    format!("{:016x}", xxh3_64(&buf))
}

fn push_sep(out: &mut String) {
    if !out.is_empty() {
        out.push(' ');
    }
}

/// Where the token starting at `i` ends (the next ASCII whitespace or the end).
fn token_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(u8::is_ascii_whitespace)
        .map_or(bytes.len(), |n| i + n)
}

/// The core of the token after the whitespace at `from`, for look-ahead ("" at the end).
fn next_core(message: &str, from: usize) -> &str {
    let bytes = message.as_bytes();
    let start = bytes[from..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(bytes.len(), |n| from + n);
    split_punct(&message[start..token_end(bytes, start)]).1
}

/// When a quote opens a token at `i` and closes before a token boundary, the index just past
/// the closing quote. A quote inside a word (`can't`) opens nothing.
fn quoted_end(bytes: &[u8], i: usize) -> Option<usize> {
    let q = bytes[i];
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut j = i + 1;
    while j < bytes.len() {
        if bytes[j] == q {
            let after = bytes.get(j + 1).copied();
            if after.is_none_or(|b| b.is_ascii_whitespace() || trailing_punct(b)) {
                return Some(j + 1);
            }
        }
        j += 1;
    }
    None
}

/// Splits leading and trailing punctuation off a token: `(uid=0)` -> `(`, `uid=0`, `)`.
fn split_punct(token: &str) -> (&str, &str, &str) {
    let b = token.as_bytes();
    let start = b.iter().position(|&c| !leading_punct(c)).unwrap_or(b.len());
    let end = b[start..]
        .iter()
        .rposition(|&c| !trailing_punct(c))
        .map_or(start, |n| start + n + 1);
    (&token[..start], &token[start..end], &token[end..])
}

/// True when the whole core is a value: a number, an address, a hash, a path, a URL...
fn wholly_variable(core: &str) -> bool {
    let b = core.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let numeric_sep = |c: &u8| matches!(c, b'.' | b':' | b'-' | b'/' | b',' | b'_' | b'+');
    // Numbers, decimals, IPv4 with port, times, dates, versions: digits and separators only.
    if digits > 0 && b.iter().all(|c| c.is_ascii_digit() || numeric_sep(c)) {
        return true;
    }
    // Paths and URLs.
    if (b.len() > 1 && (b[0] == b'/' || (b[0] == b'~' && b[1] == b'/')))
        || core.contains("://")
        || (b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
    {
        return true;
    }
    // Hex: 0x1f, hashes and long runs, UUIDs, IPv6 (with digits somewhere).
    if let Some(h) = core.strip_prefix("0x").or_else(|| core.strip_prefix("0X"))
        && !h.is_empty()
        && h.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return true;
    }
    if digits > 0
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b'-' | b':' | b'.'))
    {
        let longest = b
            .split(|c| !c.is_ascii_hexdigit())
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        let colons = b.iter().filter(|&&c| c == b':').count();
        if longest >= 8 || colons >= 2 {
            return true;
        }
    }
    // Durations and sizes: 900ms, 1.5s, 64K, 2nd.
    if b[0].is_ascii_digit() {
        let num = b
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'.')
            .count();
        let unit = &b[num..];
        if !unit.is_empty() && unit.len() <= 4 && unit.iter().all(u8::is_ascii_alphabetic) {
            return true;
        }
    }
    // E-mail addresses (user@host.tld) and host names with two dots or more.
    if let Some(at) = core.find('@')
        && at > 0
        && core[at + 1..].contains('.')
    {
        return true;
    }
    if hostname(b) {
        return true;
    }
    // Long mixed tokens: base64 key fingerprints, session ids.
    b.len() >= 16
        && digits >= 3
        && b.iter().any(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b':' | b'-'))
}

/// `ns.example.com`, `24-54-76-216.bflony.adelphia.net`: labels of letters, digits, `-` and
/// `_`, two dots or more, and a last label of letters.
fn hostname(b: &[u8]) -> bool {
    let mut labels = 0;
    let mut last: &[u8] = &[];
    for label in b.split(|&c| c == b'.') {
        if label.is_empty()
            || !label
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    labels >= 3 && last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic)
}

/// Writes a core that is not wholly variable, piece by piece between brackets (`mice.c(1766`,
/// `fe80::1]:22`): a piece that is wholly variable becomes `<*>`, a `key=value` piece masks its
/// value, and other pieces lose the digit runs that do not continue a word: `CPU#0` ->
/// `CPU#<*>`, `dquot_6.5.1` -> `dquot_<*>`; `ssh2`, `i686` and `tty2` stay.
fn mask_inside(core: &str, out: &mut String) {
    let mut rest = core;
    loop {
        let cut = rest.find(['(', ')', '[', ']']).unwrap_or(rest.len());
        mask_piece(&rest[..cut], out);
        match rest[cut..].chars().next() {
            Some(bracket) => {
                out.push(bracket);
                rest = &rest[cut + 1..];
            }
            None => return,
        }
    }
}

fn mask_piece(piece: &str, out: &mut String) {
    // `]:22`: the port's colon stays.
    let piece = match piece.strip_prefix(':') {
        Some(rest) => {
            out.push(':');
            rest
        }
        None => piece,
    };
    if piece.is_empty() {
        return;
    }
    if wholly_variable(piece) {
        out.push_str(WILDCARD);
        return;
    }
    // Versions: `v1.5`, `V2`.
    if let Some(v) = piece.strip_prefix(['v', 'V'])
        && v.starts_with(|c: char| c.is_ascii_digit())
        && wholly_variable(v)
    {
        out.push(piece.as_bytes()[0].into());
        out.push_str(WILDCARD);
        return;
    }
    if let Some(eq) = piece.find('=') {
        let key = &piece[..eq];
        if !key.is_empty() && !key.contains(['"', '\'']) {
            out.push_str(key);
            out.push('=');
            if eq + 1 < piece.len() {
                out.push_str(WILDCARD);
            }
            return;
        }
    }
    let b = piece.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() {
            // A word, digits included (`ssh2`, `e820`): kept.
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A digit run, with any `.`/`:`/`-` separated digit runs after it.
        let mut j = i;
        loop {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < b.len() && matches!(b[j], b'.' | b':' | b'-') && b[j + 1].is_ascii_digit() {
                j += 1;
            } else {
                break;
            }
        }
        out.push_str(&piece[copied..i]);
        out.push_str(WILDCARD);
        copied = j;
        i = j;
    }
    out.push_str(&piece[copied..]);
}

#[cfg(test)]
mod tests;
