//! The console's action vocabulary: every variant's snake_case name is what keymaps bind, what
//! the `:` palette completes and what the help lists, so the three can never disagree.

use serde::{Deserialize, Serialize};

/// How much an action changes. `--readonly` unbinds everything but `Read`; `Dangerous` actions
/// ask for confirmation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Read,
    Write,
    Dangerous,
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $class:ident, $help:literal;)*) => {
        /// One thing the analyst can do. The serde name is the keymap's and the palette's word.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in the order the help lists them.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The snake_case name keymaps and the palette use.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// One line for the help popup and the palette.
            pub fn help(self) -> &'static str {
                match self {
                    $(Action::$variant => $help,)*
                }
            }

            pub fn class(self) -> Class {
                match self {
                    $(Action::$variant => Class::$class,)*
                }
            }
        }
    };
}

actions! {
    // The console as a whole.
    Quit => "quit", Read, "quit tocsin";
    Help => "help", Read, "show the keys of this pane (generated from the keymap)";
    Palette => "palette", Read, "open the command palette";
    Suspend => "suspend", Read, "suspend to the shell (fg resumes)";
    NextTab => "next_tab", Read, "next tab";
    PrevTab => "prev_tab", Read, "previous tab";
    TabQueue => "tab_queue", Read, "go to the alert queue";
    TabCases => "tab_cases", Read, "go to the cases";
    TabAttack => "tab_attack", Read, "go to the ATT&CK matrix";
    TabHunt => "tab_hunt", Read, "go to the hunt (search every event)";
    TabChat => "tab_chat", Read, "go to the chat";
    Refresh => "refresh", Read, "reload from the store now";
    Cancel => "cancel", Read, "close the popup, leave the mode, or go back";
    FocusNext => "focus_next", Read, "move focus between list and detail";

    // Moving around lists and text.
    Down => "down", Read, "next row";
    Up => "up", Read, "previous row";
    PageDown => "page_down", Read, "one page down";
    PageUp => "page_up", Read, "one page up";
    HalfPageDown => "half_page_down", Read, "half a page down";
    HalfPageUp => "half_page_up", Read, "half a page up";
    Top => "top", Read, "first row";
    Bottom => "bottom", Read, "last row";
    ColumnLeft => "column_left", Read, "previous column (ATT&CK tactic)";
    ColumnRight => "column_right", Read, "next column (ATT&CK tactic)";
    Open => "open", Read, "open the selected row";
    Back => "back", Read, "back to the list";
    NextSection => "next_section", Read, "next section of the detail";
    PrevSection => "prev_section", Read, "previous section of the detail";

    // The queue: finding alerts.
    Filter => "filter", Read, "filter the queue (sev:high status:new src:wazuh tech:T1110 assignee:me since:24h text)";
    ClearFilter => "clear_filter", Read, "clear the filter";
    Sort => "sort", Read, "sort by a column";
    SortReverse => "sort_reverse", Read, "reverse the sort order";
    Group => "group", Read, "group by rule, host, user or grouping key";
    ToggleGroup => "toggle_group", Read, "expand or collapse the selected group";
    Drill => "drill", Read, "show only the selected group's alerts";
    ToggleMark => "toggle_mark", Read, "mark or unmark the selected alert";
    Visual => "visual", Read, "start or end a visual range selection";
    ClearMarks => "clear_marks", Read, "unmark all alerts";

    // Triage: changes to alerts, audited.
    Acknowledge => "acknowledge", Write, "acknowledge the alert(s)";
    AssignMe => "assign_me", Write, "assign the alert(s) to me";
    Assign => "assign", Write, "assign the alert(s) to someone";
    Unassign => "unassign", Write, "remove the assignee";
    Verdict => "verdict", Write, "close with a verdict and a reason";
    VerdictTruePositive => "verdict_true_positive", Write, "close as true positive";
    VerdictFalsePositive => "verdict_false_positive", Write, "close as false positive";
    VerdictBenign => "verdict_benign", Write, "close as benign";
    VerdictDuplicate => "verdict_duplicate", Write, "close as duplicate";
    Escalate => "escalate", Write, "escalate to a case (joins the open case of its group, else a new one)";
    AddToCase => "add_to_case", Write, "add the alert(s) to an existing case";
    Suppress => "suppress", Dangerous, "suppress similar alerts (same rule and host) for a while";
    RepeatLast => "repeat_last", Write, "repeat the last disposition on the selected alert(s)";

    // Cases.
    CaseFilter => "case_filter", Read, "filter the cases by text";
    CaseStatusFilter => "case_status_filter", Read, "cycle the cases shown: open, all, closed";
    NewCase => "new_case", Write, "create an empty case";
    Note => "note", Write, "write a note on the case";
    CaseStatus => "case_status", Write, "change the case's status";
    CasePriority => "case_priority", Write, "change the case's priority";
    CaseAssign => "case_assign", Write, "change the case's assignee";
    CloseCase => "close_case", Dangerous, "close the case with a reason";
    UnlinkAlert => "unlink_alert", Write, "remove the selected alert from the case";
    Pivot => "pivot", Read, "pivot on a value: alerts sharing an observable, or a new hunt for a field";
    PivotAdd => "pivot_add", Read, "add a field value of the selected event to the hunt query";
    MoreLikeThis => "more_like_this", Read, "more like this: the alerts (or events) nearest in meaning";

    // Inputs, pickers and the editor.
    Confirm => "confirm", Read, "accept";
    Save => "save", Read, "save the note";
    Complete => "complete", Read, "complete the command";
    ClearLine => "clear_line", Read, "clear the input line";
}

impl Action {
    /// Looks an action up by its snake_case name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Changes state (unbound under `--readonly`).
    pub fn writes(self) -> bool {
        self.class() != Class::Read
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde() {
        for a in Action::ALL {
            let json = serde_json::to_string(a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
        assert_eq!(Action::from_name("launch_missiles"), None);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
