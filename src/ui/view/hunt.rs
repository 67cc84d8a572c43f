//! The hunt pane: the query and its count, hits over time, the hits with the query's words
//! highlighted, and the selected event's raw record.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table};

use super::{Ctx, chrome, fit, time};
use crate::ui::hunt::{highlight_terms, histogram, matches, span};
use crate::ui::model::{Focus, Model};

pub fn draw(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let show_event = m.hunt.event.is_some() && (m.wide() || m.focus == Focus::Detail);
    if show_event && !m.wide() {
        event(f, area, m, cx, true);
        return;
    }
    if m.wide() {
        let [l, _, r] = Layout::horizontal([
            Constraint::Percentage(60),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        hits(f, l, m, cx, m.focus == Focus::List);
        event(f, r, m, cx, m.focus == Focus::Detail);
    } else {
        hits(f, area, m, cx, true);
    }
}

fn hits(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let h = &m.hunt;
    let title = if h.shown.is_empty() {
        "Hunt".to_string()
    } else {
        let fetched = match (&h.embedder, h.count > h.hits.len()) {
            // A semantic query ranks by fused score, not by time.
            (Some(by), _) => format!(" (best {} by meaning, {by})", h.hits.len()),
            (None, true) => format!(" (newest {} shown)", h.hits.len()),
            (None, false) => String::new(),
        };
        fit(
            &format!("Hunt · {} events{fetched} · {}", h.count, h.shown),
            (area.width as usize).saturating_sub(6),
        )
    };
    let block = chrome::block(cx, &title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let dim = cx.style("ui.text.dim");
    if let Some(e) = &h.error {
        f.render_widget(
            Paragraph::new(e.as_str())
                .style(cx.style("ui.flash.error"))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
        return;
    }
    if !h.loaded {
        let text = "Search every ingested event: host:web-01 user:root \"Failed password\" \
                    last:24h from:2026-11-01 to:2026-11-02, AND/OR/NOT; ~\"privilege \
                    escalation\" by meaning. Press / to type a query.";
        f.render_widget(
            Paragraph::new(text)
                .style(dim)
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    if h.hits.is_empty() {
        f.render_widget(
            Span::styled(
                "No event matches. (`tocsin index rebuild` indexes older data dirs.)",
                dim,
            ),
            inner,
        );
        return;
    }
    let [spark, axis, table] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let counts = histogram(&h.hits, spark.width as usize);
    f.render_widget(
        Sparkline::default()
            .data(&counts)
            .style(cx.style("severity.medium")),
        spark,
    );
    if let Some((lo, hi)) = span(&h.hits) {
        let left = time(lo, true);
        let right = time(hi, true);
        let pad = (axis.width as usize).saturating_sub(left.len() + right.len());
        f.render_widget(
            Line::from(vec![
                Span::styled(left, dim),
                Span::raw(" ".repeat(pad)),
                Span::styled(right, dim),
            ]),
            axis,
        );
    }
    let terms = highlight_terms(&h.shown);
    let rows_h = table.height.saturating_sub(1) as usize;
    let wide = table.width >= 100;
    let rows = h
        .hits
        .iter()
        .enumerate()
        .skip(h.scroll)
        .take(rows_h)
        .map(|(i, hit)| {
            let style = if i == h.selected {
                if focused {
                    cx.style("ui.selection")
                } else {
                    cx.style("ui.selection.unfocused")
                }
            } else {
                Style::default()
            };
            let mut cells = vec![
                Cell::from(time(hit.ts, true)),
                Cell::from(hit.dataset.as_str()),
                Cell::from(hit.host.as_deref().unwrap_or("")),
            ];
            if wide {
                cells.push(Cell::from(hit.user.as_deref().unwrap_or("")));
            }
            cells.push(Cell::from(highlighted(&hit.message, &terms, cx)));
            Row::new(cells).style(style)
        });
    let mut widths = vec![
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(12),
    ];
    let mut header = vec!["TIME", "DATASET", "HOST"];
    if wide {
        widths.push(Constraint::Length(10));
        header.push("USER");
    }
    widths.push(Constraint::Fill(1));
    header.push("MESSAGE");
    f.render_widget(
        Table::new(rows, widths).header(Row::new(header).style(cx.style("ui.header"))),
        table,
    );
}

/// The message with the query's words in the match style.
fn highlighted<'a>(message: &'a str, terms: &[String], cx: &Ctx<'_>) -> Line<'a> {
    let mut spans = Vec::new();
    let mut at = 0;
    for (s, e) in matches(message, terms) {
        if s > at {
            spans.push(Span::raw(&message[at..s]));
        }
        spans.push(Span::styled(&message[s..e], cx.style("ui.match")));
        at = e;
    }
    if at < message.len() {
        spans.push(Span::raw(&message[at..]));
    }
    Line::from(spans)
}

fn event(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let Some((id, lines)) = &m.hunt.event else {
        f.render_widget(
            Paragraph::new("Open an event to see its raw record.")
                .style(cx.style("ui.text.dim"))
                .block(chrome::block(cx, "Event", focused)),
            area,
        );
        return;
    };
    let title = format!("Event {}", crate::domain::short_id(id));
    let block = chrome::block(cx, &title, focused);
    let h = area.height.saturating_sub(1) as usize;
    let scroll = m.hunt.event_scroll.min(lines.len().saturating_sub(h));
    let shown: Vec<Line<'_>> = lines
        .iter()
        .skip(scroll)
        .take(h)
        .map(|l| Line::from(l.as_str()))
        .collect();
    f.render_widget(
        Paragraph::new(shown)
            .block(block)
            .style(cx.style("ui.text")),
        area,
    );
}
