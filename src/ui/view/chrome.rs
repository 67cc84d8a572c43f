//! The frame around the panes: tabs, the hint line generated from the keymap, the input line,
//! the status bar (counts, analyst, data freshness, flash messages), and pane borders.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::Ctx;
use crate::ui::model::{Model, Tab};
use crate::ui::{Action, Pane};

/// A pane's border with its title.
pub fn block<'a>(cx: &Ctx<'_>, title: &'a str, focused: bool) -> Block<'a> {
    let border = if focused {
        cx.style("ui.border.focus")
    } else {
        cx.style("ui.border")
    };
    Block::default()
        .borders(Borders::TOP)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), cx.style("ui.title")))
}

pub fn tabs(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let mut spans = Vec::new();
    for (i, t) in Tab::ALL.iter().enumerate() {
        let style = if *t == m.tab {
            cx.style("ui.tab.active")
        } else {
            cx.style("ui.tab")
        };
        let label = format!(" {} {} ", i + 1, t.title());
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let right = format!("tocsin{} ", if m.readonly { " (read-only)" } else { "" });
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (area.width as usize).saturating_sub(used + right.len());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(right, cx.style("ui.text.dim")));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The actions worth hinting in each pane, in order; the keys come from the keymap.
fn hinted(m: &Model) -> &'static [Action] {
    match m.pane() {
        Pane::Queue if m.queue.visual_anchor.is_some() => &[
            Action::Visual,
            Action::Acknowledge,
            Action::Verdict,
            Action::Escalate,
            Action::AssignMe,
        ],
        Pane::Queue if m.queue.group_by.is_some() => &[
            Action::ToggleGroup,
            Action::Drill,
            Action::Group,
            Action::Filter,
            Action::Help,
        ],
        Pane::Queue => &[
            Action::Open,
            Action::Filter,
            Action::Acknowledge,
            Action::Verdict,
            Action::Escalate,
            Action::ToggleMark,
            Action::Sort,
            Action::Group,
            Action::MoreLikeThis,
            Action::Palette,
            Action::Help,
        ],
        Pane::Detail => &[
            Action::Back,
            Action::NextSection,
            Action::Acknowledge,
            Action::Verdict,
            Action::Escalate,
            Action::Help,
        ],
        Pane::Cases => &[
            Action::Open,
            Action::NewCase,
            Action::CaseStatusFilter,
            Action::Note,
            Action::Help,
        ],
        Pane::Case => &[
            Action::Back,
            Action::NextSection,
            Action::Note,
            Action::CaseStatus,
            Action::CloseCase,
            Action::Pivot,
            Action::Help,
        ],
        Pane::Matrix => &[
            Action::Open,
            Action::Filter,
            Action::ColumnRight,
            Action::ColumnLeft,
            Action::Help,
            Action::Refresh,
            Action::NextTab,
        ],
        Pane::Hunt => &[
            Action::Filter,
            Action::Open,
            Action::Pivot,
            Action::PivotAdd,
            Action::MoreLikeThis,
            Action::Back,
            Action::Help,
        ],
        Pane::Popup => &[Action::Confirm, Action::Cancel, Action::Down, Action::Up],
        Pane::Editor => &[Action::Save, Action::Cancel],
        Pane::Input => &[Action::Confirm, Action::Complete, Action::Cancel],
        Pane::Chat | Pane::Global => &[Action::NextTab, Action::Help, Action::Quit],
    }
}

/// Short labels for the hint line.
fn label(a: Action) -> &'static str {
    match a {
        Action::Open => "open",
        Action::MoreLikeThis => "similar",
        Action::Filter => "filter",
        Action::Acknowledge => "ack",
        Action::Verdict => "verdict",
        Action::Escalate => "escalate",
        Action::ToggleMark => "mark",
        Action::Sort => "sort",
        Action::Group => "group",
        Action::Palette => "cmd",
        Action::Help => "help",
        Action::Back => "back",
        Action::NextSection => "section",
        Action::ToggleGroup => "expand",
        Action::Drill => "drill",
        Action::Visual => "end visual",
        Action::AssignMe => "take",
        Action::NewCase => "new",
        Action::CaseStatusFilter => "open/all/closed",
        Action::Note => "note",
        Action::CaseStatus => "status",
        Action::CloseCase => "close",
        Action::Pivot => "pivot",
        Action::Confirm => "ok",
        Action::Cancel => "cancel",
        Action::Down => "down",
        Action::Up => "up",
        Action::Save => "save",
        Action::Complete => "complete",
        Action::NextTab => "next tab",
        Action::ColumnRight => "next tactic",
        Action::ColumnLeft => "prev tactic",
        Action::Refresh => "reload",
        Action::Quit => "quit",
        other => other.name(),
    }
}

pub fn hints(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let pane = m.pane();
    let mut spans = Vec::new();
    if !m.pending_keys.is_empty() {
        let keys = crate::ui::keys::display_sequence(&m.pending_keys);
        spans.push(Span::styled(format!("{keys} …  "), cx.style("ui.hint.key")));
    }
    let width = area.width as usize;
    for a in hinted(m) {
        let Some(key) = cx.keymap.first_key(pane, *a) else {
            continue;
        };
        let text = match (pane, a) {
            (Pane::Matrix, Action::Open) => " alerts  ".to_string(),
            (Pane::Hunt, Action::Filter) => " query  ".to_string(),
            (Pane::Hunt, Action::Open) => " raw  ".to_string(),
            (Pane::Hunt, Action::PivotAdd) => " add to query  ".to_string(),
            _ => format!(" {}  ", label(*a)),
        };
        let used: usize = spans.iter().map(|s: &Span<'_>| s.width()).sum();
        if used + key.len() + text.len() > width {
            break;
        }
        spans.push(Span::styled(key, cx.style("ui.hint.key")));
        spans.push(Span::styled(text, cx.style("ui.hint.text")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn input(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let Some(inp) = m.input.as_ref() else {
        return;
    };
    let prompt = format!("{} ", inp.prompt);
    let pw = (prompt.chars().count() as u16).min(area.width.saturating_sub(10));
    let p = Rect { width: pw, ..area };
    let t = Rect {
        x: area.x + pw,
        width: area.width.saturating_sub(pw),
        ..area
    };
    f.render_widget(
        Paragraph::new(Span::styled(prompt, cx.style("ui.popup.title"))),
        p,
    );
    f.render_widget(&inp.area, t);
}

pub fn status(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>) {
    let base = cx.style("ui.statusbar");
    if let Some(flash) = &m.flash {
        let style = if flash.error {
            cx.style("ui.flash.error")
        } else {
            cx.style("ui.flash.info")
        };
        f.render_widget(
            Paragraph::new(super::fit(&flash.text, area.width as usize)).style(style),
            area,
        );
        return;
    }
    let s = &m.status;
    let fresh = match s.newest_event {
        Some(t) => {
            let age = m.now.duration_since(t);
            format!("newest event {} ago", age_text(age.as_secs()))
        }
        None => "no events yet".into(),
    };
    let left = format!(
        " {} open · {} new · {} cases open · {}",
        s.alerts_open, s.alerts_new, s.cases_open, fresh
    );
    let right = format!(" {} ", m.actor);
    let width = area.width as usize;
    let left = super::fit(&left, width.saturating_sub(right.len()));
    let pad = width.saturating_sub(left.chars().count() + right.len());
    let line = Line::from(vec![
        Span::styled(left, base),
        Span::styled(" ".repeat(pad), base),
        Span::styled(right, cx.style("ui.statusbar.key")),
    ]);
    f.render_widget(Paragraph::new(line).style(base), area);
}

/// `42s`, `5m`, `3h`, `12d`.
pub fn age_text(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}
