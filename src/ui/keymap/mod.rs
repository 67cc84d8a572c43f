//! The keymap: loads a shipped keymap and the user's delta from TOML, checks every binding,
//! and answers which action a key sequence means in a pane.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::action::Action;
use super::keys::{self, KeyChord, KeyParseError};
use super::scope::{Condition, Pane};

/// The keymaps compiled into the binary, by name.
const SHIPPED: &[(&str, &str)] = &[
    ("default", include_str!("../../../keymaps/default.toml")),
    ("emacs", include_str!("../../../keymaps/emacs.toml")),
];

const SHIPPED_NAMES: &[&str] = &["default", "emacs"];

/// The value that removes a binding (in a user delta).
const UNBIND: &str = "none";

/// The names of the shipped keymaps, for `[ui] keymap`.
pub fn shipped() -> &'static [&'static str] {
    SHIPPED_NAMES
}

/// Why a keymap did not load. Every error found in a file names `file:line:col` and the value.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("unknown keymap \"{name}\" (shipped keymaps: {known})")]
    UnknownKeymap { name: String, known: String },
    #[error("{path}: cannot read the keymap: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{at}: {message}")]
    Syntax { at: String, message: String },
    #[error("{at}: unknown {what} \"{name}\"{hint}")]
    Unknown {
        at: String,
        what: &'static str,
        name: String,
        hint: String,
    },
    #[error("{at}: bad key \"{keys}\": {error}")]
    BadKey {
        at: String,
        keys: String,
        error: KeyParseError,
    },
    #[error("{at}: {what} must be {expected}, found {found}")]
    WrongType {
        at: String,
        what: String,
        expected: &'static str,
        found: String,
    },
    #[error("{at}: \"{keys}\" is bound twice in [{section}] (also at {other})")]
    Duplicate {
        at: String,
        keys: String,
        section: String,
        other: String,
    },
    #[error(
        "{at}: in [{section}], \"{short}\" is a prefix of \"{long}\" ({other}), so \"{long}\" \
         could never be typed; unbind one of them with \"none\""
    )]
    Prefix {
        at: String,
        section: String,
        short: String,
        long: String,
        other: String,
    },
}

/// What a pending key sequence means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// A binding matched: run it.
    Action(Action),
    /// The keys so far begin a longer binding: wait for the next key.
    Prefix,
    /// Nothing is bound to these keys here.
    None,
}

/// One binding, for the help popup and the hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The keys in notation, e.g. `g g`.
    pub keys: String,
    pub action: Action,
    /// The condition the binding needs, if any.
    pub condition: Option<Condition>,
}

/// A bound action with where it was written (for errors) and when (layer, byte offset: help
/// lists keys in the order the files wrote them).
#[derive(Debug, Clone)]
struct Slot {
    action: Action,
    at: String,
    order: (usize, usize),
}

type SectionKey = (Pane, Option<Condition>);
type Section = BTreeMap<Vec<KeyChord>, Slot>;

/// One line of a layer: a binding, or an unbinding when `action` is `None`.
struct Entry {
    section: SectionKey,
    keys: Vec<KeyChord>,
    action: Option<Action>,
    at: String,
    order: (usize, usize),
}

/// The merged, checked bindings of every pane and condition.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    sections: BTreeMap<SectionKey, Section>,
}

impl Keymap {
    /// Loads the shipped keymap `base` and merges the user's delta file over it (skipped when
    /// it does not exist). Under `readonly`, every action that writes is unbound.
    pub fn load(
        base: &str,
        user_file: Option<&Path>,
        readonly: bool,
    ) -> Result<Keymap, KeymapError> {
        let text = SHIPPED
            .iter()
            .find(|(name, _)| *name == base)
            .map(|(_, text)| *text)
            .ok_or_else(|| KeymapError::UnknownKeymap {
                name: base.to_string(),
                known: SHIPPED_NAMES.join(", "),
            })?;
        let origin = format!("keymaps/{base}.toml");
        let user = match user_file {
            Some(path) => match std::fs::read_to_string(path) {
                Ok(text) => Some((path.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(KeymapError::Read {
                        path: path.display().to_string(),
                        error,
                    });
                }
            },
            None => None,
        };
        let mut layers = vec![(origin.as_str(), text)];
        if let Some((origin, text)) = &user {
            layers.push((origin.as_str(), text.as_str()));
        }
        Keymap::from_layers(&layers, readonly)
    }

    /// Merges `(origin, toml text)` layers in order: a later layer's binding of the same pane,
    /// condition and keys replaces the earlier one, and `"none"` removes it.
    pub fn from_layers(layers: &[(&str, &str)], readonly: bool) -> Result<Keymap, KeymapError> {
        let mut sections: BTreeMap<SectionKey, Section> = BTreeMap::new();
        for (index, (origin, text)) in layers.iter().enumerate() {
            for entry in parse_layer(origin, text, index)? {
                let section = sections.entry(entry.section).or_default();
                match entry.action {
                    Some(action) => {
                        let slot = Slot {
                            action,
                            at: entry.at,
                            order: entry.order,
                        };
                        section.insert(entry.keys, slot);
                    }
                    None => {
                        section.remove(&entry.keys);
                    }
                }
            }
        }
        check_prefixes(&sections)?;
        if readonly {
            for section in sections.values_mut() {
                section.retain(|_, slot| !slot.action.writes());
            }
        }
        sections.retain(|_, section| !section.is_empty());
        Ok(Keymap { sections })
    }

    /// What `pending` means in `pane` while `conditions` hold: the pane's condition tables
    /// (in the order given), the pane, then the same for `global`. The first table where the
    /// keys are bound or begin a binding decides.
    pub fn lookup(&self, pane: Pane, conditions: &[Condition], pending: &[KeyChord]) -> Lookup {
        self.chain(pane, conditions)
            .into_iter()
            .map(|section| probe(section, pending))
            .find(|found| *found != Lookup::None)
            .unwrap_or(Lookup::None)
    }

    /// Like [`Keymap::lookup`], but only the pane's own plain table: no conditions and no
    /// `global` (text inputs type what their own table does not bind).
    pub fn lookup_own(&self, pane: Pane, pending: &[KeyChord]) -> Lookup {
        match self.sections.get(&(pane, None)) {
            Some(section) => probe(section, pending),
            None => Lookup::None,
        }
    }

    /// The tables `lookup` tries, most specific first.
    fn chain(&self, pane: Pane, conditions: &[Condition]) -> Vec<&Section> {
        let mut panes = vec![pane];
        if pane != Pane::Global {
            panes.push(Pane::Global);
        }
        panes
            .into_iter()
            .flat_map(|p| {
                conditions
                    .iter()
                    .map(move |c| (p, Some(*c)))
                    .chain([(p, None)])
            })
            .filter_map(|key| self.sections.get(&key))
            .collect()
    }

    /// The pane's own bindings (plain, then each condition's; not `global`'s unless `pane` is
    /// `Global`), sorted stably by the action's place in [`Action::ALL`].
    pub fn bindings(&self, pane: Pane) -> Vec<Binding> {
        let mut out = Vec::new();
        for condition in std::iter::once(None).chain(Condition::ALL.iter().copied().map(Some)) {
            if let Some(section) = self.sections.get(&(pane, condition)) {
                out.extend(
                    in_file_order(section)
                        .into_iter()
                        .map(|(keys, slot)| Binding {
                            keys: keys::display_sequence(keys),
                            action: slot.action,
                            condition,
                        }),
                );
            }
        }
        // `Action`'s derived order is its declaration order, which is `Action::ALL`'s.
        out.sort_by_key(|b| b.action);
        out
    }

    /// The keys that run `action` in `pane`: the pane's own (plain, then conditional), then
    /// the global ones the pane does not shadow.
    pub fn keys_for(&self, pane: Pane, action: Action) -> Vec<String> {
        let own = self.sections.get(&(pane, None));
        let shadowed = |keys: &[KeyChord]| {
            own.is_some_and(|own| {
                own.keys()
                    .any(|k| k.starts_with(keys) || keys.starts_with(k))
            })
        };
        let global = (pane != Pane::Global)
            .then(|| self.sections.get(&(Pane::Global, None)))
            .flatten();
        let own_keys = self
            .bindings(pane)
            .into_iter()
            .filter(|b| b.action == action);
        let global_keys = global
            .into_iter()
            .flat_map(in_file_order)
            .filter(|(keys, slot)| slot.action == action && !shadowed(keys))
            .map(|(keys, _)| keys::display_sequence(keys));
        let mut out: Vec<String> = Vec::new();
        for keys in own_keys.map(|b| b.keys).chain(global_keys) {
            if !out.contains(&keys) {
                out.push(keys);
            }
        }
        out
    }

    /// The first key [`Keymap::keys_for`] lists, for one-key hints.
    pub fn first_key(&self, pane: Pane, action: Action) -> Option<String> {
        self.keys_for(pane, action).into_iter().next()
    }

    /// Whether any pane binds `action`.
    pub fn is_bound(&self, action: Action) -> bool {
        self.sections
            .values()
            .any(|section| section.values().any(|slot| slot.action == action))
    }
}

/// What `pending` means in one table.
fn probe(section: &Section, pending: &[KeyChord]) -> Lookup {
    if pending.is_empty() {
        return Lookup::None;
    }
    if let Some(slot) = section.get(pending) {
        return Lookup::Action(slot.action);
    }
    // Sorted keys put every extension of `pending` right after it.
    let mut after = section.range::<[KeyChord], _>((Bound::Excluded(pending), Bound::Unbounded));
    match after.next() {
        Some((keys, _)) if keys.starts_with(pending) => Lookup::Prefix,
        _ => Lookup::None,
    }
}

fn in_file_order(section: &Section) -> Vec<(&Vec<KeyChord>, &Slot)> {
    let mut entries: Vec<_> = section.iter().collect();
    entries.sort_by_key(|(_, slot)| slot.order);
    entries
}

fn section_name((pane, condition): SectionKey) -> String {
    match condition {
        Some(c) => format!("{}.{}", pane.name(), c.name()),
        None => pane.name().to_string(),
    }
}

/// Reads one layer's bindings, in the order the file writes them.
fn parse_layer(origin: &str, text: &str, layer: usize) -> Result<Vec<Entry>, KeymapError> {
    let at = |offset: usize| location(origin, text, offset);
    let doc = DeTable::parse(text).map_err(|e| KeymapError::Syntax {
        at: e.span().map_or_else(|| origin.to_string(), |s| at(s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut entries = Vec::new();
    for (pane_key, pane_value) in doc.get_ref() {
        let name: &str = pane_key.get_ref();
        let DeValue::Table(table) = pane_value.get_ref() else {
            return Err(KeymapError::WrongType {
                at: at(pane_key.span().start),
                what: format!("top-level \"{name}\""),
                expected: "a pane table like [queue] (bindings go inside one)",
                found: a_type(pane_value.get_ref()),
            });
        };
        let panes: Vec<&str> = Pane::ALL.iter().map(|p| p.name()).collect();
        let pane = Pane::from_name(name)
            .ok_or_else(|| unknown(at(pane_key.span().start), "pane", name, "", &panes, true))?;
        for (key, value) in table {
            match value.get_ref() {
                DeValue::Table(sub) => {
                    let cname: &str = key.get_ref();
                    let place = format!(" in [{}]", pane.name());
                    let conditions: Vec<&str> = Condition::ALL.iter().map(|c| c.name()).collect();
                    let condition = Condition::from_name(cname).ok_or_else(|| {
                        unknown(
                            at(key.span().start),
                            "condition",
                            cname,
                            &place,
                            &conditions,
                            true,
                        )
                    })?;
                    for (k, v) in sub {
                        entries.push(entry(origin, text, layer, (pane, Some(condition)), k, v)?);
                    }
                }
                _ => entries.push(entry(origin, text, layer, (pane, None), key, value)?),
            }
        }
    }
    entries.sort_by_key(|e| e.order);
    let mut seen: HashMap<(SectionKey, &[KeyChord]), &str> = HashMap::new();
    for e in &entries {
        if let Some(other) = seen.insert((e.section, &e.keys), &e.at) {
            return Err(KeymapError::Duplicate {
                at: e.at.clone(),
                keys: keys::display_sequence(&e.keys),
                section: section_name(e.section),
                other: other.to_string(),
            });
        }
    }
    Ok(entries)
}

fn entry(
    origin: &str,
    text: &str,
    layer: usize,
    section: SectionKey,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<Entry, KeymapError> {
    let notation: &str = key.get_ref();
    let key_at = location(origin, text, key.span().start);
    let value_at = location(origin, text, value.span().start);
    let DeValue::String(name) = value.get_ref() else {
        return Err(KeymapError::WrongType {
            at: value_at,
            what: format!(
                "the binding of \"{notation}\" in [{}]",
                section_name(section)
            ),
            expected: "an action name (a string) or \"none\"",
            found: a_type(value.get_ref()),
        });
    };
    let keys = keys::parse_sequence(notation).map_err(|error| KeymapError::BadKey {
        at: key_at.clone(),
        keys: notation.to_string(),
        error,
    })?;
    let action = if name == UNBIND {
        None
    } else {
        let actions: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        let action = Action::from_name(name);
        Some(action.ok_or_else(|| unknown(value_at, "action", name, "", &actions, false))?)
    };
    Ok(Entry {
        section,
        keys,
        action,
        at: key_at,
        order: (layer, key.span().start),
    })
}

/// A binding that is a strict prefix of another in the same table hides the longer one.
fn check_prefixes(sections: &BTreeMap<SectionKey, Section>) -> Result<(), KeymapError> {
    for (section, bindings) in sections {
        // Sorted keys put every extension of a sequence right after it.
        let mut iter = bindings.iter().peekable();
        while let Some((short, short_slot)) = iter.next() {
            let Some((long, long_slot)) = iter.peek() else {
                break;
            };
            if long.starts_with(short) {
                let (here, there) = if short_slot.order >= long_slot.order {
                    (short_slot, *long_slot)
                } else {
                    (*long_slot, short_slot)
                };
                return Err(KeymapError::Prefix {
                    at: here.at.clone(),
                    section: section_name(*section),
                    short: keys::display_sequence(short),
                    long: keys::display_sequence(long),
                    other: there.at.clone(),
                });
            }
        }
    }
    Ok(())
}

/// `unknown {what} "{name}"{place}`, with a did-you-mean or else (when `list`) the known names.
fn unknown(
    at: String,
    what: &'static str,
    name: &str,
    place: &str,
    known: &[&str],
    list: bool,
) -> KeymapError {
    let mut hint = format!("{place}{}", did_you_mean(name, known.iter().copied()));
    if hint.len() == place.len() && list {
        hint.push_str(&format!(" ({what}s: {})", known.join(", ")));
    }
    KeymapError::Unknown {
        at,
        what,
        name: name.to_string(),
        hint,
    }
}

/// The value's TOML type with its article: "an integer", "a table".
pub(crate) fn a_type(value: &DeValue<'_>) -> String {
    let t = value.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

/// `origin:line:col` of a byte offset in `text` (1-based, columns in characters).
pub(crate) fn location(origin: &str, text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let col = before[line_start..].chars().count() + 1;
    format!("{origin}:{line}:{col}")
}

/// ` (did you mean "x"?)` for the closest candidate within a small edit distance, else "".
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!(" (did you mean \"{c}\"?)"))
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
