//! Themes, helix style: loads shipped and user theme files (a palette, `inherits` chains and
//! dotted scopes) into resolved styles the console looks up by scope every frame.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keymap::{a_type, did_you_mean, location};

/// Every scope the console draws with. Each shipped theme defines all of them; `Theme::get`
/// falls back along the dots (`ui.text.dim` -> `ui.text` -> `ui`) for the others.
pub const SCOPES: &[&str] = &[
    "ui.background",
    "ui.text",
    "ui.text.dim",
    "ui.border",
    "ui.border.focus",
    "ui.title",
    "ui.tab",
    "ui.tab.active",
    "ui.statusbar",
    "ui.statusbar.key",
    "ui.selection",
    "ui.selection.unfocused",
    "ui.mark",
    "ui.visual",
    "ui.header",
    "ui.group",
    "ui.hint.key",
    "ui.hint.text",
    "ui.flash.info",
    "ui.flash.error",
    "ui.popup",
    "ui.popup.title",
    "ui.input",
    "ui.input.cursor",
    "ui.match",
    "severity.info",
    "severity.low",
    "severity.medium",
    "severity.high",
    "severity.critical",
    "status.new",
    "status.acknowledged",
    "status.in_progress",
    "status.escalated",
    "status.closed",
    "status.suppressed",
    "priority.p1",
    "priority.p2",
    "priority.p3",
    "priority.p4",
    "json.key",
    "json.string",
    "json.number",
    "json.literal",
    "timeline.time",
    "timeline.actor",
    "timeline.note",
    "timeline.change",
    "technique",
];

/// The themes compiled into the binary, by name.
const SHIPPED: &[(&str, &str)] = &[
    ("dark", include_str!("../../../themes/dark.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    ("ansi16", include_str!("../../../themes/ansi16.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
];

const SHIPPED_NAMES: &[&str] = &["dark", "light", "ansi16", "high-contrast"];

/// The 16 ANSI colours and `reset`, as theme files spell them.
const NAMED: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
];

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed_out", Modifier::CROSSED_OUT),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("hidden", Modifier::HIDDEN),
];

/// The names of the shipped themes, for `[ui] theme`.
pub fn shipped() -> &'static [&'static str] {
    SHIPPED_NAMES
}

/// Why a theme did not load. Errors found in a file name `file:line:col` and the value.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "unknown theme \"{name}\" (shipped themes: {known}; a user theme is \
         <config dir>/themes/{name}.toml)"
    )]
    UnknownTheme { name: String, known: String },
    #[error("{at}: inherits unknown theme \"{name}\" (shipped themes: {known})")]
    UnknownParent {
        at: String,
        name: String,
        known: String,
    },
    #[error("{at}: themes inherit in a cycle: {chain}")]
    Cycle { at: String, chain: String },
    #[error("{path}: cannot read the theme: {error}")]
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
    #[error("{at}: {what} must be {expected}, found {found}")]
    WrongType {
        at: String,
        what: String,
        expected: &'static str,
        found: String,
    },
}

/// Resolved styles by scope.
#[derive(Debug, Clone)]
pub struct Theme {
    name: String,
    /// Every scope in [`SCOPES`] (fallbacks applied) and every scope a file names.
    styles: HashMap<String, Style>,
    /// The scopes the theme's files name.
    defined: HashSet<String>,
}

impl Theme {
    /// Loads theme `name`: `<user_dir>/themes/<name>.toml` if it exists, else a shipped one,
    /// following `inherits` the same way (a user theme that inherits its own name gets the
    /// shipped one).
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let dir = user_dir.map(|d| d.join("themes"));
        let find_user = |theme: &str| -> Result<Option<(String, String)>, ThemeError> {
            let Some(dir) = &dir else { return Ok(None) };
            if !valid_name(theme) {
                return Ok(None);
            }
            let path = dir.join(format!("{theme}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(Some((path.display().to_string(), text))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(ThemeError::Read {
                    path: path.display().to_string(),
                    error,
                }),
            }
        };
        resolve(name, &find_user)
    }

    /// Loads theme `name` where `themes` (name, TOML text) stand in for the user's theme files.
    pub fn from_texts(name: &str, themes: &[(&str, &str)]) -> Result<Theme, ThemeError> {
        let find_user = |theme: &str| -> Result<Option<(String, String)>, ThemeError> {
            Ok(themes
                .iter()
                .find(|(n, _)| *n == theme)
                .map(|(n, text)| (format!("themes/{n}.toml"), text.to_string())))
        };
        resolve(name, &find_user)
    }

    /// The theme's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The style of `scope`, falling back along the dots to `Style::default()`. A scope in
    /// [`SCOPES`] is one hash lookup.
    pub fn get(&self, scope: &str) -> Style {
        let mut scope = scope;
        loop {
            if let Some(style) = self.styles.get(scope) {
                return *style;
            }
            match scope.rfind('.') {
                Some(dot) => scope = &scope[..dot],
                None => return Style::default(),
            }
        }
    }

    /// Whether the theme's files (with what they inherit) name `scope` itself.
    pub fn defines(&self, scope: &str) -> bool {
        self.defined.contains(scope)
    }
}

/// Theme names are file stems: no paths.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\'])
}

type FindUser<'a> = dyn Fn(&str) -> Result<Option<(String, String)>, ThemeError> + 'a;

/// A colour as written: names resolve once the palette of the whole chain is known (palette
/// first, so a theme may redefine `red`).
#[derive(Debug, Clone)]
enum RawColour {
    Ready(Color),
    Name(String, String),
}

#[derive(Debug, Clone, Default)]
struct RawStyle {
    fg: Option<RawColour>,
    bg: Option<RawColour>,
    underline: Option<RawColour>,
    modifiers: Modifier,
}

/// One theme file, parsed.
struct Layer {
    inherits: Option<(String, String)>,
    palette: Vec<(String, Color)>,
    scopes: Vec<(String, RawStyle)>,
}

/// Reads `name` and its ancestors, merges them root first, and resolves every style.
fn resolve(name: &str, find_user: &FindUser<'_>) -> Result<Theme, ThemeError> {
    let unknown_theme = || ThemeError::UnknownTheme {
        name: name.to_string(),
        known: SHIPPED_NAMES.join(", "),
    };
    let mut current = find(name, false, find_user)?.ok_or_else(unknown_theme)?;
    let mut seen: Vec<(String, bool)> = vec![(name.to_string(), current.2)];
    let mut layers = Vec::new();
    loop {
        let (origin, text, is_user) = &current;
        let layer = parse_layer(origin, text)?;
        let parent = layer.inherits.clone();
        layers.push(layer);
        let Some((parent, at)) = parent else { break };
        let own_name = seen.last().map(|(n, _)| n.as_str()) == Some(parent.as_str());
        let next = find(&parent, *is_user && own_name, find_user)?.ok_or_else(|| {
            ThemeError::UnknownParent {
                at: at.clone(),
                name: parent.clone(),
                known: SHIPPED_NAMES.join(", "),
            }
        })?;
        if seen.iter().any(|(n, user)| *n == parent && *user == next.2) {
            let chain: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
            return Err(ThemeError::Cycle {
                at,
                chain: format!("{} -> {parent}", chain.join(" -> ")),
            });
        }
        seen.push((parent, next.2));
        current = next;
    }
    let mut palette: HashMap<String, Color> = HashMap::new();
    let mut raw: HashMap<String, RawStyle> = HashMap::new();
    for layer in layers.into_iter().rev() {
        palette.extend(layer.palette);
        raw.extend(layer.scopes);
    }
    let mut resolved: HashMap<String, Style> = HashMap::new();
    for (scope, style) in &raw {
        resolved.insert(scope.clone(), to_style(style, &palette)?);
    }
    let defined: HashSet<String> = resolved.keys().cloned().collect();
    let mut styles = resolved.clone();
    for scope in SCOPES {
        let mut s: &str = scope;
        let style = loop {
            if let Some(style) = resolved.get(s) {
                break *style;
            }
            match s.rfind('.') {
                Some(dot) => s = &s[..dot],
                None => break Style::default(),
            }
        };
        styles.insert((*scope).to_string(), style);
    }
    Ok(Theme {
        name: name.to_string(),
        styles,
        defined,
    })
}

/// A theme's (origin, text, is_user): the user's first unless `skip_user`, then a shipped one.
fn find(
    name: &str,
    skip_user: bool,
    find_user: &FindUser<'_>,
) -> Result<Option<(String, String, bool)>, ThemeError> {
    if !skip_user && let Some((origin, text)) = find_user(name)? {
        return Ok(Some((origin, text, true)));
    }
    Ok(SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| (format!("themes/{n}.toml"), text.to_string(), false)))
}

fn parse_layer(origin: &str, text: &str) -> Result<Layer, ThemeError> {
    let at = |offset: usize| location(origin, text, offset);
    let doc = DeTable::parse(text).map_err(|e| ThemeError::Syntax {
        at: e.span().map_or_else(|| origin.to_string(), |s| at(s.start)),
        message: e.message().trim().to_string(),
    })?;
    let mut layer = Layer {
        inherits: None,
        palette: Vec::new(),
        scopes: Vec::new(),
    };
    let wrong = |value: &Spanned<DeValue<'_>>, what: String, expected: &'static str| {
        ThemeError::WrongType {
            at: at(value.span().start),
            what,
            expected,
            found: a_type(value.get_ref()),
        }
    };
    for (key, value) in doc.get_ref() {
        let name: &str = key.get_ref();
        match (name, value.get_ref()) {
            ("inherits", DeValue::String(parent)) => {
                layer.inherits = Some((parent.to_string(), at(value.span().start)));
            }
            ("inherits", _) => return Err(wrong(value, "inherits".into(), "a theme name")),
            ("palette", DeValue::Table(table)) => {
                for (k, v) in table {
                    let colour = match colour(v, &at)? {
                        RawColour::Ready(c) => c,
                        RawColour::Name(n, at) => {
                            builtin_colour(&n).ok_or_else(|| unknown_colour(at, &n, &[]))?
                        }
                    };
                    layer.palette.push((k.get_ref().to_string(), colour));
                }
            }
            ("palette", _) => return Err(wrong(value, "palette".into(), "a table")),
            (scope, _) => {
                if !known_scope(scope) {
                    return Err(ThemeError::Unknown {
                        at: at(key.span().start),
                        what: "scope",
                        name: scope.to_string(),
                        hint: did_you_mean(scope, SCOPES.iter().copied()),
                    });
                }
                let style = match value.get_ref() {
                    DeValue::String(_) | DeValue::Integer(_) => RawStyle {
                        fg: Some(colour(value, &at)?),
                        ..RawStyle::default()
                    },
                    DeValue::Table(table) => raw_style(table, &at)?,
                    _ => {
                        let what = format!("scope \"{scope}\"");
                        return Err(wrong(value, what, "a colour or a { fg, bg, ... } table"));
                    }
                };
                layer.scopes.push((scope.to_string(), style));
            }
        }
    }
    Ok(layer)
}

/// A scope of [`SCOPES`] or a dot-prefix of one (`ui`, `ui.text`).
fn known_scope(scope: &str) -> bool {
    SCOPES.iter().any(|s| {
        s.strip_prefix(scope)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    })
}

fn raw_style(table: &DeTable<'_>, at: &dyn Fn(usize) -> String) -> Result<RawStyle, ThemeError> {
    let mut style = RawStyle::default();
    for (key, value) in table {
        let field: &str = key.get_ref();
        match field {
            "fg" => style.fg = Some(colour(value, at)?),
            "bg" => style.bg = Some(colour(value, at)?),
            "underline" => style.underline = Some(colour(value, at)?),
            "modifiers" => {
                let DeValue::Array(items) = value.get_ref() else {
                    return Err(ThemeError::WrongType {
                        at: at(value.span().start),
                        what: "modifiers".into(),
                        expected: "a list like [\"bold\", \"reversed\"]",
                        found: a_type(value.get_ref()),
                    });
                };
                for item in items.iter() {
                    let name = item.get_ref().as_str().unwrap_or_default();
                    let found = MODIFIERS.iter().find(|(n, _)| *n == name);
                    let Some((_, modifier)) = found else {
                        let names = MODIFIERS.iter().map(|(n, _)| *n);
                        return Err(ThemeError::Unknown {
                            at: at(item.span().start),
                            what: "modifier",
                            name: name.to_string(),
                            hint: or_list(did_you_mean(name, names.clone()), names),
                        });
                    };
                    style.modifiers |= *modifier;
                }
            }
            _ => {
                return Err(ThemeError::Unknown {
                    at: at(key.span().start),
                    what: "style field",
                    name: field.to_string(),
                    hint: " (a style has fg, bg, underline and modifiers; quote dotted scope \
                           names: \"ui.text\" = ...)"
                        .into(),
                });
            }
        }
    }
    Ok(style)
}

/// A colour value: a name, `#rrggbb` or an index 0-255; palette names resolve later.
fn colour(
    value: &Spanned<DeValue<'_>>,
    at: &dyn Fn(usize) -> String,
) -> Result<RawColour, ThemeError> {
    let here = at(value.span().start);
    match value.get_ref() {
        // Names resolve at the end: a palette entry may redefine an ANSI name.
        DeValue::String(s) => Ok(match builtin_colour(s).filter(|_| s.starts_with('#')) {
            Some(c) => RawColour::Ready(c),
            None => RawColour::Name(s.to_string(), here),
        }),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            match u8::from_str_radix(&digits, i.radix()) {
                Ok(index) => Ok(RawColour::Ready(Color::Indexed(index))),
                Err(_) => Err(ThemeError::Unknown {
                    at: here,
                    what: "colour",
                    name: i.as_str().to_string(),
                    hint: " (an indexed colour is 0-255)".into(),
                }),
            }
        }
        other => Err(ThemeError::WrongType {
            at: here,
            what: "a colour".into(),
            expected: "a name, \"#rrggbb\" or an index 0-255",
            found: a_type(other),
        }),
    }
}

fn builtin_colour(s: &str) -> Option<Color> {
    if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == s) {
        return Some(*c);
    }
    let hex = s
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.is_ascii())?;
    let channel = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

fn to_style(raw: &RawStyle, palette: &HashMap<String, Color>) -> Result<Style, ThemeError> {
    let get = |c: &Option<RawColour>| -> Result<Option<Color>, ThemeError> {
        match c {
            None => Ok(None),
            Some(RawColour::Ready(c)) => Ok(Some(*c)),
            Some(RawColour::Name(name, at)) => match palette.get(name).copied() {
                Some(c) => Ok(Some(c)),
                None if let Some(c) = builtin_colour(name) => Ok(Some(c)),
                None => {
                    let names: Vec<&str> = palette.keys().map(String::as_str).collect();
                    Err(unknown_colour(at.clone(), name, &names))
                }
            },
        }
    };
    let mut style = Style::default().add_modifier(raw.modifiers);
    if let Some(c) = get(&raw.fg)? {
        style = style.fg(c);
    }
    if let Some(c) = get(&raw.bg)? {
        style = style.bg(c);
    }
    if let Some(c) = get(&raw.underline)? {
        style = style.underline_color(c);
    }
    Ok(style)
}

fn unknown_colour(at: String, name: &str, palette: &[&str]) -> ThemeError {
    let names = NAMED.iter().map(|(n, _)| *n).chain(palette.iter().copied());
    let hint = did_you_mean(name, names);
    ThemeError::Unknown {
        at,
        what: "colour",
        name: name.to_string(),
        hint: if hint.is_empty() {
            " (a palette name, an ANSI name like \"light-red\", \"#rrggbb\" or 0-255)".into()
        } else {
            hint
        },
    }
}

fn or_list<'a>(hint: String, names: impl Iterator<Item = &'a str>) -> String {
    if hint.is_empty() {
        format!(" (known: {})", names.collect::<Vec<_>>().join(", "))
    } else {
        hint
    }
}

#[cfg(test)]
mod tests;
