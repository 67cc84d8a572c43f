//! The alert queue table: only the visible rows are built, from the held window, so a frame
//! costs the same with ten alerts or a million. Columns drop by priority as the width shrinks.

use ratatui::Frame;
use ratatui::layout::{Constraint, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Cell, Row as TableRow, Scrollbar, ScrollbarOrientation, ScrollbarState, Table,
};

use super::{Ctx, chrome, fit, time};
use crate::domain::{Alert, Severity};
use crate::store::AlertSort;
use crate::ui::model::{Model, Row};

/// A queue column: header, the sort it maps to, its width, and from what terminal width on it
/// is shown.
struct Col {
    name: &'static str,
    sort: Option<AlertSort>,
    width: Constraint,
    min_area: u16,
}

const COLS: &[Col] = &[
    Col {
        name: "SEV",
        sort: Some(AlertSort::Severity),
        width: Constraint::Length(4),
        min_area: 0,
    },
    Col {
        name: "TIME",
        sort: Some(AlertSort::LastSeen),
        width: Constraint::Length(11),
        min_area: 0,
    },
    Col {
        name: "RULE",
        sort: Some(AlertSort::Rule),
        width: Constraint::Fill(3),
        min_area: 0,
    },
    Col {
        name: "HOST",
        sort: Some(AlertSort::Host),
        width: Constraint::Fill(1),
        min_area: 0,
    },
    Col {
        name: "USER",
        sort: Some(AlertSort::User),
        width: Constraint::Length(8),
        min_area: 70,
    },
    Col {
        name: "SOURCE",
        sort: Some(AlertSort::Source),
        width: Constraint::Length(9),
        min_area: 115,
    },
    Col {
        name: "TECHNIQUES",
        sort: Some(AlertSort::Techniques),
        width: Constraint::Length(16),
        min_area: 125,
    },
    Col {
        name: "STATUS",
        sort: Some(AlertSort::Status),
        width: Constraint::Length(7),
        min_area: 60,
    },
    Col {
        name: "ASSIGNEE",
        sort: Some(AlertSort::Assignee),
        width: Constraint::Length(10),
        min_area: 100,
    },
    Col {
        name: "COUNT",
        sort: Some(AlertSort::Count),
        width: Constraint::Length(5),
        min_area: 0,
    },
];

pub fn severity_tag(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INF",
        Severity::Low => "LOW",
        Severity::Medium => "MED",
        Severity::High => "HIGH",
        Severity::Critical => "CRIT",
    }
}

pub fn severity_style(cx: &Ctx<'_>, s: Severity) -> Style {
    cx.style(match s {
        Severity::Info => "severity.info",
        Severity::Low => "severity.low",
        Severity::Medium => "severity.medium",
        Severity::High => "severity.high",
        Severity::Critical => "severity.critical",
    })
}

pub fn status_style(cx: &Ctx<'_>, status: crate::domain::AlertStatus) -> Style {
    cx.theme.get(&format!("status.{}", status.as_str()))
}

fn short_status(s: crate::domain::AlertStatus) -> &'static str {
    use crate::domain::AlertStatus as S;
    match s {
        S::New => "new",
        S::Acknowledged => "acked",
        S::InProgress => "working",
        S::Escalated => "case",
        S::Closed => "closed",
        S::Suppressed => "muted",
    }
}

fn cells<'a>(a: &'a Alert, cols: &[&Col], cx: &Ctx<'_>, marked: bool) -> Vec<Cell<'a>> {
    cols.iter()
        .map(|c| match c.name {
            "SEV" => {
                let mark = if marked { "*" } else { "" };
                Cell::from(Span::styled(
                    format!("{mark}{}", severity_tag(a.severity)),
                    severity_style(cx, a.severity),
                ))
            }
            "TIME" => Cell::from(time(a.last_seen, true)),
            "RULE" => Cell::from(a.rule.name.as_str()),
            "HOST" => Cell::from(a.entities.hosts.first().map(String::as_str).unwrap_or("")),
            "USER" => Cell::from(a.entities.users.first().map(String::as_str).unwrap_or("")),
            "SOURCE" => Cell::from(a.rule.source.as_str()),
            "TECHNIQUES" => Cell::from(Span::styled(a.techniques.join(","), cx.style("technique"))),
            "STATUS" => Cell::from(Span::styled(
                short_status(a.status),
                status_style(cx, a.status),
            )),
            "ASSIGNEE" => Cell::from(a.assignee.as_deref().unwrap_or("")),
            "COUNT" => Cell::from(Line::from(a.count.to_string()).right_aligned()),
            _ => Cell::from(""),
        })
        .collect()
}

pub fn draw(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let q = &m.queue;
    let title = title(m);
    let block = chrome::block(cx, &title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let cols: Vec<&Col> = COLS.iter().filter(|c| area.width >= c.min_area).collect();
    let header = TableRow::new(cols.iter().map(|c| {
        let arrow = match c.sort {
            Some(s) if s == q.sort => {
                if q.ascending {
                    "↑"
                } else {
                    "↓"
                }
            }
            _ => "",
        };
        Cell::from(format!("{}{arrow}", c.name))
    }))
    .style(cx.style("ui.header"));
    let h = inner.height.saturating_sub(1) as usize;
    let mut rows = Vec::with_capacity(h);
    // The grouped view's row index, built once per frame (not once per row).
    let index: Option<Vec<Row>> = q.group_by.map(|_| q.group_rows());
    let len = index.as_ref().map_or(q.len(), Vec::len);
    let row_at = |i: usize| match &index {
        Some(rows) => rows.get(i).copied(),
        None => (i < len).then_some(Row::Alert(i)),
    };
    for i in q.scroll..(q.scroll + h).min(len) {
        let style = row_style(m, i, row_at(i), focused, cx);
        let row = match row_at(i) {
            Some(Row::Group(g)) => group_row(m, g, &cols, cx),
            Some(r @ (Row::Alert(_) | Row::Member(..))) => match q.alert_of(r) {
                Some(a) => {
                    let mut cs = cells(a, &cols, cx, q.marks.contains_key(&a.id));
                    if matches!(r, Row::Member(..))
                        && let Some(rule) = cols.iter().position(|c| c.name == "RULE")
                    {
                        cs[rule] = Cell::from(format!("  {}", a.rule.name));
                    }
                    TableRow::new(cs)
                }
                None => TableRow::new(vec![Cell::from("…")]),
            },
            None => TableRow::new(vec![Cell::from("")]),
        };
        rows.push(row.style(style));
    }
    let widths: Vec<Constraint> = cols.iter().map(|c| c.width).collect();
    let table = Table::new(rows, widths).header(header).column_spacing(1);
    // The last column is the scrollbar's.
    let table_area = Rect {
        width: inner.width.saturating_sub(1),
        ..inner
    };
    f.render_widget(table, table_area);
    if q.loaded && q.is_empty() {
        let msg = if q.filter_text.trim().is_empty() {
            "No alerts. `tocsin ingest FILE` or the daemon will fill this queue."
        } else {
            "No alert matches this filter."
        };
        let r = Rect {
            y: inner.y + 2,
            height: 1,
            ..inner
        };
        f.render_widget(Span::styled(msg, cx.style("ui.text.dim")), r);
    }
    if len > h && h > 0 {
        let mut state = ScrollbarState::new(len).position(q.selected);
        f.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            inner.inner(Margin {
                horizontal: 0,
                vertical: 1,
            }),
            &mut state,
        );
    }
}

fn row_style(m: &Model, i: usize, row: Option<Row>, focused: bool, cx: &Ctx<'_>) -> Style {
    let q = &m.queue;
    if i == q.selected {
        if focused {
            cx.style("ui.selection")
        } else {
            cx.style("ui.selection.unfocused")
        }
    } else if q.in_visual(i) {
        cx.style("ui.visual")
    } else if row
        .and_then(|r| q.alert_of(r))
        .is_some_and(|a| q.marks.contains_key(&a.id))
    {
        cx.style("ui.mark")
    } else {
        Style::default()
    }
}

fn group_row<'a>(m: &'a Model, g: usize, cols: &[&Col], cx: &Ctx<'_>) -> TableRow<'a> {
    let Some(group) = m.queue.groups.get(g) else {
        return TableRow::new(vec![Cell::from("")]);
    };
    let open = m.queue.expanded.contains_key(&group.value);
    let cs = cols
        .iter()
        .map(|c| match c.name {
            "SEV" => Cell::from(Span::styled(
                severity_tag(group.max_severity),
                severity_style(cx, group.max_severity),
            )),
            "TIME" => Cell::from(time(group.last_seen, true)),
            "RULE" => Cell::from(format!(
                "{} {} ×{}",
                if open { "▾" } else { "▸" },
                if group.label.is_empty() {
                    "(none)"
                } else {
                    group.label.as_str()
                },
                group.alerts,
            )),
            "STATUS" => Cell::from(format!("{} open", group.open)),
            "COUNT" => Cell::from(Line::from(group.events.to_string()).right_aligned()),
            _ => Cell::from(""),
        })
        .collect::<Vec<_>>();
    TableRow::new(cs).style(cx.style("ui.group"))
}

fn title(m: &Model) -> String {
    let q = &m.queue;
    let mut t = match q.group_by {
        Some(by) => format!("Queue by {} · {} groups", by.name(), q.total),
        None => format!("Queue · {} alerts", q.total),
    };
    if let Some(d) = super::super::update::drill_label(m) {
        t.push_str(&format!(" · {d}"));
    }
    if !q.filter_text.is_empty() {
        t.push_str(&format!(" · /{}", q.filter_text));
    }
    if !q.marks.is_empty() {
        t.push_str(&format!(" · {} marked", q.marks.len()));
    }
    if q.visual_anchor.is_some() {
        t.push_str(" · VISUAL");
    }
    if !q.loaded {
        t.push_str(" · loading");
    }
    fit(&t, (m.width as usize).saturating_sub(6))
}
