//! Update for triage: which alerts an action applies to (marked, visual range, or the one under
//! the cursor), the prompts and confirmations it needs, and what happens when the write lands.

use super::{Effect, input, queue};
use crate::domain::Verdict;
use crate::ui::Action;
use crate::ui::model::{Focus, InputFor, Model, Pending, PickFor, Popup, Tab};
use crate::ui::msg::{Op, Target};

/// The alerts an action applies to: the marked ones, else the visual range, else the alert
/// under the cursor (or the open detail's alert).
pub fn targets(m: &Model) -> Vec<Target> {
    if m.tab == Tab::Queue && m.focus == Focus::Detail {
        return m
            .detail
            .as_ref()
            .and_then(|d| d.data.as_ref())
            .map(|d| {
                vec![Target {
                    id: d.alert.id.clone(),
                    version: d.alert.version,
                }]
            })
            .unwrap_or_default();
    }
    let q = &m.queue;
    if !q.marks.is_empty() {
        return q
            .marks
            .iter()
            .map(|(id, v)| Target {
                id: id.clone(),
                version: *v,
            })
            .collect();
    }
    if let Some(anchor) = q.visual_anchor {
        let (lo, hi) = (anchor.min(q.selected), anchor.max(q.selected));
        return (lo..=hi)
            .filter_map(|i| q.row(i).and_then(|r| q.alert_of(r)))
            .map(|a| Target {
                id: a.id.clone(),
                version: a.version,
            })
            .collect();
    }
    q.selected_alert()
        .map(|a| {
            vec![Target {
                id: a.id.clone(),
                version: a.version,
            }]
        })
        .unwrap_or_default()
}

/// Sends a change for the current targets (asking first when it is dangerous).
pub fn dispatch(m: &mut Model, op: Op) -> Vec<Effect> {
    let targets = if alert_op(&op) {
        targets(m)
    } else {
        Vec::new()
    };
    if alert_op(&op) && targets.is_empty() {
        m.flash("no alert selected", true);
        return Vec::new();
    }
    send(m, Pending { op, targets })
}

fn alert_op(op: &Op) -> bool {
    matches!(
        op,
        Op::Acknowledge
            | Op::Assign(_)
            | Op::Verdict(..)
            | Op::Escalate(_)
            | Op::AddToCase(_)
            | Op::Suppress(..)
    )
}

/// Sends a change now.
pub fn send(m: &mut Model, p: Pending) -> Vec<Effect> {
    if p.op.is_disposition() {
        m.last_op = Some(p.op.clone());
    }
    if alert_op(&p.op) {
        m.queue.marks.clear();
        m.queue.visual_anchor = None;
    }
    let req = m.req();
    m.in_flight += 1;
    vec![Effect::Write(req, p.op, p.targets)]
}

/// Asks before a dangerous change.
pub fn confirm(m: &mut Model, title: &str, body: String, op: Op) -> Vec<Effect> {
    let targets = if alert_op(&op) {
        targets(m)
    } else {
        Vec::new()
    };
    if alert_op(&op) && targets.is_empty() {
        m.flash("no alert selected", true);
        return Vec::new();
    }
    m.popup = Some(Popup::Confirm {
        title: title.to_string(),
        body,
        then: Box::new(Pending { op, targets }),
    });
    Vec::new()
}

fn verdict_of(a: Action) -> Option<Verdict> {
    Some(match a {
        Action::VerdictTruePositive => Verdict::TruePositive,
        Action::VerdictFalsePositive => Verdict::FalsePositive,
        Action::VerdictBenign => Verdict::Benign,
        Action::VerdictDuplicate => Verdict::Duplicate,
        _ => return None,
    })
}

/// Triage keys, from the queue or the detail; `arg` comes from the palette.
pub fn action(m: &mut Model, a: Action, arg: Option<String>) -> Vec<Effect> {
    let arg = arg.filter(|s| !s.trim().is_empty());
    if let Some(v) = verdict_of(a) {
        return match arg {
            Some(reason) => dispatch(m, Op::Verdict(v, reason)),
            None => {
                ask_reason(m, v);
                Vec::new()
            }
        };
    }
    match a {
        Action::Acknowledge => dispatch(m, Op::Acknowledge),
        Action::AssignMe => {
            let me = m.actor.clone();
            dispatch(m, Op::Assign(Some(me)))
        }
        Action::Unassign => dispatch(m, Op::Assign(None)),
        Action::Assign => match arg {
            Some(who) => dispatch(m, Op::Assign(Some(who))),
            None => {
                input::open(m, InputFor::Assign, "Assign to:", "");
                Vec::new()
            }
        },
        Action::Verdict => match arg {
            Some(text) => {
                let (v, reason) = text.split_once(' ').unwrap_or((text.as_str(), ""));
                match v.parse::<Verdict>() {
                    Ok(v) if !reason.trim().is_empty() => {
                        dispatch(m, Op::Verdict(v, reason.trim().to_string()))
                    }
                    Ok(v) => {
                        ask_reason(m, v);
                        Vec::new()
                    }
                    Err(e) => {
                        m.flash(e.to_string(), true);
                        Vec::new()
                    }
                }
            }
            None => {
                let items = [
                    Verdict::TruePositive,
                    Verdict::FalsePositive,
                    Verdict::Benign,
                    Verdict::Duplicate,
                ]
                .iter()
                .map(|v| (v.as_str().to_string(), v.as_str().replace('_', " ")))
                .collect();
                m.popup = Some(Popup::Picker {
                    title: "Verdict".into(),
                    items,
                    selected: 0,
                    purpose: PickFor::Verdict,
                });
                Vec::new()
            }
        },
        Action::Escalate => match arg {
            Some(title) => dispatch(m, Op::Escalate(Some(title))),
            None => {
                input::open(
                    m,
                    InputFor::EscalateTitle,
                    "Case title (empty: automatic):",
                    "",
                );
                Vec::new()
            }
        },
        Action::AddToCase => match arg {
            Some(case) => dispatch(m, Op::AddToCase(case.to_ascii_uppercase())),
            None => {
                let items: Vec<(String, String)> = m
                    .cases
                    .rows
                    .iter()
                    .filter(|c| {
                        !matches!(
                            c.status,
                            crate::domain::CaseStatus::Resolved | crate::domain::CaseStatus::Closed
                        )
                    })
                    .map(|c| {
                        (
                            c.id.clone(),
                            format!("{}  {}  {}", c.id, c.priority, c.title),
                        )
                    })
                    .collect();
                if items.is_empty() {
                    m.flash("no open case: escalate to open one", true);
                    return Vec::new();
                }
                m.popup = Some(Popup::Picker {
                    title: "Add to case".into(),
                    items,
                    selected: 0,
                    purpose: PickFor::AddToCase,
                });
                Vec::new()
            }
        },
        Action::Suppress => {
            input::open(
                m,
                InputFor::SuppressDuration,
                "Suppress similar alerts for:",
                "24h",
            );
            Vec::new()
        }
        Action::RepeatLast => match m.last_op.clone() {
            Some(op) => dispatch(m, op),
            None => {
                m.flash("nothing to repeat yet", true);
                Vec::new()
            }
        },
        _ => Vec::new(),
    }
}

pub fn ask_reason(m: &mut Model, v: Verdict) {
    input::open(
        m,
        InputFor::VerdictReason(v),
        &format!("Reason for {}:", v.as_str().replace('_', " ")),
        "",
    );
}

/// Asks to confirm a suppression of `duration`.
pub fn confirm_suppress(m: &mut Model, text: &str) -> Vec<Effect> {
    let Some(d) = parse_duration(text) else {
        m.flash(
            format!("`{text}` is not a duration: try 4h, 90m or 7d"),
            true,
        );
        return Vec::new();
    };
    let (rule, host) = match targets(m).first().and_then(|t| find(m, &t.id)) {
        Some(a) => (
            a.rule.name.clone(),
            a.entities
                .hosts
                .first()
                .or(a.entities.users.first())
                .or(a.entities.ips.first())
                .cloned(),
        ),
        None => (String::new(), None),
    };
    let scope = match host {
        Some(h) => format!("{rule} on {h}"),
        None => rule,
    };
    let body = format!(
        "Hide every open and new alert of {scope} for {}? They are kept (status suppressed) and audited.",
        crate::ui::msg::human_duration(d)
    );
    confirm(
        m,
        "Suppress similar alerts",
        body,
        Op::Suppress(
            d,
            format!(
                "suppressed from the console for {}",
                crate::ui::msg::human_duration(d)
            ),
        ),
    )
}

/// `4h`, `90m`, `7d`, `1h30m`: a positive duration.
pub fn parse_duration(text: &str) -> Option<jiff::SignedDuration> {
    let t = text.trim();
    let d = match t.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
        Some(days) => jiff::SignedDuration::from_hours(days.checked_mul(24)?),
        None => t.parse::<jiff::SignedDuration>().ok()?,
    };
    d.is_positive().then_some(d)
}

fn find<'a>(m: &'a Model, id: &str) -> Option<&'a crate::domain::Alert> {
    if let Some(d) = m.detail.as_ref().and_then(|d| d.data.as_ref())
        && d.alert.id == id
    {
        return Some(&d.alert);
    }
    m.queue
        .rows
        .iter()
        .find(|a| a.id == id)
        .or_else(|| m.queue.expanded.values().flatten().find(|a| a.id == id))
}

/// A write finished: tell the analyst and reload what it touched.
pub fn written(
    m: &mut Model,
    op: Op,
    result: Result<String, String>,
    conflict: bool,
    case_id: Option<String>,
) -> Vec<Effect> {
    match result {
        Ok(msg) => m.flash(msg, conflict),
        Err(e) => m.flash(e, true),
    }
    let mut fx = super::refresh(m);
    if matches!(op, Op::NewCase(_))
        && let Some(id) = case_id
    {
        m.tab = Tab::Cases;
        m.focus = Focus::Detail;
        fx.extend(super::cases::load_case(m, &id, true));
    }
    if matches!(op, Op::Verdict(..)) && m.focus == Focus::Detail && m.tab == Tab::Queue && !m.wide()
    {
        // The alert is closed: back to the queue for the next one.
        m.focus = Focus::List;
        m.detail = None;
    }
    fx.extend(queue::ensure_rows(m));
    fx
}
