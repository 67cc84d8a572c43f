//! Update for the alert queue and the alert detail: moving, virtual paging over the store,
//! filtering, sorting, grouping, marking, and opening an alert.

use super::{Effect, triage};
use crate::domain::Alert;
use crate::store::{AlertFilter, AlertGroup, AlertGroupBy, AlertSort};
use crate::ui::Action;
use crate::ui::model::{Detail, DetailSection, Focus, Model, PickFor, Popup, Row};
use crate::ui::msg::{Query, ReqId};

/// The store filter for the queue as it stands (no paging).
pub fn filter(m: &Model) -> Result<AlertFilter, String> {
    let mut f = crate::ui::filter::parse(&m.queue.filter_text, &m.actor)?;
    f.sort = m.queue.sort;
    f.ascending = m.queue.ascending;
    f.group = m.queue.drill.clone();
    Ok(f)
}

/// The queue of the alerts most like `id` (by the meaning of their rule, summary and
/// entities), whatever their status: `like:ID` in the filter.
pub fn more_like_this(m: &mut Model, id: &str) -> Vec<Effect> {
    m.tab = crate::ui::model::Tab::Queue;
    m.focus = Focus::List;
    m.queue.group_by = None;
    m.queue.drill = None;
    let short = crate::domain::short_id(id);
    m.queue.filter_text = format!("status:all like:{short}");
    m.flash(format!("alerts most like {short}"), false);
    restart(m)
}

/// Reloads the queue from the store; with `count`, recounts too. The selection stays on the
/// same alert (and the same screen row) when new alerts arrive above it.
pub fn reload(m: &mut Model, count: bool) -> Vec<Effect> {
    let f = match filter(m) {
        Ok(f) => {
            m.queue.filter_error = None;
            f
        }
        Err(e) => {
            m.queue.filter_error = Some(e.clone());
            m.flash(e, true);
            return Vec::new();
        }
    };
    let req = m.req();
    m.in_flight += 1;
    if let Some(by) = m.queue.group_by {
        m.latest.groups = req;
        let mut fx = vec![Effect::Query(
            req,
            Query::Groups {
                filter: f.clone(),
                by,
            },
        )];
        let expanded: Vec<Option<String>> = m.queue.expanded.keys().cloned().collect();
        for value in expanded {
            fx.extend(load_members(m, &f, by, value));
        }
        return fx;
    }
    m.latest.page = req;
    if count {
        m.latest.count = req;
    }
    let (offset, limit) = page_for(m, m.queue.scroll);
    m.queue.fetching = Some(offset);
    let anchor = m.queue.selected_id.clone().map(|id| (id, m.queue.selected));
    vec![Effect::Query(
        req,
        Query::Page {
            filter: AlertFilter { offset, limit, ..f },
            anchor,
            count,
            known_total: m.queue.total,
        },
    )]
}

/// The page to fetch so that rows from `scroll` are held with some margin above.
fn page_for(m: &Model, scroll: usize) -> (usize, usize) {
    let margin = m.page_size / 4;
    (scroll.saturating_sub(margin), m.page_size)
}

fn load_members(
    m: &mut Model,
    f: &AlertFilter,
    by: AlertGroupBy,
    value: Option<String>,
) -> Vec<Effect> {
    let req = m.req();
    m.latest.members = req;
    m.in_flight += 1;
    vec![Effect::Query(
        req,
        Query::Members {
            filter: AlertFilter {
                group: Some((by, value)),
                limit: 100,
                ..f.clone()
            },
        },
    )]
}

/// Asks for the rows that are about to be shown, if they are not held.
pub fn ensure_rows(m: &mut Model) -> Vec<Effect> {
    if m.queue.group_by.is_some() || !m.queue.loaded {
        return Vec::new();
    }
    let h = m.list_height();
    let total = m.queue.total.max(0) as usize;
    let want_end = (m.queue.scroll + h).min(total);
    let held_end = m.queue.window_start + m.queue.rows.len();
    if m.queue.scroll >= m.queue.window_start && want_end <= held_end {
        return Vec::new();
    }
    let (offset, _) = page_for(m, m.queue.scroll);
    if m.queue.fetching == Some(offset) {
        return Vec::new();
    }
    reload(m, false)
}

pub fn page_loaded(
    m: &mut Model,
    req: ReqId,
    offset: usize,
    rows: Vec<Alert>,
    total: i64,
    anchor_at: Option<i64>,
) -> Vec<Effect> {
    if req != m.latest.page {
        return Vec::new();
    }
    let q = &mut m.queue;
    q.fetching = None;
    q.loaded = true;
    q.total = total;
    if let Some(now) = anchor_at {
        let now = now.max(0) as usize;
        let shift = now as i64 - q.selected as i64;
        q.selected = now;
        q.scroll = (q.scroll as i64 + shift).max(0) as usize;
        if let Some(anchor) = q.visual_anchor.as_mut() {
            *anchor = (*anchor as i64 + shift).max(0) as usize;
        }
    }
    q.window_start = offset;
    q.rows = rows;
    let len = total.max(0) as usize;
    if q.selected >= len {
        q.selected = len.saturating_sub(1);
    }
    scroll_into_view(m);
    m.queue.selected_id = m.queue.selected_alert().map(|a| a.id.clone());
    let mut fx = ensure_rows(m);
    fx.extend(follow_detail(m));
    fx
}

/// The deferred count of the current list arrived.
pub fn count_loaded(m: &mut Model, req: ReqId, total: i64) -> Vec<Effect> {
    if req != m.latest.count || m.queue.group_by.is_some() {
        return Vec::new();
    }
    m.queue.total = total;
    let len = total.max(0) as usize;
    if m.queue.selected >= len {
        m.queue.selected = len.saturating_sub(1);
    }
    scroll_into_view(m);
    ensure_rows(m)
}

pub fn groups_loaded(
    m: &mut Model,
    req: ReqId,
    groups: Vec<AlertGroup>,
    total: i64,
) -> Vec<Effect> {
    if req != m.latest.groups {
        return Vec::new();
    }
    let q = &mut m.queue;
    q.loaded = true;
    q.total = total;
    q.groups = groups;
    let values: Vec<Option<String>> = q.groups.iter().map(|g| g.value.clone()).collect();
    q.expanded.retain(|k, _| values.contains(k));
    let len = q.len();
    if q.selected >= len {
        q.selected = len.saturating_sub(1);
    }
    scroll_into_view(m);
    Vec::new()
}

pub fn members_loaded(
    m: &mut Model,
    _req: ReqId,
    group: Option<String>,
    rows: Vec<Alert>,
) -> Vec<Effect> {
    if m.queue.group_by.is_some() {
        m.queue.expanded.insert(group, rows);
    }
    Vec::new()
}

/// Keeps the selected row on screen.
pub fn scroll_into_view(m: &mut Model) {
    let h = m.list_height().max(1);
    let q = &mut m.queue;
    if q.selected < q.scroll {
        q.scroll = q.selected;
    } else if q.selected >= q.scroll + h {
        q.scroll = q.selected + 1 - h;
    }
    let len = q.len();
    if len <= h {
        q.scroll = 0;
    } else if q.scroll > len - h {
        q.scroll = len - h;
    }
}

/// Moves the selection to row `to` (clamped).
pub fn select(m: &mut Model, to: i64) -> Vec<Effect> {
    let len = m.queue.len();
    if len == 0 {
        return Vec::new();
    }
    m.queue.selected = to.clamp(0, len as i64 - 1) as usize;
    scroll_into_view(m);
    m.queue.selected_id = m.queue.selected_alert().map(|a| a.id.clone());
    let mut fx = ensure_rows(m);
    fx.extend(follow_detail(m));
    fx
}

/// Side by side, the detail follows the selection.
fn follow_detail(m: &mut Model) -> Vec<Effect> {
    if !m.wide() || m.focus != Focus::List {
        return Vec::new();
    }
    match m.queue.selected_alert().map(|a| a.id.clone()) {
        Some(id) if m.detail.as_ref().is_none_or(|d| d.id != id) => load_detail(m, &id, true),
        _ => Vec::new(),
    }
}

/// Opens (or reloads) an alert's detail.
pub fn load_detail(m: &mut Model, id: &str, fresh: bool) -> Vec<Effect> {
    if fresh || m.detail.as_ref().is_none_or(|d| d.id != id) {
        m.detail = Some(Detail {
            id: id.to_string(),
            data: None,
            section: DetailSection::Overview,
            scroll: 0,
        });
    }
    let req = m.req();
    m.latest.detail = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Detail { id: id.to_string() })]
}

/// Moves for list actions, shared by the queue and the case list.
pub fn movement(a: Action, selected: usize, page: usize, len: usize) -> Option<i64> {
    let s = selected as i64;
    let page = page.max(1) as i64;
    Some(match a {
        Action::Down => s + 1,
        Action::Up => s - 1,
        Action::PageDown => s + page,
        Action::PageUp => s - page,
        Action::HalfPageDown => s + page / 2,
        Action::HalfPageUp => s - page / 2,
        Action::Top => 0,
        Action::Bottom => len as i64 - 1,
        _ => return None,
    })
}

pub fn action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    if let Some(to) = movement(a, m.queue.selected, m.list_height(), m.queue.len()) {
        return select(m, to);
    }
    match a {
        Action::MoreLikeThis => {
            let id = m
                .queue
                .row(m.queue.selected)
                .and_then(|row| m.queue.alert_of(row))
                .map(|al| al.id.clone());
            match id {
                Some(id) => more_like_this(m, &id),
                None => {
                    m.flash("no alert selected", true);
                    Vec::new()
                }
            }
        }
        Action::Open => match m.queue.row(m.queue.selected) {
            Some(Row::Group(_)) => toggle_group(m),
            Some(row) => match m.queue.alert_of(row).map(|al| al.id.clone()) {
                Some(id) => {
                    m.focus = Focus::Detail;
                    load_detail(m, &id, true)
                }
                None => Vec::new(),
            },
            None => Vec::new(),
        },
        Action::Cancel | Action::Back => {
            if m.queue.visual_anchor.take().is_none() && !m.queue.marks.is_empty() {
                m.queue.marks.clear();
            }
            Vec::new()
        }
        Action::Filter => {
            let text = arg.unwrap_or_else(|| m.queue.filter_text.clone());
            super::input::open(m, crate::ui::model::InputFor::QueueFilter, "/", &text);
            Vec::new()
        }
        Action::ClearFilter => {
            m.queue.filter_text = crate::ui::filter::DEFAULT.to_string();
            m.queue.drill = None;
            restart(m)
        }
        Action::Sort => match arg {
            Some(col) => set_sort(m, &col),
            None => {
                let items = AlertSort::ALL
                    .iter()
                    .map(|s| (s.name().to_string(), s.name().to_string()))
                    .collect();
                picker(m, "Sort by", items, PickFor::Sort, m.queue.sort.name());
                Vec::new()
            }
        },
        Action::SortReverse => {
            m.queue.ascending = !m.queue.ascending;
            restart(m)
        }
        Action::Group => match arg {
            Some(by) => set_group(m, &by),
            None => {
                let mut items = vec![("none".to_string(), "none".to_string())];
                items.extend(
                    AlertGroupBy::ALL
                        .iter()
                        .map(|g| (g.name().to_string(), g.name().to_string())),
                );
                let current = m.queue.group_by.map(|g| g.name()).unwrap_or("none");
                picker(m, "Group by", items, PickFor::Group, current);
                Vec::new()
            }
        },
        Action::ToggleGroup => toggle_group(m),
        Action::Drill => drill(m),
        Action::ToggleMark => {
            if let Some(al) = m.queue.selected_alert() {
                let (id, version) = (al.id.clone(), al.version);
                if m.queue.marks.remove(&id).is_none() {
                    m.queue.marks.insert(id, version);
                }
            }
            select(m, m.queue.selected as i64 + 1)
        }
        Action::Visual => {
            m.queue.visual_anchor = match m.queue.visual_anchor {
                Some(_) => None,
                None => Some(m.queue.selected),
            };
            Vec::new()
        }
        Action::ClearMarks => {
            m.queue.marks.clear();
            m.queue.visual_anchor = None;
            Vec::new()
        }
        _ => triage::action(m, a, arg),
    }
}

/// Keys while the detail has focus: scrolling, sections, triage of the open alert.
pub fn detail_action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    let page = m.list_height();
    let Some(d) = m.detail.as_mut() else {
        m.focus = Focus::List;
        return Vec::new();
    };
    match a {
        Action::Back | Action::Cancel => {
            m.focus = Focus::List;
            if !m.wide() {
                m.detail = None;
            }
            Vec::new()
        }
        Action::MoreLikeThis => {
            let id = d.id.clone();
            more_like_this(m, &id)
        }
        Action::NextSection | Action::PrevSection => {
            let all = DetailSection::ALL;
            let i = all.iter().position(|s| *s == d.section).unwrap_or(0);
            let n = all.len();
            let j = if a == Action::NextSection {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            d.section = all[j];
            d.scroll = 0;
            Vec::new()
        }
        _ => match movement(a, d.scroll, page, usize::MAX / 2) {
            Some(to) if a != Action::Bottom => {
                d.scroll = to.max(0) as usize;
                Vec::new()
            }
            Some(_) => {
                d.scroll = usize::MAX / 4;
                Vec::new()
            }
            None => triage::action(m, a, arg),
        },
    }
}

fn picker(
    m: &mut Model,
    title: &str,
    items: Vec<(String, String)>,
    purpose: PickFor,
    current: &str,
) {
    let selected = items.iter().position(|(v, _)| v == current).unwrap_or(0);
    m.popup = Some(Popup::Picker {
        title: title.to_string(),
        items,
        selected,
        purpose,
    });
}

/// Starts the list over from the top (new filter, sort or grouping).
pub fn restart(m: &mut Model) -> Vec<Effect> {
    let q = &mut m.queue;
    q.selected = 0;
    q.scroll = 0;
    q.selected_id = None;
    q.rows.clear();
    q.window_start = 0;
    q.visual_anchor = None;
    q.loaded = false;
    q.total = 0;
    reload(m, true)
}

pub fn set_sort(m: &mut Model, col: &str) -> Vec<Effect> {
    match col.parse::<AlertSort>() {
        Ok(s) => {
            if m.queue.sort == s {
                m.queue.ascending = !m.queue.ascending;
            } else {
                m.queue.sort = s;
                m.queue.ascending = false;
            }
            restart(m)
        }
        Err(e) => {
            m.flash(e.to_string(), true);
            Vec::new()
        }
    }
}

pub fn set_group(m: &mut Model, by: &str) -> Vec<Effect> {
    if by == "none" {
        m.queue.group_by = None;
    } else {
        match by.parse::<AlertGroupBy>() {
            Ok(g) => m.queue.group_by = Some(g),
            Err(e) => {
                m.flash(e.to_string(), true);
                return Vec::new();
            }
        }
    }
    m.queue.expanded.clear();
    m.queue.drill = None;
    restart(m)
}

fn toggle_group(m: &mut Model) -> Vec<Effect> {
    let Some(by) = m.queue.group_by else {
        return Vec::new();
    };
    let g = match m.queue.row(m.queue.selected) {
        Some(Row::Group(g)) | Some(Row::Member(g, _)) => g,
        _ => return Vec::new(),
    };
    let Some(value) = m.queue.groups.get(g).map(|gr| gr.value.clone()) else {
        return Vec::new();
    };
    if m.queue.expanded.remove(&value).is_some() {
        // Collapsing from a member: the selection goes back to its group's row.
        let at = m
            .queue
            .group_rows()
            .iter()
            .position(|r| *r == Row::Group(g));
        m.queue.selected = at.unwrap_or(0);
        scroll_into_view(m);
        return Vec::new();
    }
    match filter(m) {
        Ok(f) => load_members(m, &f, by, value),
        Err(_) => Vec::new(),
    }
}

fn drill(m: &mut Model) -> Vec<Effect> {
    let Some(by) = m.queue.group_by else {
        return Vec::new();
    };
    let g = match m.queue.row(m.queue.selected) {
        Some(Row::Group(g)) | Some(Row::Member(g, _)) => g,
        _ => return Vec::new(),
    };
    let Some(group) = m.queue.groups.get(g) else {
        return Vec::new();
    };
    m.queue.drill = Some((by, group.value.clone()));
    m.queue.group_by = None;
    m.queue.expanded.clear();
    restart(m)
}

/// What the drilled group is, for the title.
pub fn drill_label(m: &Model) -> Option<String> {
    let (by, value) = m.queue.drill.as_ref()?;
    Some(format!(
        "{} = {}",
        by.name(),
        value.as_deref().unwrap_or("(none)")
    ))
}
