//! The console end to end on the demo incident: scripted keys through the real event loop and
//! store workers, snapshots of the rendered screen at 80x24 and 200x50, and the store state the
//! keys leave behind.

mod harness;

use std::time::Duration;

use harness::{Console, Data};
use tocsin::domain::{AlertStatus, CaseStatus, Verdict};
use tocsin::store::{AlertFilter, CaseFilter};

fn open_alerts(data: &Data) -> i64 {
    data.store()
        .count_alerts(&AlertFilter {
            statuses: tocsin::ui::filter::OPEN.to_vec(),
            ..AlertFilter::default()
        })
        .unwrap()
}

/// Cases are made now, so their times change with every run: replace them on screen.
fn redact_case_times(data: &Data, screen: String) -> String {
    let store = data.store();
    let mut out = screen;
    for case in store
        .cases(&CaseFilter {
            limit: 100,
            ..CaseFilter::default()
        })
        .unwrap()
    {
        let detail = store.case(&case.id).unwrap();
        let mut times = vec![case.created_at, case.updated_at];
        times.extend(detail.activities.iter().map(|a| a.at));
        for t in times {
            out = out.replace(&t.strftime("%m-%d %H:%M").to_string(), "MM-DD hh:mm");
        }
    }
    out
}

#[test]
fn queue_at_80x24_and_200x50() {
    let data = Data::demo();
    let mut small = Console::open(&data, "ana", 80, 24);
    small.keys("");
    let total = open_alerts(&data);
    assert!(total > 10, "the demo raises alerts ({total})");
    assert_eq!(small.model.queue.total, total);
    assert!(small.screen().contains(&format!("{total} alerts")));
    insta::assert_snapshot!("queue_80x24", small.screen());

    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("");
    // Side by side: the detail of the selected alert is shown next to the queue.
    assert!(wide.model.detail.is_some());
    insta::assert_snapshot!("queue_200x50", wide.screen());
}

#[test]
fn detail_sections_and_back() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("enter");
    let screen = c.screen();
    assert!(screen.contains("[Overview]"), "{screen}");
    assert!(screen.contains("Entities"));
    insta::assert_snapshot!("detail_80x24", screen);
    c.keys("]");
    assert!(c.screen().contains("[Events]"));
    assert!(c.screen().contains("──"), "raw events are listed");
    c.keys("]");
    assert!(c.screen().contains("[History]"));
    assert!(c.screen().contains("alert.create") || c.screen().contains("created"));
    c.keys("h");
    assert!(c.model.detail.is_none(), "back to the queue at 80x24");

    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("j enter ]");
    insta::assert_snapshot!("detail_events_200x50", wide.screen());
}

#[test]
fn help_and_palette_are_generated_from_the_keymap() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("?");
    let help = c.screen();
    assert!(help.contains("queue keys"), "{help}");
    assert!(help.contains("down"));
    insta::assert_snapshot!("help_80x24", help);
    c.keys("ctrl-d ctrl-d");
    assert!(c.screen().contains("acknowledge"), "{}", c.screen());
    c.keys("esc :");
    c.type_text("ver");
    let palette = c.screen();
    assert!(palette.contains("verdict_true_positive"));
    insta::assert_snapshot!("palette_80x24", palette);
    c.keys("esc");
    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("?");
    insta::assert_snapshot!("help_200x50", wide.screen());
    wide.keys("esc :");
    wide.type_text("ver");
    insta::assert_snapshot!("palette_200x50", wide.screen());
}

#[test]
fn triage_by_keys_changes_the_store() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("");
    let first = c.model.queue.selected_alert().unwrap().clone();
    // Acknowledge, take it, then close the next one as a false positive with a reason.
    c.keys("a");
    c.keys("M");
    let a = data.store().alert(&first.id).unwrap();
    assert_eq!(a.status, AlertStatus::Acknowledged);
    assert_eq!(a.assignee.as_deref(), Some("ana"));
    let second = c.model.queue.alert_at(1).unwrap().clone();
    c.keys("j x j enter");
    c.type_text("scanner on the allow list");
    c.keys("enter");
    let b = data.store().alert(&second.id).unwrap();
    assert_eq!(b.verdict, Some(Verdict::FalsePositive));
    assert_eq!(
        b.verdict_reason.as_deref(),
        Some("scanner on the allow list")
    );
    assert_eq!(b.status, AlertStatus::Closed);
    // Each change is in the audit log under the analyst's name.
    let history = data.store().audit_for("alert", &second.id).unwrap();
    assert!(history.iter().any(|e| e.actor == "ana"));
    // `.` repeats the last disposition (the verdict) on the alert now under the cursor.
    let third = c.model.queue.selected_alert().unwrap().clone();
    c.keys(".");
    let t = data.store().alert(&third.id).unwrap();
    assert_eq!(t.verdict, Some(Verdict::FalsePositive), "{}", c.flash());
}

#[test]
fn bulk_select_escalate_note_and_close_a_case() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("");
    let ids: Vec<String> = (0..2)
        .map(|i| c.model.queue.alert_at(i).unwrap().id.clone())
        .collect();
    // Mark two alerts, escalate them to a new case with a title.
    c.keys("space space");
    assert_eq!(c.model.queue.marks.len(), 2);
    c.keys("e");
    c.type_text("Brute force on bastion");
    c.keys("enter");
    let store = data.store();
    let a = store.alert(&ids[0]).unwrap();
    let b = store.alert(&ids[1]).unwrap();
    let case_id = a.case_id.clone().expect("escalated into a case");
    assert_eq!(b.case_id.as_deref(), Some(case_id.as_str()));
    assert_eq!(a.status, AlertStatus::Escalated);
    assert!(c.model.queue.marks.is_empty());
    // Open it from the cases tab, write a note, close it.
    c.keys("2");
    assert!(c.screen().contains(&case_id), "{}", c.screen());
    insta::assert_snapshot!("cases_80x24", redact_case_times(&data, c.screen()));
    c.keys("enter i");
    c.type_text("password reused from the CI vault");
    c.keys("ctrl-s");
    let detail = data.store().case(&case_id).unwrap();
    assert!(
        detail
            .activities
            .iter()
            .any(|x| x.body.contains("password reused"))
    );
    insta::assert_snapshot!("case_80x24", redact_case_times(&data, c.screen()));
    c.keys("C");
    c.type_text("host rebuilt");
    c.keys("enter");
    insta::assert_snapshot!("confirm_close_80x24", redact_case_times(&data, c.screen()));
    c.keys("enter");
    let closed = data.store().case(&case_id).unwrap();
    assert_eq!(closed.case.status, CaseStatus::Closed);

    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("2 f");
    insta::assert_snapshot!("cases_200x50", redact_case_times(&data, wide.screen()));
}

#[test]
fn filter_group_and_drill() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("/");
    c.keys("ctrl-u");
    c.type_text("sev:high");
    c.keys("enter");
    let high = data
        .store()
        .count_alerts(&tocsin::ui::filter::parse("sev:high", "ana").unwrap())
        .unwrap();
    assert_eq!(c.model.queue.total, high);
    // Group by host: rows are hosts with counts; expand the first, then drill into it.
    c.keys("z");
    c.keys("j j enter");
    assert!(c.model.queue.group_by.is_some(), "{}", c.screen());
    assert!(c.screen().contains("groups"));
    c.keys("enter");
    assert_eq!(c.model.queue.expanded.len(), 1);
    insta::assert_snapshot!("grouped_80x24", c.screen());
    c.keys("l");
    assert!(c.model.queue.group_by.is_none());
    assert!(c.model.queue.drill.is_some());
    assert!(c.model.queue.total > 0 && c.model.queue.total <= high);
}

#[test]
fn suppress_asks_first() {
    let data = Data::demo();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("");
    let before = open_alerts(&data);
    c.keys("!");
    c.keys("enter");
    insta::assert_snapshot!("confirm_suppress_80x24", c.screen());
    c.keys("esc");
    assert_eq!(open_alerts(&data), before, "cancelled: nothing suppressed");
    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("! enter");
    insta::assert_snapshot!("confirm_suppress_200x50", wide.screen());
    c.keys("! enter y");
    assert!(open_alerts(&data) < before, "{}", c.flash());
    assert!(!data.store().suppressions(true).unwrap().is_empty());
}

#[test]
fn readonly_unbinds_changes() {
    let data = Data::demo();
    let mut c = Console::with(&data, "ana", 80, 24, true, "dark");
    c.keys("");
    let first = c.model.queue.selected_alert().unwrap().clone();
    c.keys("a x e");
    let a = data.store().alert(&first.id).unwrap();
    assert_eq!(a.status, first.status);
    assert!(c.model.popup.is_none() && c.model.input.is_none());
    c.keys("?");
    assert!(c.screen().contains("read-only"));
}

#[test]
fn two_analysts_see_each_other_and_conflicts_are_caught() {
    let data = Data::demo();
    let mut ana = Console::open(&data, "ana", 80, 24);
    let mut bob = Console::open(&data, "bob", 80, 24);
    ana.keys("");
    bob.keys("");
    let id = ana.model.queue.selected_alert().unwrap().id.clone();
    assert_eq!(bob.model.queue.selected_alert().unwrap().id, id);
    // Ana acknowledges; Bob, who has not reloaded, closes it as benign: refused, told.
    ana.keys("a");
    bob.keys("x j j enter");
    bob.type_text("lab host");
    bob.keys("enter");
    let a = data.store().alert(&id).unwrap();
    assert_eq!(a.status, AlertStatus::Acknowledged, "ana's change stands");
    assert!(a.verdict.is_none());
    assert!(
        bob.flash().contains("ana"),
        "bob is told who: {}",
        bob.flash()
    );
    // Within a second, a polling console sees the other's change.
    ana.keys("j M");
    let second = ana.model.queue.alert_at(1).unwrap().id.clone();
    bob.opts.poll = Duration::from_millis(200);
    bob.idle_for(Duration::from_millis(900));
    let seen = bob
        .model
        .queue
        .rows
        .iter()
        .find(|r| r.id == second)
        .and_then(|r| r.assignee.clone());
    assert_eq!(seen.as_deref(), Some("ana"));
}

#[test]
fn every_theme_draws_the_queue() {
    let data = Data::demo();
    for theme in tocsin::ui::theme::shipped() {
        let mut c = Console::with(&data, "ana", 80, 24, false, theme);
        c.keys("");
        assert!(c.screen().contains("Queue"), "{theme}");
    }
    // The 16-colour theme uses no RGB colour anywhere on screen.
    let mut c = Console::with(&data, "ana", 80, 24, false, "ansi16");
    c.keys("? ");
    let buf = c.terminal.backend().buffer();
    for cell in buf.content() {
        for colour in [cell.fg, cell.bg] {
            assert!(
                !matches!(
                    colour,
                    ratatui::style::Color::Rgb(..) | ratatui::style::Color::Indexed(_)
                ),
                "ansi16 drew {colour:?}"
            );
        }
    }
}

#[test]
fn attack_matrix_shows_the_techniques_and_lists_their_alerts() {
    let data = Data::demo();
    let counts = data
        .store()
        .technique_counts(&tocsin::ui::filter::parse(tocsin::ui::filter::DEFAULT, "ana").unwrap())
        .unwrap();
    assert!(counts.len() >= 3, "the demo's alerts name techniques");
    let catalogue = tocsin::attack::Catalogue::get();
    let mut c = Console::open(&data, "ana", 80, 24);
    c.keys("3");
    let x = &c.model.matrix;
    assert!(x.loaded, "{}", c.screen());
    assert_eq!(c.model.pane(), tocsin::ui::Pane::Matrix);
    assert!(x.columns.len() >= catalogue.tactics.len());
    assert_eq!(x.techniques, counts.len());
    // Every technique the store counts is a cell, under each of its tactics, with its count.
    for tc in &counts {
        let tactics = catalogue
            .technique(&tc.technique)
            .map(|t| t.tactics.clone())
            .unwrap_or_else(|| vec!["other".into()]);
        for tactic in &tactics {
            let col = x
                .columns
                .iter()
                .find(|col| &col.shortname == tactic)
                .unwrap();
            let cell = col.cells.iter().find(|cell| cell.technique == tc.technique);
            let cell = cell.unwrap_or_else(|| panic!("{} not under {tactic}", tc.technique));
            assert_eq!((cell.alerts, cell.events), (tc.alerts, tc.events));
        }
    }
    // The selection starts on the first tactic that has any.
    let first = x
        .columns
        .iter()
        .position(|col| !col.cells.is_empty())
        .unwrap();
    assert_eq!((x.col, x.row), (first, 0));
    let screen = c.screen();
    assert!(screen.contains("ATT&CK v18.1"), "{screen}");
    assert!(
        screen.contains(&x.columns[first].cells[0].technique),
        "{screen}"
    );
    insta::assert_snapshot!("matrix_80x24", screen);

    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("3");
    insta::assert_snapshot!("matrix_200x50", wide.screen());

    // Right to the next tactic with two techniques or more, down one, and list its alerts.
    let target = x
        .columns
        .iter()
        .enumerate()
        .skip(first + 1)
        .find(|(_, col)| col.cells.len() >= 2)
        .map(|(k, _)| k)
        .expect("a second busy tactic");
    let id = x.columns[target].cells[1].technique.clone();
    c.keys(&"l ".repeat(target - first));
    assert_eq!(c.model.matrix.col, target);
    c.keys("j");
    assert_eq!(c.model.matrix.selected().unwrap().technique, id);
    c.keys("enter");
    assert_eq!(c.model.tab, tocsin::ui::model::Tab::Queue);
    let filter = c.model.queue.filter_text.clone();
    assert!(filter.contains(&format!("tech:{id}")), "{filter}");
    assert!(filter.contains(tocsin::ui::filter::DEFAULT), "{filter}");
    let want = data
        .store()
        .count_alerts(&tocsin::ui::filter::parse(&filter, "ana").unwrap())
        .unwrap();
    assert!(want > 0);
    assert_eq!(c.model.queue.total, want);
    assert!(c.flash().contains(&id), "{}", c.flash());
    // Back on the matrix (now for that technique's alerts), the cell is still selected; at
    // the edges, moves stop.
    c.keys("3");
    assert!(c.model.matrix.techniques <= counts.len());
    assert_eq!(c.model.matrix.col, target);
    assert_eq!(c.model.matrix.selected().unwrap().technique, id);
    c.keys("k k k h");
    assert_eq!((c.model.matrix.col, c.model.matrix.row), (target - 1, 0));
}

#[test]
fn hunt_searches_every_event_and_pivots() {
    let data = Data::demo();
    let index = tocsin::index::TextIndex::open(&data.dir.path().join("index")).unwrap();
    let expected = index.count("\"Failed password\"").unwrap();
    assert!(expected > 0, "the demo has failed logins");
    let mut c = Console::open(&data, "ana", 80, 24);
    // The hunt tab opens on its query line.
    c.keys("4");
    assert!(c.model.input.is_some());
    c.type_text("\"Failed password\"");
    c.keys("enter");
    assert_eq!(c.model.hunt.count, expected);
    assert!(!c.model.hunt.hits.is_empty());
    insta::assert_snapshot!("hunt_80x24", c.screen());
    // The raw record of the newest hit.
    c.keys("enter");
    let (id, lines) = c.model.hunt.event.clone().expect("event open");
    assert_eq!(id, c.model.hunt.hits[0].id);
    assert!(lines.iter().any(|l| l.contains("Failed password")));
    c.keys("h");
    // Pivot: a new hunt for the event's host, then the failed logins added back to it.
    let host = c.model.hunt.hits[0]
        .host
        .clone()
        .expect("sshd lines name a host");
    c.keys("p enter");
    assert_eq!(c.model.hunt.shown, format!("host:{host}"));
    let on_host = index.count(&format!("host:{host}")).unwrap();
    assert_eq!(c.model.hunt.count, on_host);
    c.keys("g g P j j j");
    c.keys("enter");
    assert!(c.model.hunt.shown.starts_with(&format!("host:{host} AND ")));
    // A bad query says where it is wrong.
    c.keys("/ ctrl-u");
    c.type_text("hots:x");
    c.keys("enter");
    assert!(
        c.model
            .hunt
            .error
            .as_deref()
            .unwrap_or("")
            .contains("hots:x")
    );

    let mut wide = Console::open(&data, "ana", 200, 50);
    wide.keys("4");
    wide.type_text("\"Failed password\"");
    wide.keys("enter enter");
    insta::assert_snapshot!("hunt_200x50", wide.screen());
}

#[test]
fn more_like_this_in_the_queue_and_the_hunt() {
    let data = Data::demo();
    let total = data.store().count_alerts(&Default::default()).unwrap();
    let mut c = Console::open(&data, "ana", 200, 50);
    c.keys("");
    let first = c.model.queue.selected_alert().unwrap().clone();
    // `m`: the queue becomes the alert and its nearest neighbours, whatever their status.
    c.keys("m");
    let short = tocsin::domain::short_id(&first.id).to_string();
    assert_eq!(
        c.model.queue.filter_text,
        format!("status:all like:{short}")
    );
    assert_eq!(c.model.queue.filter_error, None, "{}", c.flash());
    let shown = c.model.queue.total;
    let want = total.min(1 + tocsin::ui::worker::LIKE_LIMIT as i64);
    assert_eq!(shown, want, "{}", c.screen());
    assert!(
        (0..shown as usize).any(|i| c.model.queue.alert_at(i).is_some_and(|a| a.id == first.id)),
        "the alert itself is in its own neighbourhood"
    );
    // In the hunt, `m` on an event hunts for the events of the nearest log templates.
    c.keys("4");
    c.type_text("\"Failed password\"");
    c.keys("enter");
    let event = c.model.hunt.hits[0].clone();
    c.keys("m");
    assert_eq!(
        c.model.hunt.shown,
        format!("like:{}", tocsin::domain::short_id(&event.id))
    );
    assert_eq!(c.model.hunt.error, None);
    assert!(c.model.hunt.count > 0);
    // The embedder is named: here the lexical fallback (no model in the test data dir).
    let by = c
        .model
        .hunt
        .embedder
        .clone()
        .expect("a semantic query names its embedder");
    assert!(by.contains("hashing"), "{by}");
    assert!(c.screen().contains("by meaning"), "{}", c.screen());
    // The nearest template is the event's own, so its siblings come first.
    assert_eq!(c.model.hunt.hits[0].template, event.template);
}
