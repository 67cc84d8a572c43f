//! Update for the ATT&CK matrix tab: loading it for the queue's filter, moving between cells,
//! and listing a technique's alerts in the queue.

use super::{Effect, queue};
use crate::ui::Action;
use crate::ui::matrix::{Column, first_row, first_shown, layout};
use crate::ui::model::{Focus, InputFor, Model, Tab};
use crate::ui::msg::{Query, ReqId};

/// Asks for the matrix of the alerts the queue's filter matches.
pub fn reload(m: &mut Model) -> Vec<Effect> {
    let filter = match queue::filter(m) {
        Ok(f) => f,
        Err(e) => {
            m.flash(e, true);
            return Vec::new();
        }
    };
    let req = m.req();
    m.latest.matrix = req;
    m.in_flight += 1;
    vec![Effect::Query(req, Query::Matrix { filter })]
}

/// The matrix arrived: the selection stays on the same technique in the same column if it is
/// still there; the first time (or when its column emptied), it starts on the first column
/// that has any.
pub fn loaded(m: &mut Model, req: ReqId, columns: Vec<Column>) -> Vec<Effect> {
    if req != m.latest.matrix {
        return Vec::new();
    }
    let x = &mut m.matrix;
    let keep = x.selected().map(|c| c.technique.clone());
    let mut ids: Vec<&str> = columns
        .iter()
        .flat_map(|c| c.cells.iter().map(|cell| cell.technique.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    x.techniques = ids.len();
    let first = !x.loaded;
    x.columns = columns;
    x.loaded = true;
    // The selected cell's column emptied (another filter): start over, as the first time.
    let emptied = keep.is_some() && x.columns.get(x.col).is_none_or(|c| c.cells.is_empty());
    if first || emptied {
        x.col = x
            .columns
            .iter()
            .position(|c| !c.cells.is_empty())
            .unwrap_or(0);
        x.row = 0;
    }
    x.col = x.col.min(x.columns.len().saturating_sub(1));
    if let Some(at) = keep.and_then(|id| {
        x.columns
            .get(x.col)
            .and_then(|c| c.cells.iter().position(|cell| cell.technique == id))
    }) {
        x.row = at;
    }
    clamp_row(m);
    Vec::new()
}

/// Keeps the row inside the selected column, and the selection on screen.
fn clamp_row(m: &mut Model) {
    let height = m.list_height();
    let (shown, _) = layout(m.width as usize);
    let x = &mut m.matrix;
    let len = x.columns.get(x.col).map_or(0, |c| c.cells.len());
    x.row = x.row.min(len.saturating_sub(1));
    x.top = first_row(x.top, x.row, height);
    x.left = first_shown(x.left, x.col, shown, x.columns.len());
}

pub fn action(m: &mut Model, a: Action) -> Vec<Effect> {
    let len = m
        .matrix
        .columns
        .get(m.matrix.col)
        .map_or(0, |c| c.cells.len());
    if let Some(to) = queue::movement(a, m.matrix.row, m.list_height(), len) {
        m.matrix.row = to.max(0) as usize;
        clamp_row(m);
        return Vec::new();
    }
    match a {
        Action::ColumnLeft => {
            m.matrix.col = m.matrix.col.saturating_sub(1);
            clamp_row(m);
            Vec::new()
        }
        Action::ColumnRight => {
            let last = m.matrix.columns.len().saturating_sub(1);
            m.matrix.col = (m.matrix.col + 1).min(last);
            clamp_row(m);
            Vec::new()
        }
        Action::Open => open(m),
        Action::Filter => {
            let text = m.queue.filter_text.clone();
            super::input::open(m, InputFor::QueueFilter, "/", &text);
            Vec::new()
        }
        Action::Cancel | Action::Back => super::switch_tab(m, Tab::Queue),
        _ => Vec::new(),
    }
}

/// Lists the selected technique's alerts in the queue: the queue's filter with its `tech:` term
/// (if any) replaced by this technique.
fn open(m: &mut Model) -> Vec<Effect> {
    let Some(cell) = m.matrix.selected() else {
        return Vec::new();
    };
    let id = cell.technique.clone();
    let what = format!("alerts with {id} {}", cell.name);
    m.queue.filter_text = with_technique(&m.queue.filter_text, &id);
    m.tab = Tab::Queue;
    m.focus = Focus::List;
    m.queue.group_by = None;
    m.queue.expanded.clear();
    m.flash(what, false);
    queue::restart(m)
}

/// `text` with every `tech:` term dropped and `tech:<id>` added.
fn with_technique(text: &str, id: &str) -> String {
    let mut terms: Vec<&str> = text
        .split_whitespace()
        .filter(|t| !t.starts_with("tech:"))
        .collect();
    let tech = format!("tech:{id}");
    terms.push(&tech);
    terms.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_replaces_the_technique_term_and_keeps_the_rest() {
        assert_eq!(
            with_technique("status:open", "T1110.001"),
            "status:open tech:T1110.001"
        );
        assert_eq!(
            with_technique("sev:high tech:T1059  bastion tech:T1078", "T1071"),
            "sev:high bastion tech:T1071"
        );
        assert_eq!(with_technique("", "T1078"), "tech:T1078");
    }
}
