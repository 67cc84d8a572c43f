//! Update for the one-line input (filter, palette, prompts) and the popups (help, pickers,
//! confirmations). The palette completes every action name and runs `name [argument]`.

use crossterm::event::KeyEvent;

use super::{Effect, cases, queue, triage};
use crate::domain::{CaseStatus, Priority, Verdict};
use crate::ui::Action;
use crate::ui::model::{Input, InputFor, Model, PickFor, Popup};
use crate::ui::msg::Op;

/// Opens the one-line input.
pub fn open(m: &mut Model, purpose: InputFor, prompt: &str, text: &str) {
    m.input = Some(Input::new(purpose, prompt, text));
    m.dirty = true;
}

pub fn open_palette(m: &mut Model, text: &str) {
    open(m, InputFor::Palette, ":", text);
    complete_list(m);
}

/// A key no binding claimed: it edits the text.
pub fn type_key(m: &mut Model, ev: KeyEvent) -> Vec<Effect> {
    if let Some(ed) = m.editor.as_mut() {
        ed.area.input(ev);
        return Vec::new();
    }
    let Some(inp) = m.input.as_mut() else {
        return Vec::new();
    };
    inp.area.input(ev);
    // One line only: a newline typed through some other binding is folded away.
    if inp.area.lines().len() > 1 {
        let text = inp.text();
        inp.set_text(&text);
    }
    inp.completion = None;
    if inp.purpose == InputFor::Palette {
        complete_list(m);
    }
    Vec::new()
}

/// The palette's candidates for the current text: action names that contain it, and for
/// actions with a known set of arguments, those.
fn complete_list(m: &mut Model) {
    let readonly = m.readonly;
    let Some(inp) = m.input.as_mut() else {
        return;
    };
    let text = inp.text();
    let text = text.trim_start();
    inp.completions = match text.split_once(' ') {
        Some((name, arg)) => arguments(name)
            .iter()
            .filter(|a| a.starts_with(arg.trim()))
            .map(|a| format!("{name} {a}"))
            .collect(),
        None => {
            let mut starts: Vec<String> = Vec::new();
            let mut contains: Vec<String> = Vec::new();
            for a in Action::ALL {
                if readonly && a.writes() {
                    continue;
                }
                if a.name().starts_with(text) {
                    starts.push(a.name().to_string());
                } else if a.name().contains(text) {
                    contains.push(a.name().to_string());
                }
            }
            starts.extend(contains);
            starts
        }
    };
}

/// Arguments the palette can complete for an action.
fn arguments(name: &str) -> Vec<String> {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    match name {
        "sort" => crate::store::AlertSort::ALL
            .iter()
            .map(|s| s.name().to_string())
            .collect(),
        "group" => {
            let mut v = vec!["none".to_string()];
            v.extend(
                crate::store::AlertGroupBy::ALL
                    .iter()
                    .map(|g| g.name().to_string()),
            );
            v
        }
        "verdict" => names(&["true_positive", "false_positive", "benign", "duplicate"]),
        "filter" => crate::ui::filter::KEYS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "case_status" => names(&["open", "in_progress", "on_hold", "resolved", "closed"]),
        "case_priority" => names(&["p1", "p2", "p3", "p4"]),
        "suppress" => names(&["1h", "4h", "24h", "7d"]),
        _ => Vec::new(),
    }
}

/// Bound keys while the input is open. `None`: not an input key, handle it as usual.
pub fn action(m: &mut Model, a: Action) -> Option<Vec<Effect>> {
    match a {
        Action::Cancel => {
            m.input = None;
            Some(Vec::new())
        }
        Action::Confirm => {
            let inp = m.input.take()?;
            let text = inp.text().trim().to_string();
            Some(submit(m, inp.purpose, text))
        }
        Action::ClearLine => {
            if let Some(inp) = m.input.as_mut() {
                inp.set_text("");
            }
            if m.input
                .as_ref()
                .is_some_and(|i| i.purpose == InputFor::Palette)
            {
                complete_list(m);
            }
            Some(Vec::new())
        }
        Action::Complete => {
            if let Some(inp) = m.input.as_mut()
                && !inp.completions.is_empty()
            {
                let next = inp
                    .completion
                    .map(|i| (i + 1) % inp.completions.len())
                    .unwrap_or(0);
                let choice = inp.completions[next].clone();
                let keep = inp.completions.clone();
                inp.set_text(&choice);
                inp.completions = keep;
                inp.completion = Some(next);
            }
            Some(Vec::new())
        }
        Action::Up | Action::Down => {
            let history = match m.input.as_ref().map(|i| &i.purpose) {
                Some(InputFor::Palette) => m.palette_history.clone(),
                Some(InputFor::HuntQuery) => m.hunt.history.clone(),
                _ => Vec::new(),
            };
            if let Some(inp) = m.input.as_mut()
                && !history.is_empty()
            {
                let n = history.len();
                let at = match (inp.history_at, a) {
                    (None, Action::Up) => n - 1,
                    (None, _) => return Some(Vec::new()),
                    (Some(i), Action::Up) => i.saturating_sub(1),
                    (Some(i), _) => (i + 1).min(n - 1),
                };
                inp.set_text(&history[at]);
                inp.history_at = Some(at);
            }
            Some(Vec::new())
        }
        _ => Some(Vec::new()),
    }
}

/// The input was accepted.
fn submit(m: &mut Model, purpose: InputFor, text: String) -> Vec<Effect> {
    match purpose {
        InputFor::QueueFilter => {
            if let Err(e) = crate::ui::filter::parse(&text, &m.actor) {
                m.flash(e, true);
                open(m, InputFor::QueueFilter, "/", &text);
                return Vec::new();
            }
            m.queue.filter_text = text;
            let mut fx = queue::restart(m);
            if m.tab == crate::ui::model::Tab::Attack {
                // Typed on the matrix: it shows the same alerts as the queue.
                fx.extend(super::matrix::reload(m));
            }
            fx
        }
        InputFor::CaseFilter => {
            m.cases.filter.text = (!text.is_empty()).then_some(text);
            cases::reload(m)
        }
        InputFor::Palette => run_palette(m, &text),
        InputFor::HuntQuery => super::hunt::set_query(m, text),
        InputFor::Assign if !text.is_empty() => triage::dispatch(m, Op::Assign(Some(text))),
        InputFor::VerdictReason(v) => {
            if text.is_empty() {
                m.flash("a verdict needs a reason", true);
                triage::ask_reason(m, v);
                return Vec::new();
            }
            triage::dispatch(m, Op::Verdict(v, text))
        }
        InputFor::EscalateTitle => {
            triage::dispatch(m, Op::Escalate((!text.is_empty()).then_some(text)))
        }
        InputFor::SuppressDuration => triage::confirm_suppress(m, &text),
        InputFor::CaseAssign => cases::assign(m, (!text.is_empty()).then_some(text)),
        InputFor::CloseReason => cases::confirm_close(m, text),
        InputFor::StatusReason(s) => cases::set_status(m, s, text),
        InputFor::NewCaseTitle if !text.is_empty() => triage::dispatch(m, Op::NewCase(text)),
        InputFor::Assign | InputFor::NewCaseTitle => Vec::new(),
    }
}

/// Runs `name [argument]` typed in the palette.
fn run_palette(m: &mut Model, text: &str) -> Vec<Effect> {
    if text.is_empty() {
        return Vec::new();
    }
    m.palette_history.retain(|h| h != text);
    m.palette_history.push(text.to_string());
    let (name, arg) = match text.split_once(' ') {
        Some((n, a)) => (n, Some(a.trim().to_string())),
        None => (text, None),
    };
    let Some(a) = Action::from_name(name) else {
        m.flash(format!("no action `{name}` (tab completes)"), true);
        return Vec::new();
    };
    // Run as if its key was pressed: one that needs more opens its picker or prompt, and a
    // dangerous one still asks.
    super::action(m, a, arg)
}

/// Keys while a popup is open. `None`: not a popup key, handle it as usual.
pub fn popup_action(m: &mut Model, a: Action) -> Option<Vec<Effect>> {
    let popup = m.popup.as_mut()?;
    match popup {
        Popup::Help { scroll } => match a {
            Action::Down => *scroll += 1,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::PageDown | Action::HalfPageDown => *scroll += 10,
            Action::PageUp | Action::HalfPageUp => *scroll = scroll.saturating_sub(10),
            Action::Top => *scroll = 0,
            Action::Bottom => *scroll = usize::MAX / 4,
            Action::Quit => return None,
            _ => m.popup = None,
        },
        Popup::Picker {
            items,
            selected,
            purpose,
            ..
        } => match a {
            Action::Down => *selected = (*selected + 1).min(items.len().saturating_sub(1)),
            Action::Up => *selected = selected.saturating_sub(1),
            Action::Top => *selected = 0,
            Action::Bottom => *selected = items.len().saturating_sub(1),
            Action::Confirm | Action::Open => {
                let value = items.get(*selected).map(|(v, _)| v.clone());
                let purpose = purpose.clone();
                m.popup = None;
                return Some(match value {
                    Some(v) => picked(m, purpose, &v),
                    None => Vec::new(),
                });
            }
            Action::Cancel | Action::Back => m.popup = None,
            Action::Quit => return None,
            _ => {}
        },
        Popup::Confirm { then, .. } => match a {
            Action::Confirm => {
                let pending = (**then).clone();
                m.popup = None;
                return Some(triage::send(m, pending));
            }
            Action::Cancel | Action::Back => {
                m.popup = None;
                m.flash("cancelled", false);
            }
            Action::Quit => return None,
            _ => {}
        },
    }
    Some(Vec::new())
}

fn picked(m: &mut Model, purpose: PickFor, v: &str) -> Vec<Effect> {
    match purpose {
        PickFor::Sort => queue::set_sort(m, v),
        PickFor::Pivot => super::hunt::pivot(m, v, false),
        PickFor::PivotAdd => super::hunt::pivot(m, v, true),
        PickFor::Group => queue::set_group(m, v),
        PickFor::Verdict => {
            if let Ok(v) = v.parse::<Verdict>() {
                triage::ask_reason(m, v);
            }
            Vec::new()
        }
        PickFor::AddToCase => triage::dispatch(m, Op::AddToCase(v.to_string())),
        PickFor::CaseStatus => match v.parse::<CaseStatus>() {
            Ok(s @ (CaseStatus::Resolved | CaseStatus::Closed)) => {
                open(
                    m,
                    InputFor::StatusReason(s),
                    &format!("Reason for {s}:"),
                    "",
                );
                Vec::new()
            }
            Ok(s) => cases::set_status(m, s, String::new()),
            Err(_) => Vec::new(),
        },
        PickFor::CasePriority => match v.parse::<Priority>() {
            Ok(p) => cases::set_priority(m, p),
            Err(_) => Vec::new(),
        },
    }
}
