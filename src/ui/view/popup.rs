//! Popups over the panes: help (generated from the loaded keymap), pickers, confirmations,
//! the note editor and the palette's completions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Ctx, fit};
use crate::ui::model::{InputFor, Model, Popup};
use crate::ui::{Class, Pane};

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

fn frame<'a>(cx: &Ctx<'_>, title: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(cx.style("ui.border.focus"))
        .style(cx.style("ui.popup"))
        .title(Span::styled(
            format!(" {title} "),
            cx.style("ui.popup.title"),
        ))
}

pub fn draw(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    if let Some(ed) = &m.editor {
        let r = centered(
            area,
            area.width.saturating_sub(8).max(40),
            area.height.saturating_sub(6).max(8),
        );
        f.render_widget(Clear, r);
        let title = format!("Note on {}", ed.case_id);
        let block = frame(cx, &title);
        let inner = block.inner(r);
        f.render_widget(block, r);
        f.render_widget(&ed.area, inner);
        return;
    }
    if let Some(inp) = &m.input
        && inp.purpose == InputFor::Palette
        && !inp.completions.is_empty()
    {
        completions(f, area, m, cx);
    }
    match &m.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(f, area, m, cx, *scroll),
        Some(Popup::Picker {
            title,
            items,
            selected,
            ..
        }) => {
            let w = items
                .iter()
                .map(|(_, l)| l.chars().count() as u16)
                .max()
                .unwrap_or(10)
                .max(title.len() as u16)
                + 6;
            let h = items.len() as u16 + 2;
            let r = centered(area, w, h);
            f.render_widget(Clear, r);
            let lines: Vec<Line<'_>> = items
                .iter()
                .enumerate()
                .map(|(i, (_, label))| {
                    let style = if i == *selected {
                        cx.style("ui.selection")
                    } else {
                        cx.style("ui.popup")
                    };
                    Line::from(Span::styled(format!(" {label} "), style))
                })
                .collect();
            let inner_h = h.saturating_sub(2) as usize;
            let scroll = selected.saturating_sub(inner_h.saturating_sub(1)) as u16;
            f.render_widget(
                Paragraph::new(lines)
                    .block(frame(cx, title))
                    .scroll((scroll, 0)),
                r,
            );
        }
        Some(Popup::Confirm { title, body, .. }) => {
            let w = (area.width.saturating_sub(4)).min(70);
            let yes = cx
                .keymap
                .keys_for(Pane::Popup, crate::ui::Action::Confirm)
                .join("/");
            let no = cx
                .keymap
                .keys_for(Pane::Popup, crate::ui::Action::Cancel)
                .join("/");
            let text = vec![
                Line::from(Span::styled(body.clone(), cx.style("ui.popup"))),
                Line::default(),
                Line::from(vec![
                    Span::styled(yes, cx.style("ui.hint.key")),
                    Span::styled(" yes   ", cx.style("ui.hint.text")),
                    Span::styled(no, cx.style("ui.hint.key")),
                    Span::styled(" no", cx.style("ui.hint.text")),
                ]),
            ];
            let body_lines = (body.chars().count() as u16 / w.saturating_sub(4).max(1)) + 1;
            let r = centered(area, w, body_lines + 4);
            f.render_widget(Clear, r);
            f.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: true })
                    .block(frame(cx, title)),
                r,
            );
        }
    }
}

fn completions(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let Some(inp) = &m.input else {
        return;
    };
    let n = inp.completions.len().min(8) as u16;
    let name_w = inp
        .completions
        .iter()
        .take(8)
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(10)
        + 2;
    let w = inp
        .completions
        .iter()
        .take(8)
        .map(|c| c.len() as u16)
        .max()
        .unwrap_or(10)
        .max(24)
        + 28;
    let r = Rect {
        x: area.x,
        y: area.bottom().saturating_sub(2 + n + 2),
        width: w.min(area.width),
        height: n + 2,
    };
    f.render_widget(Clear, r);
    let lines: Vec<Line<'_>> = inp
        .completions
        .iter()
        .enumerate()
        .take(8)
        .map(|(i, c)| {
            let style = if Some(i) == inp.completion {
                cx.style("ui.selection")
            } else {
                cx.style("ui.popup")
            };
            let help = c
                .split_whitespace()
                .next()
                .and_then(crate::ui::Action::from_name)
                .map(|a| a.help())
                .unwrap_or("");
            Line::from(vec![
                Span::styled(format!("{c:<name_w$}"), style),
                Span::styled(
                    fit(help, (w as usize).saturating_sub(name_w + 2)),
                    cx.style("ui.text.dim"),
                ),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(frame(cx, "commands")), r);
}

/// The help: every binding of the focused pane, then the global ones, from the keymap.
fn help(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, scroll: usize) {
    let pane = focused_pane(m);
    let r = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    let described = r.width >= 90;
    let mut lines: Vec<Line<'_>> = Vec::new();
    for p in [pane, Pane::Global] {
        lines.push(Line::from(Span::styled(
            format!("{} keys", p.name()),
            cx.style("ui.header"),
        )));
        // One line per action (and condition), its keys joined.
        let mut merged: Vec<(String, crate::ui::Action, Option<crate::ui::Condition>)> = Vec::new();
        for b in cx.keymap.bindings(p) {
            match merged
                .iter_mut()
                .find(|(_, a, c)| *a == b.action && *c == b.condition)
            {
                Some((keys, _, _)) => {
                    keys.push_str(", ");
                    keys.push_str(&b.keys);
                }
                None => merged.push((b.keys.clone(), b.action, b.condition)),
            }
        }
        for (keys, action, condition) in merged {
            let when = condition
                .map(|c| format!(" (when {})", c.name()))
                .unwrap_or_default();
            let danger = if action.class() == Class::Dangerous {
                " !"
            } else {
                ""
            };
            let mut spans = vec![
                Span::styled(format!("  {:<16}", fit(&keys, 15)), cx.style("ui.hint.key")),
                Span::styled(format!("{:<22}", action.name()), cx.style("ui.text")),
            ];
            if described {
                spans.push(Span::styled(
                    format!("{}{when}{danger}", action.help()),
                    cx.style("ui.text.dim"),
                ));
            } else {
                spans.push(Span::styled(
                    format!("{when}{danger}"),
                    cx.style("ui.text.dim"),
                ));
            }
            lines.push(Line::from(spans));
        }
        lines.push(Line::default());
    }
    if m.readonly {
        lines.push(Line::from(Span::styled(
            "read-only: actions that change alerts or cases are unbound",
            cx.style("ui.flash.error"),
        )));
    }
    f.render_widget(Clear, r);
    let inner_h = r.height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_h)) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .block(frame(cx, "Help"))
            .scroll((scroll, 0)),
        r,
    );
}

/// The pane under the help popup.
fn focused_pane(m: &Model) -> Pane {
    use crate::ui::model::{Focus, Tab};
    match (m.tab, m.focus) {
        (Tab::Queue, Focus::List) => Pane::Queue,
        (Tab::Queue, Focus::Detail) => Pane::Detail,
        (Tab::Cases, Focus::List) => Pane::Cases,
        (Tab::Cases, Focus::Detail) => Pane::Case,
        (Tab::Attack, _) => Pane::Matrix,
        (Tab::Hunt, _) => Pane::Hunt,
        (Tab::Chat, _) => Pane::Chat,
    }
}
