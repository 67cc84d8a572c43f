//! One alert's detail: overview (rule, entities, ATT&CK techniques, verdict, case), the events
//! behind it with their raw records pretty-printed, and its history from the audit log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::queue::{severity_style, severity_tag, status_style};
use super::{Ctx, chrome, time};
use crate::ui::model::{DetailSection, Model};
use crate::ui::msg::AlertDetail;

pub fn draw(f: &mut Frame<'_>, area: Rect, m: &Model, cx: &Ctx<'_>, focused: bool) {
    let Some(d) = m.detail.as_ref() else {
        let block = chrome::block(cx, "Alert", focused);
        f.render_widget(
            Paragraph::new("Select an alert and open it to see its detail.")
                .style(cx.style("ui.text.dim"))
                .block(block),
            area,
        );
        return;
    };
    let title = sections_title(d.section);
    let block = chrome::block(cx, &title, focused);
    let Some(data) = d.data.as_ref() else {
        f.render_widget(
            Paragraph::new("loading…")
                .style(cx.style("ui.text.dim"))
                .block(block),
            area,
        );
        return;
    };
    let inner_h = area.height.saturating_sub(1) as usize;
    if d.section == DetailSection::Events {
        // Raw records can run to thousands of lines: build only the visible ones.
        let total = data.raw_lines.len() + 1;
        let scroll = d.scroll.min(total.saturating_sub(inner_h));
        let lines = events(data, cx, scroll, inner_h);
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .style(cx.style("ui.text")),
            area,
        );
        return;
    }
    let lines = match d.section {
        DetailSection::Overview => overview(data, cx),
        _ => history(data, cx),
    };
    let max_scroll = lines.len().saturating_sub(inner_h);
    let scroll = d.scroll.min(max_scroll) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(cx.style("ui.text"))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn sections_title(current: DetailSection) -> String {
    DetailSection::ALL
        .iter()
        .map(|s| {
            if *s == current {
                format!("[{}]", s.title())
            } else {
                s.title().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn kv<'a>(cx: &Ctx<'_>, k: &'a str, v: String, style: Style) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{k:<10}"), cx.style("ui.text.dim")),
        Span::styled(v, style),
    ])
}

fn overview<'a>(d: &'a AlertDetail, cx: &Ctx<'_>) -> Vec<Line<'a>> {
    let a = &d.alert;
    let text = cx.style("ui.text");
    let mut out = vec![
        Line::from(Span::styled(a.rule.name.clone(), cx.style("ui.title"))),
        kv(
            cx,
            "severity",
            severity_tag(a.severity).to_string(),
            severity_style(cx, a.severity),
        ),
        kv(
            cx,
            "status",
            a.status.to_string(),
            status_style(cx, a.status),
        ),
        kv(
            cx,
            "rule",
            format!("{} ({})", a.rule.id, a.rule.source),
            text,
        ),
        kv(
            cx,
            "seen",
            format!(
                "{} .. {}  ×{}",
                time(a.first_seen, false),
                time(a.last_seen, false),
                a.count
            ),
            text,
        ),
        kv(
            cx,
            "assignee",
            a.assignee.clone().unwrap_or_else(|| "-".into()),
            text,
        ),
        kv(
            cx,
            "case",
            a.case_id.clone().unwrap_or_else(|| "-".into()),
            text,
        ),
        kv(cx, "id", a.id.clone(), cx.style("ui.text.dim")),
    ];
    if let Some(v) = a.verdict {
        let reason = a.verdict_reason.clone().unwrap_or_default();
        out.push(kv(cx, "verdict", format!("{v}: {reason}"), text));
    }
    if !a.summary.is_empty() && a.summary != a.rule.name {
        out.push(Line::default());
        out.push(Line::from(Span::styled(a.summary.clone(), text)));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled("Entities", cx.style("ui.header"))));
    if a.entities.is_empty() {
        out.push(Line::from(Span::styled("  none", cx.style("ui.text.dim"))));
    }
    for (kind, value) in a.entities.pairs() {
        out.push(kv(cx, kind, value.to_string(), text));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled("ATT&CK", cx.style("ui.header"))));
    if d.techniques.is_empty() {
        out.push(Line::from(Span::styled("  none", cx.style("ui.text.dim"))));
    }
    for (_, described) in &d.techniques {
        out.push(Line::from(Span::styled(
            format!("  {described}"),
            cx.style("technique"),
        )));
    }
    if let Some(ai) = &a.ai {
        out.push(Line::default());
        out.push(Line::from(Span::styled(
            "AI assessment (not the analyst's)",
            cx.style("ui.header"),
        )));
        out.push(Line::from(Span::styled(
            serde_json::to_string(ai).unwrap_or_default(),
            cx.style("ui.text.dim"),
        )));
    }
    out
}

/// Raw records with light JSON colouring (keys, strings, numbers, literals): `height` lines
/// from line `from`, the first line being a count.
fn events<'a>(d: &'a AlertDetail, cx: &Ctx<'_>, from: usize, height: usize) -> Vec<Line<'a>> {
    if d.raw_lines.is_empty() {
        return vec![Line::from(Span::styled(
            "No stored events behind this alert.",
            cx.style("ui.text.dim"),
        ))];
    }
    let mut out = Vec::with_capacity(height);
    if from == 0 {
        out.push(Line::from(Span::styled(
            format!(
                "{} event(s) shown of {}",
                d.events.len(),
                d.alert.count.max(d.events.len() as u64)
            ),
            cx.style("ui.text.dim"),
        )));
    }
    let skip = from.saturating_sub(1);
    let take = height.saturating_sub(out.len());
    out.extend(
        d.raw_lines
            .iter()
            .skip(skip)
            .take(take)
            .map(|l| json_line(l, cx)),
    );
    out
}

fn json_line<'a>(line: &'a str, cx: &Ctx<'_>) -> Line<'a> {
    if line.starts_with("── ") {
        return Line::from(Span::styled(line, cx.style("ui.header")));
    }
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    if let Some(rest) = trimmed.strip_prefix('"')
        && let Some(end) = rest.find("\": ")
    {
        let key_end = indent.len() + 1 + end + 1;
        let (key, value) = line.split_at(key_end);
        return Line::from(vec![
            Span::styled(key, cx.style("json.key")),
            Span::raw(": "),
            value_span(&value[2..], cx),
        ]);
    }
    Line::from(vec![Span::raw(indent), value_span(trimmed, cx)])
}

fn value_span<'a>(v: &'a str, cx: &Ctx<'_>) -> Span<'a> {
    let core = v.trim_end_matches(',');
    let scope = if core.starts_with('"') {
        "json.string"
    } else if core.parse::<f64>().is_ok() {
        "json.number"
    } else if matches!(core, "true" | "false" | "null") {
        "json.literal"
    } else {
        "ui.text"
    };
    Span::styled(v, cx.style(scope))
}

fn history<'a>(d: &'a AlertDetail, cx: &Ctx<'_>) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for e in d.history.iter().rev() {
        let change = match (&e.before, &e.after) {
            (Some(b), Some(a)) => diff(b, a),
            (None, Some(_)) => "created".to_string(),
            _ => String::new(),
        };
        out.push(Line::from(vec![
            Span::styled(time(e.at, false), cx.style("timeline.time")),
            Span::raw("  "),
            Span::styled(e.actor.clone(), cx.style("timeline.actor")),
            Span::raw("  "),
            Span::styled(e.action.clone(), cx.style("timeline.change")),
            Span::raw("  "),
            Span::styled(change, cx.style("ui.text")),
        ]));
    }
    if out.is_empty() {
        out.push(Line::from(Span::styled(
            "No history.",
            cx.style("ui.text.dim"),
        )));
    }
    out
}

/// `status new -> acknowledged, assignee - -> ana` from an audit row's before/after.
fn diff(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return String::new();
    };
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "-".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k} {} -> {}", show(b.get(k)), show(Some(v))))
        .collect::<Vec<_>>()
        .join(", ")
}
