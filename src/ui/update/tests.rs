//! Update without a terminal or a store: keys through the shipped keymap, replies in any order,
//! and the effects that come out.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Effect, action, key, reply};
use crate::domain::{Alert, Verdict};
use crate::store::AlertSort;
use crate::store::testkit::TestAlert;
use crate::ui::Action;
use crate::ui::keymap::Keymap;
use crate::ui::model::{InputFor, Model, Popup};
use crate::ui::msg::{Op, Query, Reply};

fn model() -> Model {
    let mut m = Model::new("ana", false, 50, Duration::from_secs(5));
    m.width = 80;
    m.height = 24;
    m
}

fn alerts(n: u32) -> Vec<Alert> {
    (0..n).map(|i| TestAlert::new(i).0).collect()
}

/// The model with `n` alerts loaded as one page from row 0.
fn loaded(n: u32) -> Model {
    let mut m = model();
    let fx = super::start(&mut m);
    assert!(!fx.is_empty());
    let req = m.latest.page;
    reply(
        &mut m,
        Reply::Page {
            req,
            offset: 0,
            rows: alerts(n),
            total: n as i64,
            counted: true,
            anchor_at: None,
        },
    );
    m
}

fn press(m: &mut Model, km: &Keymap, notation: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for chord in notation.split(' ') {
        let c = crate::ui::keys::KeyChord::parse(chord).unwrap();
        fx.extend(key(m, km, KeyEvent::new(c.code, c.mods)));
    }
    fx
}

fn writes(fx: &[Effect]) -> Vec<(Op, usize)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Write(_, op, t) => Some((op.clone(), t.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn sequences_and_movement_through_the_keymap() {
    let km = Keymap::load("default", None, false).unwrap();
    let mut m = loaded(40);
    press(&mut m, &km, "j j j");
    assert_eq!(m.queue.selected, 3);
    // `g` alone waits for the next key; `g g` goes to the top.
    press(&mut m, &km, "g");
    assert_eq!(m.pending_keys.len(), 1);
    press(&mut m, &km, "g");
    assert_eq!(m.queue.selected, 0);
    assert!(m.pending_keys.is_empty());
    press(&mut m, &km, "G");
    assert_eq!(m.queue.selected, 39);
    // An unknown second key drops the sequence and is tried alone: `g j` moves up... down.
    press(&mut m, &km, "g g g j");
    assert_eq!(m.queue.selected, 1);
}

#[test]
fn new_alerts_above_do_not_move_the_selection() {
    let mut m = loaded(40);
    action(&mut m, Action::Down, None);
    action(&mut m, Action::Down, None);
    let id = m.queue.selected_alert().unwrap().id.clone();
    let fx = super::refresh(&mut m);
    // The refresh asks where the selected alert is now.
    let anchor = fx.iter().find_map(|e| match e {
        Effect::Query(_, Query::Page { anchor, .. }) => anchor.clone(),
        _ => None,
    });
    assert_eq!(anchor, Some((id.clone(), 2)));
    // Five new alerts arrived on top: the same alert is now row 7, still selected, and the
    // screen scrolled with it.
    let mut rows = alerts(45);
    rows.rotate_right(5);
    let req = m.latest.page;
    reply(
        &mut m,
        Reply::Page {
            req,
            offset: 0,
            rows,
            total: 45,
            counted: true,
            anchor_at: Some(7),
        },
    );
    assert_eq!(m.queue.selected, 7);
    assert_eq!(m.queue.selected_id.as_deref(), Some(id.as_str()));
}

#[test]
fn stale_replies_are_dropped() {
    let mut m = loaded(10);
    let old = m.latest.page;
    super::refresh(&mut m);
    assert_ne!(m.latest.page, old);
    reply(
        &mut m,
        Reply::Page {
            req: old,
            offset: 0,
            rows: alerts(3),
            total: 3,
            counted: true,
            anchor_at: None,
        },
    );
    assert_eq!(
        m.queue.total, 10,
        "an older page does not overwrite the list"
    );
    reply(
        &mut m,
        Reply::Count {
            req: old,
            total: 99,
        },
    );
    assert_eq!(m.queue.total, 10);
}

#[test]
fn marks_then_visual_then_cursor_decide_the_targets() {
    let km = Keymap::load("default", None, false).unwrap();
    let mut m = loaded(10);
    press(&mut m, &km, "space space");
    let fx = press(&mut m, &km, "a");
    assert_eq!(writes(&fx), vec![(Op::Acknowledge, 2)]);
    assert!(m.queue.marks.is_empty(), "marks are used up");
    press(&mut m, &km, "v j j j");
    let fx = press(&mut m, &km, "M");
    assert_eq!(writes(&fx), vec![(Op::Assign(Some("ana".into())), 4)]);
    assert!(m.queue.visual_anchor.is_none());
    let fx = press(&mut m, &km, "U");
    assert_eq!(writes(&fx), vec![(Op::Assign(None), 1)]);
    // `.` repeats the last disposition (an unassign is one).
    let fx = press(&mut m, &km, "j .");
    assert_eq!(writes(&fx), vec![(Op::Assign(None), 1)]);
}

#[test]
fn verdict_needs_a_reason() {
    let km = Keymap::load("default", None, false).unwrap();
    let mut m = loaded(5);
    press(&mut m, &km, "x");
    assert!(matches!(m.popup, Some(Popup::Picker { .. })));
    press(&mut m, &km, "j enter");
    assert_eq!(
        m.input.as_ref().map(|i| i.purpose.clone()),
        Some(InputFor::VerdictReason(Verdict::FalsePositive))
    );
    let fx = press(&mut m, &km, "enter");
    assert!(writes(&fx).is_empty(), "no reason, no verdict");
    assert!(m.flash.as_ref().unwrap().error);
    for c in "dup".chars() {
        key(
            &mut m,
            &km,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    let fx = press(&mut m, &km, "enter");
    assert_eq!(
        writes(&fx),
        vec![(Op::Verdict(Verdict::FalsePositive, "dup".into()), 1)]
    );
}

#[test]
fn dangerous_actions_ask_and_readonly_refuses() {
    let km = Keymap::load("default", None, false).unwrap();
    let mut m = loaded(5);
    press(&mut m, &km, "!");
    let fx = press(&mut m, &km, "enter");
    assert!(writes(&fx).is_empty());
    assert!(matches!(m.popup, Some(Popup::Confirm { .. })));
    let fx = press(&mut m, &km, "esc");
    assert!(writes(&fx).is_empty() && m.popup.is_none());

    let mut ro = Model::new("ana", true, 50, Duration::from_secs(5));
    let fx = action(&mut ro, Action::Acknowledge, None);
    assert!(fx.is_empty());
    assert!(ro.flash.as_ref().unwrap().text.contains("read-only"));
    // The read-only keymap does not even bind it.
    let km = Keymap::load("default", None, true).unwrap();
    assert!(!km.is_bound(Action::Acknowledge));
}

#[test]
fn the_palette_runs_actions_with_arguments() {
    let km = Keymap::load("default", None, false).unwrap();
    let mut m = loaded(5);
    press(&mut m, &km, ":");
    for c in "sort host".chars() {
        key(
            &mut m,
            &km,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    let fx = press(&mut m, &km, "enter");
    assert_eq!(m.queue.sort, AlertSort::Host);
    assert!(fx.iter().any(|e| matches!(e, Effect::Query(_, Query::Page { filter, .. }) if filter.sort == AlertSort::Host)));
    // Completion lists actions that contain the text.
    press(&mut m, &km, ":");
    for c in "esca".chars() {
        key(
            &mut m,
            &km,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    assert_eq!(m.input.as_ref().unwrap().completions, vec!["escalate"]);
    press(&mut m, &km, "tab enter");
    assert!(matches!(
        m.input.as_ref().map(|i| &i.purpose),
        Some(InputFor::EscalateTitle)
    ));
}
