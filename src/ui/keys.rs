//! Key notation: parses and prints the chords keymaps bind (`j`, `G`, `ctrl-d`, `alt-<`,
//! `shift-tab`, `g g`) and normalises terminal key events so they compare equal to them.

use std::cmp::Ordering;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The most chords one binding may chain (`g g`, `c t`, `ctrl-x n n`).
pub const MAX_SEQUENCE: usize = 3;

/// Why a key notation did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("empty key")]
    Empty,
    #[error("unknown key \"{0}\" (a single character, or one of {NAMED_HELP})")]
    UnknownKey(String),
    #[error("\"{0}\" has a modifier but no key after it")]
    DanglingModifier(String),
    #[error("\"{0}\": chords are separated by exactly one space")]
    BadSeparator(String),
    #[error("\"{notation}\" chains {count} chords; at most {MAX_SEQUENCE} are allowed")]
    TooLong { notation: String, count: usize },
}

const NAMED_HELP: &str = "enter esc tab backtab space backspace delete insert up down left \
                          right home end pageup pagedown f1..f24, with ctrl- alt- shift- prefixes";

/// Named (multi-letter) keys: the notation word and its code. The first word of a code is the
/// one `Display` prints.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
];

/// Modifier prefixes, in the order `Display` prints them.
const MODIFIERS: &[(&str, KeyModifiers)] = &[
    ("ctrl-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
    ("super-", KeyModifiers::SUPER),
    ("hyper-", KeyModifiers::HYPER),
    ("meta-", KeyModifiers::META),
];

/// One key press with its modifiers, normalised: for character keys SHIFT is folded into the
/// character's case (`G`, never `shift-g`), CONTROL lower-cases letters (`ctrl-D` is `ctrl-d`),
/// and `shift-tab` is `backtab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyChord {
    /// A normalised chord.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut code = code;
        let mut mods = mods;
        match code {
            KeyCode::Char(c) => {
                if mods.contains(KeyModifiers::CONTROL) {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                } else if mods.contains(KeyModifiers::SHIFT) {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                mods.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeyChord { code, mods }
    }

    /// Parses one chord: `j`, `G`, `?`, `enter`, `f5`, `ctrl-d`, `alt-<`, `shift-tab`.
    pub fn parse(notation: &str) -> Result<KeyChord, KeyParseError> {
        if notation.is_empty() {
            return Err(KeyParseError::Empty);
        }
        let mut rest = notation;
        let mut mods = KeyModifiers::NONE;
        // A prefix only counts when something follows it, so `-` and `ctrl--` are keys.
        'strip: loop {
            for (prefix, m) in MODIFIERS {
                if rest.len() > prefix.len()
                    && rest
                        .get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
                {
                    mods |= *m;
                    rest = &rest[prefix.len()..];
                    continue 'strip;
                }
            }
            break;
        }
        let code = parse_code(rest).ok_or_else(|| {
            if MODIFIERS.iter().any(|(p, _)| rest.eq_ignore_ascii_case(p)) {
                KeyParseError::DanglingModifier(notation.to_string())
            } else {
                KeyParseError::UnknownKey(rest.to_string())
            }
        })?;
        Ok(KeyChord::new(code, mods))
    }

    /// The chord of a terminal key press; `None` for releases and repeats, and for keys the
    /// notation cannot name (media keys, lone modifiers, caps lock).
    pub fn from_event(event: &KeyEvent) -> Option<KeyChord> {
        if event.kind != KeyEventKind::Press {
            return None;
        }
        match event.code {
            KeyCode::Char(c) if c.is_control() => None,
            KeyCode::Char(_)
            | KeyCode::Backspace
            | KeyCode::Enter
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::PageUp
            | KeyCode::PageDown
            | KeyCode::Tab
            | KeyCode::BackTab
            | KeyCode::Delete
            | KeyCode::Insert
            | KeyCode::Esc => Some(KeyChord::new(event.code, event.modifiers)),
            KeyCode::F(n) if (1..=24).contains(&n) => {
                Some(KeyChord::new(event.code, event.modifiers))
            }
            _ => None,
        }
    }

    /// Whether the chord types a character (a plain or shifted printable key): text inputs
    /// insert these when no binding claims them.
    pub fn is_printable(&self) -> bool {
        matches!(self.code, KeyCode::Char(c) if !c.is_control())
            && (self.mods - KeyModifiers::SHIFT).is_empty()
    }

    /// Ordering key: `KeyCode` is only `PartialOrd`, but total on every value it can hold.
    fn rank(&self) -> (KeyCode, u8) {
        (self.code, self.mods.bits())
    }
}

fn parse_code(word: &str) -> Option<KeyCode> {
    let mut chars = word.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (!c.is_control()).then_some(KeyCode::Char(c));
    }
    let lower = word.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
        return Some(*code);
    }
    let n: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=24).contains(&n).then_some(KeyCode::F(n))
}

impl PartialOrd for KeyChord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyChord {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, am) = self.rank();
        let (b, bm) = other.rank();
        a.partial_cmp(&b)
            .unwrap_or(Ordering::Equal)
            .then(am.cmp(&bm))
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (prefix, m) in MODIFIERS {
            if self.mods.contains(*m) {
                out.push_str(prefix);
            }
        }
        match self.code {
            KeyCode::Char(' ') => out.push_str("space"),
            KeyCode::Char(c) => out.push(c),
            KeyCode::F(n) => out.push_str(&format!("f{n}")),
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => out.push_str(name),
                None => out.push_str(&format!("{code:?}").to_ascii_lowercase()),
            },
        }
        f.pad(&out)
    }
}

impl std::str::FromStr for KeyChord {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyChord::parse(s)
    }
}

/// Parses a binding's key sequence: chords separated by single spaces (`g g`, `c t`).
pub fn parse_sequence(notation: &str) -> Result<Vec<KeyChord>, KeyParseError> {
    if notation.is_empty() {
        return Err(KeyParseError::Empty);
    }
    let parts: Vec<&str> = notation.split(' ').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(KeyParseError::BadSeparator(notation.to_string()));
    }
    if parts.len() > MAX_SEQUENCE {
        return Err(KeyParseError::TooLong {
            notation: notation.to_string(),
            count: parts.len(),
        });
    }
    parts.into_iter().map(KeyChord::parse).collect()
}

/// Prints a key sequence the way keymaps write it (`g g`).
pub fn display_sequence(chords: &[KeyChord]) -> String {
    chords
        .iter()
        .map(KeyChord::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new_with_kind_and_state(code, mods, KeyEventKind::Press, KeyEventState::NONE)
    }

    fn chord(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap()
    }

    #[test]
    fn round_trips_through_display() {
        for s in [
            "j",
            "G",
            "?",
            ":",
            "/",
            ".",
            "<",
            "-",
            "\\",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "backspace",
            "delete",
            "insert",
            "up",
            "down",
            "left",
            "right",
            "home",
            "end",
            "pageup",
            "pagedown",
            "f1",
            "f12",
            "ctrl-d",
            "alt-<",
            "alt->",
            "ctrl--",
            "ctrl-alt-v",
            "shift-up",
            "ctrl-space",
            "alt-G",
        ] {
            let c = chord(s);
            assert_eq!(c.to_string(), s, "display of {s}");
            assert_eq!(chord(&c.to_string()), c, "reparse of {s}");
        }
    }

    #[test]
    fn normalises_shift_case_and_aliases() {
        assert_eq!(chord("shift-g"), chord("G"));
        assert_eq!(chord("G").mods, KeyModifiers::NONE);
        assert_eq!(chord("ctrl-D"), chord("ctrl-d"));
        assert_eq!(chord("ctrl-d").code, KeyCode::Char('d'));
        assert_eq!(chord("ctrl-shift-d"), chord("ctrl-d"));
        assert_eq!(chord("shift-tab"), chord("backtab"));
        assert_eq!(chord("backtab").mods, KeyModifiers::NONE);
        assert_eq!(chord("Enter"), chord("enter"));
        assert_eq!(chord("CTRL-x"), chord("ctrl-x"));
        assert_eq!(chord("escape"), chord("esc"));
        assert_ne!(chord("g"), chord("G"));
        assert_ne!(chord("alt-g"), chord("alt-G"));
        assert_ne!(chord("up"), chord("shift-up"));
    }

    #[test]
    fn rejects_bad_notation() {
        assert_eq!(KeyChord::parse(""), Err(KeyParseError::Empty));
        assert!(
            matches!(KeyChord::parse("launch"), Err(KeyParseError::UnknownKey(k)) if k == "launch")
        );
        assert!(
            matches!(KeyChord::parse("ctrl-foo"), Err(KeyParseError::UnknownKey(k)) if k == "foo")
        );
        assert!(KeyChord::parse("f25").is_err());
        assert!(KeyChord::parse("f0").is_err());
        assert!(matches!(
            KeyChord::parse("ctrl-alt-"),
            Err(KeyParseError::DanglingModifier(_))
        ));
        assert!(KeyChord::parse("\t").is_err());
    }

    #[test]
    fn events_match_notation() {
        let shift_g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&shift_g), Some(chord("G")));
        // Terminals with the kitty protocol may report the base key with SHIFT.
        let shift_lower = press(KeyCode::Char('g'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&shift_lower), Some(chord("G")));
        let ctrl_d = press(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&ctrl_d), Some(chord("ctrl-d")));
        let backtab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&backtab), Some(chord("backtab")));
        assert_eq!(KeyChord::from_event(&backtab), Some(chord("shift-tab")));
        let question = press(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&question), Some(chord("?")));
        let plain_q = press(KeyCode::Char('?'), KeyModifiers::NONE);
        assert_eq!(KeyChord::from_event(&plain_q), Some(chord("?")));
        let alt_lt = press(KeyCode::Char('<'), KeyModifiers::ALT | KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&alt_lt), Some(chord("alt-<")));
        let release = KeyEvent::new_with_kind(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
            KeyEventKind::Release,
        );
        assert_eq!(KeyChord::from_event(&release), None);
        let repeat =
            KeyEvent::new_with_kind(KeyCode::Char('j'), KeyModifiers::NONE, KeyEventKind::Repeat);
        assert_eq!(KeyChord::from_event(&repeat), None);
        assert_eq!(
            KeyChord::from_event(&press(KeyCode::CapsLock, KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn printable_chords() {
        assert!(chord("G").is_printable());
        assert!(chord("space").is_printable());
        assert!(!chord("ctrl-d").is_printable());
        assert!(!chord("enter").is_printable());
    }

    #[test]
    fn sequences() {
        let gg = parse_sequence("g g").unwrap();
        assert_eq!(gg, vec![chord("g"), chord("g")]);
        assert_eq!(display_sequence(&gg), "g g");
        assert_eq!(
            display_sequence(&parse_sequence("ctrl-x n n").unwrap()),
            "ctrl-x n n"
        );
        assert!(matches!(
            parse_sequence("a b c d"),
            Err(KeyParseError::TooLong { count: 4, .. })
        ));
        assert!(matches!(
            parse_sequence("g  g"),
            Err(KeyParseError::BadSeparator(_))
        ));
        assert!(matches!(
            parse_sequence(" g"),
            Err(KeyParseError::BadSeparator(_))
        ));
        assert!(parse_sequence("g nope").is_err());
        assert!(chord("a") < chord("b"));
        assert!(chord("enter") < chord("a"));
    }
}
