//! Update: the only code that changes the model. Keys become actions through the keymap,
//! actions and worker replies change the model and return effects for the runtime to run.

mod cases;
mod hunt;
mod input;
mod matrix;
mod queue;
#[cfg(test)]
mod tests;
mod triage;

pub use cases::view_name as case_view_name;
pub use queue::drill_label;
pub use triage::parse_duration;

use std::time::Instant;

use crossterm::event::KeyEvent;

use super::keymap::{Keymap, Lookup};
use super::keys::KeyChord;
use super::model::{Focus, Model, Tab};
use super::msg::{Op, Query, Reply, ReqId, Target};
use super::{Action, Pane};

/// What the runtime does after an update. (Effects live for one loop turn, so the size of the
/// query variant does not matter.)
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    Query(ReqId, Query),
    Write(ReqId, Op, Vec<Target>),
    Suspend,
}

/// The loads a fresh console starts with.
pub fn start(m: &mut Model) -> Vec<Effect> {
    // The change check's baseline first, so every later commit elsewhere is noticed.
    let mut fx = poll(m);
    fx.extend(queue::reload(m, true));
    fx.extend(status(m));
    fx.extend(cases::reload(m));
    fx
}

/// The terminal changed size.
pub fn resize(m: &mut Model, width: u16, height: u16) -> Vec<Effect> {
    m.width = width;
    m.height = height;
    m.dirty = true;
    queue::scroll_into_view(m);
    let mut fx = queue::ensure_rows(m);
    // Side by side, the detail shows the selected alert straight away.
    if m.wide() && m.detail.is_none() && m.queue.loaded {
        fx.extend(queue::select(m, m.queue.selected as i64));
    }
    fx
}

/// Time passed: flash messages expire.
pub fn tick(m: &mut Model, now: Instant, wall: jiff::Timestamp) {
    if wall.as_second() != m.now.as_second() {
        m.now = wall;
    }
    if m.flash.as_ref().is_some_and(|f| f.until <= now) {
        m.flash = None;
        m.dirty = true;
    }
}

/// Time to look for other processes' changes.
pub fn poll(m: &mut Model) -> Vec<Effect> {
    let req = m.req();
    vec![Effect::Query(
        req,
        Query::Poll {
            seen: m.data_version,
        },
    )]
}

/// A key from the terminal.
pub fn key(m: &mut Model, keymap: &Keymap, ev: KeyEvent) -> Vec<Effect> {
    let Some(chord) = KeyChord::from_event(&ev) else {
        return Vec::new();
    };
    let pane = m.pane();
    let conditions = m.conditions();
    m.pending_keys.push(chord);
    let typing = matches!(pane, Pane::Input | Pane::Editor);
    let found = if typing {
        keymap.lookup_own(pane, &m.pending_keys)
    } else {
        keymap.lookup(pane, &conditions, &m.pending_keys)
    };
    match found {
        Lookup::Action(a) => {
            m.pending_keys.clear();
            m.dirty = true;
            action(m, a, None)
        }
        Lookup::Prefix => {
            m.dirty = true;
            Vec::new()
        }
        Lookup::None => {
            let retry = m.pending_keys.len() > 1;
            m.pending_keys.clear();
            if typing {
                m.dirty = true;
                input::type_key(m, ev)
            } else if retry {
                key(m, keymap, ev)
            } else {
                Vec::new()
            }
        }
    }
}

/// Pasted text goes into whatever text field is open.
pub fn paste(m: &mut Model, text: &str) {
    if let Some(ed) = m.editor.as_mut() {
        ed.area.insert_str(text);
    } else if let Some(inp) = m.input.as_mut() {
        inp.area.insert_str(text.replace(['\n', '\r'], " "));
    }
    m.dirty = true;
}

/// Carries out one action; `arg` comes from the palette (`:sort host`).
pub fn action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    m.dirty = true;
    if m.readonly && a.writes() {
        m.flash(
            format!("{a} is not allowed: this console is read-only"),
            true,
        );
        return Vec::new();
    }
    match m.pane() {
        Pane::Input => {
            if let Some(fx) = input::action(m, a) {
                return fx;
            }
        }
        Pane::Editor => return cases::editor_action(m, a),
        Pane::Popup => {
            if let Some(fx) = input::popup_action(m, a) {
                return fx;
            }
        }
        _ => {}
    }
    match a {
        Action::Quit => {
            m.quit = true;
            Vec::new()
        }
        Action::Suspend => vec![Effect::Suspend],
        Action::Help => {
            m.popup = Some(super::model::Popup::Help { scroll: 0 });
            Vec::new()
        }
        Action::Palette => {
            input::open_palette(m, arg.as_deref().unwrap_or(""));
            Vec::new()
        }
        Action::NextTab | Action::PrevTab => {
            let i = Tab::ALL.iter().position(|t| *t == m.tab).unwrap_or(0);
            let n = Tab::ALL.len();
            let j = if a == Action::NextTab {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            switch_tab(m, Tab::ALL[j])
        }
        Action::TabQueue => switch_tab(m, Tab::Queue),
        Action::TabCases => switch_tab(m, Tab::Cases),
        Action::TabAttack => switch_tab(m, Tab::Attack),
        Action::TabHunt => switch_tab(m, Tab::Hunt),
        Action::TabChat => switch_tab(m, Tab::Chat),
        Action::Refresh => {
            let mut fx = refresh(m);
            if m.tab == Tab::Hunt {
                fx.extend(hunt::run(m));
            }
            fx
        }
        Action::FocusNext => {
            let has_detail = match m.tab {
                Tab::Queue => m.detail.is_some(),
                Tab::Cases => m.case.is_some(),
                Tab::Hunt => m.hunt.event.is_some(),
                Tab::Attack | Tab::Chat => false,
            };
            if has_detail {
                m.focus = match m.focus {
                    Focus::List => Focus::Detail,
                    Focus::Detail => Focus::List,
                };
            }
            Vec::new()
        }
        _ => match (m.tab, m.focus) {
            (Tab::Queue, Focus::List) => queue::action(m, a, arg),
            (Tab::Queue, Focus::Detail) => queue::detail_action(m, a, arg),
            (Tab::Cases, Focus::List) => cases::list_action(m, a, arg),
            (Tab::Cases, Focus::Detail) => cases::case_action(m, a, arg),
            (Tab::Attack, _) => matrix::action(m, a),
            (Tab::Hunt, _) => hunt::action(m, a),
            (Tab::Chat, _) => {
                if a == Action::Cancel {
                    return switch_tab(m, Tab::Queue);
                }
                Vec::new()
            }
        },
    }
}

fn switch_tab(m: &mut Model, tab: Tab) -> Vec<Effect> {
    m.tab = tab;
    m.focus = match tab {
        Tab::Queue if m.detail.is_some() && !m.wide() => Focus::Detail,
        Tab::Cases if m.case.is_some() && !m.wide() => Focus::Detail,
        _ => Focus::List,
    };
    match tab {
        Tab::Cases if !m.cases.loaded => cases::reload(m),
        // The queue's filter may have changed since: always load it afresh.
        Tab::Attack => matrix::reload(m),
        Tab::Hunt if m.hunt.query.is_empty() => {
            input::open(m, crate::ui::model::InputFor::HuntQuery, "hunt", "");
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Reloads everything on screen (after a change, ours or another analyst's).
pub fn refresh(m: &mut Model) -> Vec<Effect> {
    let mut fx = queue::reload(m, true);
    fx.extend(status(m));
    fx.extend(cases::reload(m));
    if let Some(id) = m.detail.as_ref().map(|d| d.id.clone()) {
        fx.extend(queue::load_detail(m, &id, false));
    }
    if let Some(id) = m.case.as_ref().map(|c| c.id.clone()) {
        fx.extend(cases::load_case(m, &id, false));
    }
    if m.tab == Tab::Attack {
        fx.extend(matrix::reload(m));
    }
    fx
}

fn status(m: &mut Model) -> Vec<Effect> {
    let req = m.req();
    m.latest.status = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Status)]
}

/// A worker's answer.
pub fn reply(m: &mut Model, r: Reply) -> Vec<Effect> {
    if !matches!(r, Reply::Changed { .. }) {
        m.in_flight = m.in_flight.saturating_sub(1);
    }
    m.dirty = true;
    match r {
        Reply::Page {
            req,
            offset,
            rows,
            total,
            counted,
            anchor_at,
        } => {
            if !counted {
                // A `Count` reply for the same request follows.
                m.in_flight += 1;
            }
            queue::page_loaded(m, req, offset, rows, total, anchor_at)
        }
        Reply::Count { req, total } => queue::count_loaded(m, req, total),
        Reply::Groups { req, groups, total } => queue::groups_loaded(m, req, groups, total),
        Reply::Members { req, group, rows } => queue::members_loaded(m, req, group, rows),
        Reply::Detail { req, detail } => {
            if req == m.latest.detail
                && let Some(d) = m.detail.as_mut()
                && (d.id == detail.alert.id || detail.alert.id.starts_with(&d.id))
            {
                d.id = detail.alert.id.clone();
                d.data = Some(detail);
            }
            Vec::new()
        }
        Reply::Cases { req, rows } => cases::cases_loaded(m, req, rows),
        Reply::Case {
            req,
            detail,
            alerts,
        } => cases::case_loaded(m, req, detail, alerts),
        Reply::Matrix { req, columns } => matrix::loaded(m, req, columns),
        Reply::Status { req, counts } => {
            if req == m.latest.status {
                m.status = counts;
                m.last_refresh = Some(jiff::Timestamp::now());
            }
            Vec::new()
        }
        Reply::Hunt {
            req,
            query,
            hits,
            count,
            embedder,
            error,
        } => hunt::loaded(m, req, query, hits, count, embedder, error),
        Reply::Event { req, id, lines } => hunt::event_loaded(m, req, id, lines),
        Reply::Changed { version, changed } => {
            let first = m.data_version == 0;
            m.data_version = version;
            if changed && !first {
                refresh(m)
            } else {
                m.dirty = changed;
                Vec::new()
            }
        }
        Reply::Written {
            op,
            result,
            conflict,
            case_id,
            ..
        } => triage::written(m, op, result, conflict, case_id),
        Reply::Failed { req, what, error } => {
            if req == m.latest.page {
                m.queue.fetching = None;
            }
            m.flash(format!("could not load {what}: {error}"), true);
            Vec::new()
        }
    }
}
