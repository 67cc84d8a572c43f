//! Update for the hunt pane: the query, moving through hits, one event's raw record, and
//! pivots (a new query for a field value, or the value added to the query).

use super::{Effect, input, queue};
use crate::index::Hit;
use crate::ui::Action;
use crate::ui::model::{Focus, InputFor, Model, PickFor, Popup};
use crate::ui::msg::{Query, ReqId};

/// Runs the hunt's query.
pub fn run(m: &mut Model) -> Vec<Effect> {
    let query = m.hunt.query.trim().to_string();
    if query.is_empty() {
        return Vec::new();
    }
    let req = m.req();
    m.latest.hunt = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Hunt { query })]
}

/// Sets a new query and runs it.
pub fn set_query(m: &mut Model, query: String) -> Vec<Effect> {
    if !query.is_empty() {
        m.hunt.history.retain(|h| *h != query);
        m.hunt.history.push(query.clone());
    }
    m.hunt.query = query;
    m.hunt.selected = 0;
    m.hunt.scroll = 0;
    m.hunt.event = None;
    m.focus = Focus::List;
    run(m)
}

pub fn loaded(
    m: &mut Model,
    req: ReqId,
    query: String,
    hits: Vec<Hit>,
    count: usize,
    embedder: Option<String>,
    error: Option<String>,
) -> Vec<Effect> {
    if req != m.latest.hunt {
        return Vec::new();
    }
    let h = &mut m.hunt;
    h.loaded = true;
    h.shown = query;
    h.count = count;
    h.embedder = embedder;
    h.hits = hits;
    h.error = error;
    h.selected = h.selected.min(h.hits.len().saturating_sub(1));
    Vec::new()
}

pub fn event_loaded(m: &mut Model, req: ReqId, id: String, lines: Vec<String>) -> Vec<Effect> {
    if req == m.latest.event {
        m.hunt.event = Some((id, lines));
        m.hunt.event_scroll = 0;
    }
    Vec::new()
}

fn selected(m: &Model) -> Option<&Hit> {
    m.hunt.hits.get(m.hunt.selected)
}

fn open_event(m: &mut Model) -> Vec<Effect> {
    let Some(id) = selected(m).map(|h| h.id.clone()) else {
        return Vec::new();
    };
    m.focus = Focus::Detail;
    let req = m.req();
    m.latest.event = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Event { id })]
}

pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let page = m.list_height();
    if m.focus == Focus::Detail {
        match a {
            Action::Back | Action::Cancel => {
                m.focus = Focus::List;
                if !m.wide() {
                    m.hunt.event = None;
                }
                return Vec::new();
            }
            _ => {
                if let Some(to) = queue::movement(a, m.hunt.event_scroll, page, usize::MAX / 4) {
                    m.hunt.event_scroll = to.max(0) as usize;
                    return Vec::new();
                }
            }
        }
    }
    let len = m.hunt.hits.len();
    if let Some(to) = queue::movement(a, m.hunt.selected, page, len) {
        if len > 0 {
            m.hunt.selected = to.clamp(0, len as i64 - 1) as usize;
            let h = page.max(1);
            let hunt = &mut m.hunt;
            if hunt.selected < hunt.scroll {
                hunt.scroll = hunt.selected;
            } else if hunt.selected >= hunt.scroll + h {
                hunt.scroll = hunt.selected + 1 - h;
            }
            if m.wide() && m.hunt.event.is_some() {
                return open_event(m);
            }
        }
        return Vec::new();
    }
    match a {
        Action::Filter => {
            let text = m.hunt.query.clone();
            input::open(m, InputFor::HuntQuery, "hunt", &text);
            Vec::new()
        }
        Action::Open => open_event(m),
        Action::Refresh => run(m),
        Action::MoreLikeThis => match selected(m).map(|h| h.id.clone()) {
            Some(id) => set_query(m, format!("like:{}", crate::domain::short_id(&id))),
            None => {
                m.flash("no event selected", true);
                Vec::new()
            }
        },
        Action::Pivot | Action::PivotAdd => {
            let Some(hit) = selected(m) else {
                m.flash("no event selected", true);
                return Vec::new();
            };
            let items = crate::ui::hunt::pivots(hit)
                .into_iter()
                .map(|t| (t.clone(), t))
                .collect();
            let (title, purpose) = if a == Action::Pivot {
                ("New hunt for", PickFor::Pivot)
            } else {
                ("Add to the hunt", PickFor::PivotAdd)
            };
            m.popup = Some(Popup::Picker {
                title: title.into(),
                items,
                selected: 0,
                purpose,
            });
            Vec::new()
        }
        Action::Cancel | Action::Back => super::switch_tab(m, crate::ui::model::Tab::Queue),
        _ => Vec::new(),
    }
}

/// A pivot was picked: `term` is `field:value`.
pub fn pivot(m: &mut Model, term: &str, add: bool) -> Vec<Effect> {
    let query = if add && !m.hunt.query.trim().is_empty() {
        format!("{} AND {term}", m.hunt.query.trim())
    } else {
        term.to_string()
    };
    set_query(m, query)
}
