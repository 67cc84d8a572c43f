//! Drawing: the whole screen from `&Model`, the keymap (for hints and help) and the theme.
//! Nothing here changes state. At 80x24 panes stack (one at a time); from 160x30 the list and
//! the detail sit side by side.

mod cases;
mod chrome;
mod detail;
mod hunt;
mod matrix;
mod popup;
mod queue;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Paragraph};

use super::keymap::Keymap;
use super::model::{Focus, Model, Tab};
use super::theme::Theme;

/// What drawing reads besides the model.
pub struct Ctx<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
}

impl Ctx<'_> {
    pub fn style(&self, scope: &str) -> Style {
        self.theme.get(scope)
    }
}

/// Draws one frame.
pub fn draw(f: &mut Frame<'_>, m: &Model, cx: &Ctx<'_>) {
    let area = f.area();
    f.render_widget(Block::default().style(cx.style("ui.background")), area);
    let [tabs, body, hints, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::tabs(f, tabs, m, cx);
    match m.tab {
        Tab::Queue => split(
            f,
            body,
            m,
            cx,
            queue::draw,
            detail::draw,
            m.detail.is_some(),
        ),
        Tab::Cases => split(f, body, m, cx, cases::list, cases::case, m.case.is_some()),
        Tab::Attack => matrix::draw(f, body, m, cx),
        Tab::Hunt => hunt::draw(f, body, m, cx),
        Tab::Chat => chat(f, body, cx),
    }
    if m.input.is_some() {
        chrome::input(f, hints, m, cx);
    } else {
        chrome::hints(f, hints, m, cx);
    }
    chrome::status(f, status, m, cx);
    popup::draw(f, area, m, cx);
}

type Pane = fn(&mut Frame<'_>, Rect, &Model, &Ctx<'_>, bool);

/// The list and its detail: side by side when wide, else whichever has focus.
fn split(
    f: &mut Frame<'_>,
    area: Rect,
    m: &Model,
    cx: &Ctx<'_>,
    list: Pane,
    detail: Pane,
    has_detail: bool,
) {
    if m.wide() {
        let [l, _, r] = Layout::horizontal([
            Constraint::Percentage(60),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        list(f, l, m, cx, m.focus == Focus::List);
        detail(f, r, m, cx, m.focus == Focus::Detail);
    } else if m.focus == Focus::Detail && has_detail {
        detail(f, area, m, cx, true);
    } else {
        list(f, area, m, cx, true);
    }
}

fn chat(f: &mut Frame<'_>, area: Rect, cx: &Ctx<'_>) {
    let text = "The chat pane: a local LLM that answers questions about these alerts and \
                logs will stream here. It is not part of this build yet.";
    f.render_widget(
        Paragraph::new(text)
            .style(cx.style("ui.text.dim"))
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(chrome::block(cx, "Chat", true)),
        area,
    );
}

/// Cuts `s` to `width` columns, with `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut w = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `2026-11-20 08:14` in UTC, or `11-20 08:14` when short.
pub fn time(t: jiff::Timestamp, short: bool) -> String {
    if short {
        t.strftime("%m-%d %H:%M").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}
