//! Where a key binding applies: the pane that has focus and the conditions that hold there.
//! Keymap sections are named after these, so their snake_case names are file vocabulary.

use serde::{Deserialize, Serialize};

/// A keymap section. Lookup tries the focused pane (with its conditions first), then `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pane {
    /// Everywhere, after the focused pane.
    Global,
    /// The alert queue table.
    Queue,
    /// One alert's detail.
    Detail,
    /// The case list.
    Cases,
    /// One case's detail and timeline.
    Case,
    /// The ATT&CK matrix.
    Matrix,
    /// The hunt pane: log search results and one event's raw record.
    Hunt,
    /// The chat pane.
    Chat,
    /// A picker, prompt or confirmation popup (it takes the keys before any pane).
    Popup,
    /// A one-line text input: the `/` filter, the `:` palette, prompts. Unbound printable keys
    /// are typed into it.
    Input,
    /// The multi-line note editor. Unbound keys are typed into it.
    Editor,
}

impl Pane {
    pub const ALL: &'static [Pane] = &[
        Pane::Global,
        Pane::Queue,
        Pane::Detail,
        Pane::Cases,
        Pane::Case,
        Pane::Matrix,
        Pane::Hunt,
        Pane::Chat,
        Pane::Popup,
        Pane::Input,
        Pane::Editor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Pane::Global => "global",
            Pane::Queue => "queue",
            Pane::Detail => "detail",
            Pane::Cases => "cases",
            Pane::Case => "case",
            Pane::Matrix => "matrix",
            Pane::Hunt => "hunt",
            Pane::Chat => "chat",
            Pane::Popup => "popup",
            Pane::Input => "input",
            Pane::Editor => "editor",
        }
    }

    pub fn from_name(name: &str) -> Option<Pane> {
        Pane::ALL.iter().copied().find(|p| p.name() == name)
    }
}

/// A state a binding can depend on (`[queue.visual]` binds keys only while a visual range is
/// being selected). A conditional binding wins over the pane's plain one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// A visual range selection is in progress in the queue.
    Visual,
    /// The queue is grouped (rows are groups and their expanded members).
    Grouped,
    /// Some alerts are marked for a bulk action.
    Marked,
}

impl Condition {
    pub const ALL: &'static [Condition] =
        &[Condition::Visual, Condition::Grouped, Condition::Marked];

    pub fn name(self) -> &'static str {
        match self {
            Condition::Visual => "visual",
            Condition::Grouped => "grouped",
            Condition::Marked => "marked",
        }
    }

    pub fn from_name(name: &str) -> Option<Condition> {
        Condition::ALL.iter().copied().find(|c| c.name() == name)
    }
}
