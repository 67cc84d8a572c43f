//! The cases tab: the case list, and one case with its timeline, alerts and observables.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::queue::{severity_style, severity_tag, status_style};
use super::{Ctx, chrome, fit, time};
use crate::domain::{ActivityKind, Priority};
use crate::ui::model::{CaseSection, Model};

fn priority_style(cx: &Ctx<'_>, p: Priority) -> Style {
    cx.theme.get(&format!("priority.{}", p.as_str()))
}

pub fn list(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let c = &m.cases;
    let mut title = format!(
        "Cases · {} {}",
        c.rows.len(),
        crate::ui::update::case_view_name(m)
    );
    if let Some(t) = &c.filter.text {
        title.push_str(&format!(" · /{t}"));
    }
    let block = chrome::block(cx, &title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let header = Row::new(["ID", "PRI", "SEV", "STATUS", "ASSIGNEE", "TITLE", "UPDATED"])
        .style(cx.style("ui.header"));
    let h = inner.height.saturating_sub(1) as usize;
    let rows = c
        .rows
        .iter()
        .enumerate()
        .skip(c.scroll)
        .take(h)
        .map(|(i, case)| {
            let style = if i == c.selected {
                if focused {
                    cx.style("ui.selection")
                } else {
                    cx.style("ui.selection.unfocused")
                }
            } else {
                Style::default()
            };
            Row::new(vec![
                Cell::from(case.id.as_str()),
                Cell::from(Span::styled(
                    case.priority.as_str().to_uppercase(),
                    priority_style(cx, case.priority),
                )),
                Cell::from(Span::styled(
                    severity_tag(case.severity),
                    severity_style(cx, case.severity),
                )),
                Cell::from(case.status.as_str()),
                Cell::from(case.assignee.as_deref().unwrap_or("")),
                Cell::from(case.title.as_str()),
                Cell::from(time(case.updated_at, true)),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Length(14),
        Constraint::Length(3),
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Length(9),
        Constraint::Fill(1),
        Constraint::Length(11),
    ];
    f.render_widget(Table::new(rows, widths).header(header), inner);
    if c.loaded && c.rows.is_empty() {
        let r = Rect {
            y: inner.y + 2,
            height: 1,
            ..inner
        };
        f.render_widget(
            Span::styled(
                "No cases here. Escalate alerts from the queue to open one.",
                cx.style("ui.text.dim"),
            ),
            r,
        );
    }
}

pub fn case(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let Some(v) = m.case.as_ref() else {
        f.render_widget(
            Paragraph::new("Open a case to see its timeline.")
                .style(cx.style("ui.text.dim"))
                .block(chrome::block(cx, "Case", focused)),
            area,
        );
        return;
    };
    let Some(d) = v.data.as_ref() else {
        f.render_widget(
            Paragraph::new("loading…")
                .style(cx.style("ui.text.dim"))
                .block(chrome::block(cx, &v.id, focused)),
            area,
        );
        return;
    };
    let c = &d.case;
    let tabs = CaseSection::ALL
        .iter()
        .map(|s| {
            let n = match s {
                CaseSection::Timeline => d.activities.len(),
                CaseSection::Alerts => v.alerts.len(),
                CaseSection::Observables => c.observables.len(),
            };
            if *s == v.section {
                format!("[{} {n}]", s.title())
            } else {
                format!("{} {n}", s.title())
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let title = fit(&format!("{} · {tabs}", c.id), area.width as usize - 4);
    let block = chrome::block(cx, &title, focused);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let text = cx.style("ui.text");
    let dim = cx.style("ui.text.dim");
    let mut head = vec![
        Line::from(Span::styled(c.title.clone(), cx.style("ui.title"))),
        Line::from(vec![
            Span::styled(
                c.priority.as_str().to_uppercase(),
                priority_style(cx, c.priority),
            ),
            Span::raw("  "),
            Span::styled(severity_tag(c.severity), severity_style(cx, c.severity)),
            Span::raw("  "),
            Span::styled(c.status.as_str(), text),
            Span::styled("  assignee ", dim),
            Span::styled(c.assignee.clone().unwrap_or_else(|| "-".into()), text),
            Span::styled("  opened by ", dim),
            Span::styled(c.created_by.clone(), text),
        ]),
    ];
    if !c.techniques.is_empty() {
        head.push(Line::from(Span::styled(
            c.techniques.join(" "),
            cx.style("technique"),
        )));
    }
    let head_h = head.len() as u16 + 1;
    let [top, body] =
        ratatui::layout::Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)])
            .areas(inner);
    f.render_widget(Paragraph::new(head), top);
    let h = body.height as usize;
    let sel = |i: usize| {
        if i == v.selected && focused {
            cx.style("ui.selection")
        } else {
            Style::default()
        }
    };
    match v.section {
        CaseSection::Timeline => {
            let mut lines = Vec::new();
            for a in d.activities.iter().rev() {
                let scope = match a.kind {
                    ActivityKind::Note => "timeline.note",
                    _ => "timeline.change",
                };
                let mut body = a.body.lines();
                lines.push(Line::from(vec![
                    Span::styled(time(a.at, true), cx.style("timeline.time")),
                    Span::raw(" "),
                    Span::styled(
                        format!("{:<8}", fit(&a.actor, 8)),
                        cx.style("timeline.actor"),
                    ),
                    Span::raw(" "),
                    Span::styled(format!("{:<15}", a.kind.as_str()), dim),
                    Span::styled(body.next().unwrap_or("").to_string(), cx.style(scope)),
                ]));
                for more in body {
                    lines.push(Line::from(Span::styled(
                        format!("{:36}{more}", ""),
                        cx.style(scope),
                    )));
                }
            }
            let scroll = v.selected.min(lines.len().saturating_sub(h)) as u16;
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((scroll, 0)),
                body,
            );
        }
        CaseSection::Alerts => {
            let start = v.selected.saturating_sub(h.saturating_sub(1));
            let rows = v
                .alerts
                .iter()
                .enumerate()
                .skip(start)
                .take(h)
                .map(|(i, a)| {
                    Row::new(vec![
                        Cell::from(Span::styled(
                            severity_tag(a.severity),
                            severity_style(cx, a.severity),
                        )),
                        Cell::from(time(a.last_seen, true)),
                        Cell::from(a.rule.name.as_str()),
                        Cell::from(a.entities.hosts.first().map(String::as_str).unwrap_or("")),
                        Cell::from(Span::styled(a.status.as_str(), status_style(cx, a.status))),
                    ])
                    .style(sel(i))
                });
            let widths = [
                Constraint::Length(4),
                Constraint::Length(11),
                Constraint::Fill(2),
                Constraint::Fill(1),
                Constraint::Length(11),
            ];
            f.render_widget(Table::new(rows, widths), body);
        }
        CaseSection::Observables => {
            let start = v.selected.saturating_sub(h.saturating_sub(1));
            let rows = c
                .observables
                .iter()
                .enumerate()
                .skip(start)
                .take(h)
                .map(|(i, o)| {
                    Row::new(vec![
                        Cell::from(Span::styled(o.kind.as_str(), dim)),
                        Cell::from(o.value.as_str()),
                        Cell::from(o.note.as_deref().unwrap_or("")),
                    ])
                    .style(sel(i))
                });
            let widths = [
                Constraint::Length(8),
                Constraint::Fill(2),
                Constraint::Fill(1),
            ];
            f.render_widget(Table::new(rows, widths), body);
        }
    }
}
