//! Update for the cases tab: the case list, one case's timeline, alerts and observables, the
//! note editor, and the changes an analyst makes to a case.

use super::{Effect, input, queue, triage};
use crate::domain::{Alert, Case, CaseStatus, Priority};
use crate::store::{CaseDetail, CaseFilter};
use crate::ui::Action;
use crate::ui::model::{
    CaseSection, CaseView, Editor, Focus, InputFor, Model, PickFor, Popup, Tab,
};
use crate::ui::msg::{Op, Query, ReqId};

/// The status sets the list cycles through.
const VIEWS: [(&str, &[CaseStatus]); 3] = [
    (
        "open",
        &[CaseStatus::Open, CaseStatus::InProgress, CaseStatus::OnHold],
    ),
    ("all", &[]),
    ("closed", &[CaseStatus::Resolved, CaseStatus::Closed]),
];

pub fn view_name(m: &Model) -> &'static str {
    VIEWS[m.cases.status_view % VIEWS.len()].0
}

pub fn reload(m: &mut Model) -> Vec<Effect> {
    let req = m.req();
    m.latest.cases = req;
    m.in_flight += 1;
    let filter = CaseFilter {
        statuses: VIEWS[m.cases.status_view % VIEWS.len()].1.to_vec(),
        limit: 2_000,
        ..m.cases.filter.clone()
    };
    vec![Effect::Query(req, Query::Cases { filter })]
}

pub fn cases_loaded(m: &mut Model, req: ReqId, rows: Vec<Case>) -> Vec<Effect> {
    if req != m.latest.cases {
        return Vec::new();
    }
    let keep = m.cases.rows.get(m.cases.selected).map(|c| c.id.clone());
    m.cases.rows = rows;
    m.cases.loaded = true;
    if let Some(at) = keep.and_then(|id| m.cases.rows.iter().position(|c| c.id == id)) {
        m.cases.selected = at;
    }
    m.cases.selected = m.cases.selected.min(m.cases.rows.len().saturating_sub(1));
    scroll(m);
    Vec::new()
}

fn scroll(m: &mut Model) {
    let h = m.list_height().max(1);
    let c = &mut m.cases;
    if c.selected < c.scroll {
        c.scroll = c.selected;
    } else if c.selected >= c.scroll + h {
        c.scroll = c.selected + 1 - h;
    }
}

pub fn load_case(m: &mut Model, id: &str, fresh: bool) -> Vec<Effect> {
    if fresh || m.case.as_ref().is_none_or(|c| c.id != id) {
        m.case = Some(CaseView {
            id: id.to_string(),
            data: None,
            alerts: Vec::new(),
            section: CaseSection::Timeline,
            selected: 0,
        });
    }
    let req = m.req();
    m.latest.case = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Case { id: id.to_string() })]
}

pub fn case_loaded(
    m: &mut Model,
    req: ReqId,
    detail: Box<CaseDetail>,
    alerts: Vec<Alert>,
) -> Vec<Effect> {
    if req != m.latest.case {
        return Vec::new();
    }
    if let Some(c) = m.case.as_mut()
        && c.id == detail.case.id
    {
        c.data = Some(detail);
        c.alerts = alerts;
        let len = section_len(c);
        if c.section != CaseSection::Timeline {
            c.selected = c.selected.min(len.saturating_sub(1));
        }
    }
    Vec::new()
}

fn section_len(c: &CaseView) -> usize {
    match c.section {
        CaseSection::Timeline => c.data.as_ref().map(|d| d.activities.len()).unwrap_or(0),
        CaseSection::Alerts => c.alerts.len(),
        CaseSection::Observables => c
            .data
            .as_ref()
            .map(|d| d.case.observables.len())
            .unwrap_or(0),
    }
}

/// The selected case id in the list, or the open case.
fn current_case(m: &Model) -> Option<String> {
    match m.focus {
        Focus::Detail => m.case.as_ref().map(|c| c.id.clone()),
        Focus::List => m.cases.rows.get(m.cases.selected).map(|c| c.id.clone()),
    }
}

pub fn list_action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    let len = m.cases.rows.len();
    if let Some(to) = queue::movement(a, m.cases.selected, m.list_height(), len) {
        if len > 0 {
            m.cases.selected = to.clamp(0, len as i64 - 1) as usize;
            scroll(m);
            if m.wide()
                && let Some(id) = m.cases.rows.get(m.cases.selected).map(|c| c.id.clone())
            {
                return load_case(m, &id, true);
            }
        }
        return Vec::new();
    }
    match a {
        Action::Open => match m.cases.rows.get(m.cases.selected).map(|c| c.id.clone()) {
            Some(id) => {
                m.focus = Focus::Detail;
                load_case(m, &id, true)
            }
            None => Vec::new(),
        },
        Action::CaseFilter => {
            let text = arg.unwrap_or_else(|| m.cases.filter.text.clone().unwrap_or_default());
            input::open(m, InputFor::CaseFilter, "cases /", &text);
            Vec::new()
        }
        Action::CaseStatusFilter => {
            m.cases.status_view = (m.cases.status_view + 1) % VIEWS.len();
            m.cases.selected = 0;
            m.cases.scroll = 0;
            m.flash(format!("showing {} cases", view_name(m)), false);
            reload(m)
        }
        Action::NewCase => match arg {
            Some(title) => triage::dispatch(m, Op::NewCase(title)),
            None => {
                input::open(m, InputFor::NewCaseTitle, "New case title:", "");
                Vec::new()
            }
        },
        _ => case_change(m, a, arg),
    }
}

pub fn case_action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    let page = m.list_height();
    let Some(c) = m.case.as_mut() else {
        m.focus = Focus::List;
        return Vec::new();
    };
    let len = section_len(c);
    if let Some(to) = queue::movement(a, c.selected, page, len) {
        c.selected = to.clamp(0, len.saturating_sub(1) as i64) as usize;
        return Vec::new();
    }
    match a {
        Action::Back | Action::Cancel => {
            m.focus = Focus::List;
            if !m.wide() {
                m.case = None;
            }
            Vec::new()
        }
        Action::NextSection | Action::PrevSection => {
            let all = CaseSection::ALL;
            let i = all.iter().position(|s| *s == c.section).unwrap_or(0);
            let n = all.len();
            let j = if a == Action::NextSection {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            c.section = all[j];
            c.selected = 0;
            Vec::new()
        }
        Action::Open | Action::Pivot => match c.section {
            CaseSection::Observables => {
                let value = c
                    .data
                    .as_ref()
                    .and_then(|d| d.case.observables.get(c.selected))
                    .map(|o| o.value.clone());
                match value {
                    Some(v) => pivot(m, &v),
                    None => Vec::new(),
                }
            }
            CaseSection::Alerts => match c.alerts.get(c.selected).map(|al| al.id.clone()) {
                Some(id) => {
                    m.tab = Tab::Queue;
                    m.focus = Focus::Detail;
                    queue::load_detail(m, &id, true)
                }
                None => Vec::new(),
            },
            CaseSection::Timeline => Vec::new(),
        },
        Action::UnlinkAlert => {
            let pick = (c.section == CaseSection::Alerts)
                .then(|| c.alerts.get(c.selected).map(|al| al.id.clone()))
                .flatten();
            match pick {
                Some(alert) => {
                    let case = c.id.clone();
                    triage::dispatch(m, Op::Unlink(case, alert))
                }
                None => {
                    m.flash("select an alert in the Alerts section first", true);
                    Vec::new()
                }
            }
        }
        _ => case_change(m, a, arg),
    }
}

/// Changes that apply to the selected (list) or open (detail) case.
fn case_change(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    let needs_case = matches!(
        a,
        Action::Note
            | Action::CaseStatus
            | Action::CasePriority
            | Action::CaseAssign
            | Action::CloseCase
    );
    if !needs_case {
        return Vec::new();
    }
    let Some(id) = current_case(m) else {
        m.flash("no case selected", true);
        return Vec::new();
    };
    let arg = arg.filter(|s| !s.trim().is_empty());
    if m.focus == Focus::List {
        // Changes from the list act on the selected case as if it were open.
        m.case = Some(CaseView {
            id: id.clone(),
            data: None,
            alerts: Vec::new(),
            section: CaseSection::Timeline,
            selected: 0,
        });
    }
    match a {
        Action::Note => {
            let mut area = ratatui_textarea::TextArea::default();
            if let Some(text) = arg {
                area.insert_str(text);
            }
            m.editor = Some(Editor { case_id: id, area });
            Vec::new()
        }
        Action::CaseStatus => match arg.map(|s| s.parse::<CaseStatus>()) {
            Some(Ok(s)) => set_status(m, s, String::new()),
            Some(Err(e)) => {
                m.flash(e.to_string(), true);
                Vec::new()
            }
            None => {
                let items = [
                    CaseStatus::Open,
                    CaseStatus::InProgress,
                    CaseStatus::OnHold,
                    CaseStatus::Resolved,
                    CaseStatus::Closed,
                ]
                .iter()
                .map(|s| (s.as_str().to_string(), s.as_str().replace('_', " ")))
                .collect();
                m.popup = Some(Popup::Picker {
                    title: format!("Status of {id}"),
                    items,
                    selected: 0,
                    purpose: PickFor::CaseStatus,
                });
                Vec::new()
            }
        },
        Action::CasePriority => match arg.map(|s| s.to_ascii_lowercase().parse::<Priority>()) {
            Some(Ok(p)) => set_priority(m, p),
            Some(Err(e)) => {
                m.flash(e.to_string(), true);
                Vec::new()
            }
            None => {
                let items = [
                    (Priority::P1, "P1 drop everything"),
                    (Priority::P2, "P2 today"),
                    (Priority::P3, "P3 this week"),
                    (Priority::P4, "P4 when there is time"),
                ]
                .iter()
                .map(|(p, label)| (p.as_str().to_string(), label.to_string()))
                .collect();
                m.popup = Some(Popup::Picker {
                    title: format!("Priority of {id}"),
                    items,
                    selected: 0,
                    purpose: PickFor::CasePriority,
                });
                Vec::new()
            }
        },
        Action::CaseAssign => match arg {
            Some(who) => assign(m, Some(who)),
            None => {
                input::open(
                    m,
                    InputFor::CaseAssign,
                    "Assign case to (empty: nobody):",
                    "",
                );
                Vec::new()
            }
        },
        Action::CloseCase => match arg {
            Some(reason) => confirm_close(m, reason),
            None => {
                input::open(m, InputFor::CloseReason, "Close the case. Reason:", "");
                Vec::new()
            }
        },
        _ => Vec::new(),
    }
}

fn open_case_id(m: &Model) -> Option<String> {
    m.case.as_ref().map(|c| c.id.clone())
}

pub fn set_status(m: &mut Model, s: CaseStatus, reason: String) -> Vec<Effect> {
    match open_case_id(m) {
        Some(id) => triage::dispatch(m, Op::CaseStatus(id, s, reason)),
        None => Vec::new(),
    }
}

pub fn set_priority(m: &mut Model, p: Priority) -> Vec<Effect> {
    match open_case_id(m) {
        Some(id) => triage::dispatch(m, Op::CasePriority(id, p)),
        None => Vec::new(),
    }
}

pub fn assign(m: &mut Model, who: Option<String>) -> Vec<Effect> {
    match open_case_id(m) {
        Some(id) => triage::dispatch(m, Op::CaseAssign(id, who)),
        None => Vec::new(),
    }
}

/// Closing a case is dangerous (it leaves the open list): ask first.
pub fn confirm_close(m: &mut Model, reason: String) -> Vec<Effect> {
    let Some(id) = open_case_id(m) else {
        return Vec::new();
    };
    if reason.is_empty() {
        m.flash("closing a case needs a reason", true);
        input::open(m, InputFor::CloseReason, "Close the case. Reason:", "");
        return Vec::new();
    }
    let body = format!("Close {id}: \"{reason}\"?");
    triage::confirm(
        m,
        "Close case",
        body,
        Op::CaseStatus(id, CaseStatus::Closed, reason),
    )
}

/// Shows the queue filtered to alerts that name this value.
pub fn pivot(m: &mut Model, value: &str) -> Vec<Effect> {
    m.tab = Tab::Queue;
    m.focus = Focus::List;
    m.queue.group_by = None;
    m.queue.drill = None;
    m.queue.filter_text = format!("status:all entity:{value}");
    m.flash(format!("alerts that name {value}"), false);
    queue::restart(m)
}

/// Keys while the note editor is open.
pub fn editor_action(m: &mut Model, a: Action) -> Vec<Effect> {
    match a {
        Action::Save => {
            let Some(ed) = m.editor.take() else {
                return Vec::new();
            };
            let text = ed.area.lines().join("\n");
            if text.trim().is_empty() {
                m.flash("empty note not saved", true);
                return Vec::new();
            }
            triage::dispatch(m, Op::Note(ed.case_id, text))
        }
        Action::Cancel => {
            m.editor = None;
            m.flash("note discarded", false);
            Vec::new()
        }
        _ => Vec::new(),
    }
}
