//! Tests of the keymap loader: the shipped files, the good and bad corpora under
//! `tests/fixtures/keymaps/`, and the error messages.

use super::*;
use Condition::{Grouped, Marked, Visual};
use Pane::{Cases, Detail, Global, Queue};

const DEFAULT: &str = include_str!("../../../keymaps/default.toml");

/// The action name `keys` run, or "prefix" / "none".
fn look(map: &Keymap, pane: Pane, conditions: &[Condition], keys: &str) -> String {
    let keys = if keys.is_empty() {
        Vec::new()
    } else {
        keys::parse_sequence(keys).unwrap()
    };
    match map.lookup(pane, conditions, &keys) {
        Lookup::Action(a) => a.name().to_string(),
        Lookup::Prefix => "prefix".into(),
        Lookup::None => "none".into(),
    }
}

fn shipped_map(name: &str, readonly: bool) -> Keymap {
    Keymap::load(name, None, readonly).unwrap()
}

fn over_default(user: &str) -> Result<Keymap, KeymapError> {
    Keymap::from_layers(
        &[("keymaps/default.toml", DEFAULT), ("keymap.toml", user)],
        false,
    )
}

fn err(user: &str) -> String {
    over_default(user).unwrap_err().to_string()
}

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keymaps");
    let mut out: Vec<_> = std::fs::read_dir(dir.join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "too few {kind} fixtures");
    out
}

#[test]
fn shipped_keymaps_load_and_reach_every_action() {
    for name in shipped() {
        let map = shipped_map(name, false);
        for action in Action::ALL {
            assert!(map.is_bound(*action), "{name} does not bind {action}");
        }
    }
    let e = Keymap::load("vi", None, false).unwrap_err().to_string();
    assert!(e.contains("\"vi\"") && e.contains("default, emacs"), "{e}");
}

#[test]
fn readonly_unbinds_exactly_the_writing_actions() {
    for name in shipped() {
        let map = shipped_map(name, true);
        for action in Action::ALL {
            assert_eq!(map.is_bound(*action), !action.writes(), "{name}: {action}");
        }
    }
    let map = shipped_map("default", true);
    assert_eq!(look(&map, Queue, &[], "a"), "none");
    assert_eq!(look(&map, Queue, &[], "c"), "none");
    assert_eq!(look(&map, Queue, &[], "j"), "down");
}

#[test]
fn lookup_tries_conditions_then_pane_then_global() {
    let text = "[global]\n\"j\" = \"quit\"\n[global.marked]\n\"x\" = \"help\"\n\
                [queue]\n\"j\" = \"down\"\n[queue.visual]\n\"j\" = \"up\"\n\
                [queue.grouped]\n\"j\" = \"top\"\n";
    let map = Keymap::from_layers(&[("t.toml", text)], false).unwrap();
    assert_eq!(look(&map, Queue, &[Visual], "j"), "up");
    assert_eq!(look(&map, Queue, &[Grouped, Visual], "j"), "top");
    assert_eq!(look(&map, Queue, &[Visual, Grouped], "j"), "up");
    assert_eq!(look(&map, Queue, &[Marked], "j"), "down");
    assert_eq!(look(&map, Cases, &[], "j"), "quit");
    assert_eq!(look(&map, Global, &[], "j"), "quit");
    assert_eq!(look(&map, Cases, &[Marked], "x"), "help");
    assert_eq!(look(&map, Cases, &[], "x"), "none");
    assert_eq!(look(&map, Cases, &[], ""), "none");

    let map = shipped_map("default", false);
    assert_eq!(look(&map, Queue, &[], "enter"), "open");
    assert_eq!(look(&map, Queue, &[Grouped], "enter"), "toggle_group");
    assert_eq!(look(&map, Queue, &[Grouped], "l"), "drill");
    assert_eq!(look(&map, Queue, &[], "q"), "quit");
    assert_eq!(look(&map, Queue, &[Visual], "esc"), "visual");
    assert_eq!(look(&map, Queue, &[], "esc"), "cancel");
    // Text inputs: their own table only.
    let own = |keys: &str| map.lookup_own(Pane::Input, &keys::parse_sequence(keys).unwrap());
    assert_eq!(look(&map, Pane::Input, &[], "q"), "quit");
    assert_eq!(own("q"), Lookup::None);
    assert_eq!(own("esc"), Lookup::Action(Action::Cancel));
    assert_eq!(
        map.lookup_own(Queue, &keys::parse_sequence("g").unwrap()),
        Lookup::Prefix
    );
}

#[test]
fn sequences_wait_on_their_prefix() {
    let map = shipped_map("default", false);
    assert_eq!(look(&map, Queue, &[], "g"), "prefix");
    assert_eq!(look(&map, Queue, &[], "g g"), "top");
    assert_eq!(look(&map, Queue, &[], "g x"), "none");
    assert_eq!(look(&map, Detail, &[], "c"), "prefix");
    assert_eq!(look(&map, Detail, &[], "c f"), "verdict_false_positive");
    let emacs = shipped_map("emacs", false);
    assert_eq!(look(&emacs, Queue, &[], "ctrl-x"), "prefix");
    assert_eq!(look(&emacs, Queue, &[], "ctrl-x z"), "repeat_last");
    assert_eq!(look(&emacs, Queue, &[], "ctrl-x ctrl-c"), "quit");
    assert_eq!(look(&emacs, Queue, &[Grouped], "ctrl-x n n"), "drill");
}

#[test]
fn user_delta_rebinds_and_unbinds() {
    let map =
        over_default("[queue]\n\"J\" = \"down\"\n\"j\" = \"none\"\n[global]\n\"q\" = \"none\"\n");
    let map = map.unwrap();
    assert_eq!(look(&map, Queue, &[], "J"), "down");
    assert_eq!(look(&map, Queue, &[], "j"), "none");
    assert_eq!(look(&map, Queue, &[], "q"), "none");
    assert_eq!(look(&map, Queue, &[], "ctrl-c"), "quit");
    assert_eq!(map.keys_for(Queue, Action::Down), ["down", "J"]);
    // Unbinding the long sequence frees its prefix.
    let map = over_default("[queue]\n\"g g\" = \"none\"\n\"g\" = \"top\"\n").unwrap();
    assert_eq!(look(&map, Queue, &[], "g"), "top");
}

#[test]
fn load_reads_the_user_file_and_skips_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    let map = Keymap::load("default", Some(&path), false).unwrap();
    assert_eq!(look(&map, Queue, &[], "j"), "down");
    std::fs::write(&path, "[queue]\n\"j\" = \"launch\"\n").unwrap();
    let e = Keymap::load("default", Some(&path), false)
        .unwrap_err()
        .to_string();
    let want = format!("{}:2:7: unknown action \"launch\"", path.display());
    assert!(e.starts_with(&want), "{e}");
}

#[test]
fn errors_name_file_line_column_and_value() {
    let e = err("# mine\n[queue]\n\"j\" = \"dwon\"\n");
    assert_eq!(
        e,
        "keymap.toml:3:7: unknown action \"dwon\" (did you mean \"down\"?)"
    );
    let e = err("[queu]\n");
    assert!(
        e.starts_with("keymap.toml:1:2: unknown pane \"queu\" (did you mean \"queue\"?)"),
        "{e}"
    );
    let e = err("[queue.selected]\n");
    assert!(
        e.starts_with("keymap.toml:1:8: unknown condition \"selected\" in [queue] (conditions: visual, grouped, marked)"),
        "{e}"
    );
    let e = err("[queue]\n\"ctrl-foo\" = \"down\"\n");
    assert!(
        e.starts_with("keymap.toml:2:1: bad key \"ctrl-foo\": unknown key \"foo\""),
        "{e}"
    );
    let e = err("[queue]\n\"j\" = 3\n");
    assert!(
        e.starts_with("keymap.toml:2:7: the binding of \"j\" in [queue] must be"),
        "{e}"
    );
    assert!(e.ends_with("found an integer"), "{e}");
    let e = err("[queue]\n\"x\" = \"down\"\n\"g\" = \"top\"\n");
    let want = "keymap.toml:3:1: in [queue], \"g\" is a prefix of \"g g\" (keymaps/default.toml:";
    assert!(e.starts_with(want), "{e}");
    let e = err("[queue]\n\"G\" = \"top\"\n\"shift-g\" = \"bottom\"\n");
    assert!(
        e.starts_with("keymap.toml:3:1: \"G\" is bound twice in [queue] (also at keymap.toml:2:1)"),
        "{e}"
    );
    assert!(err("[queue\n").starts_with("keymap.toml:1:"));
}

#[test]
fn help_and_hint_helpers() {
    let map = shipped_map("default", false);
    let list = map.bindings(Queue);
    assert!(
        list.windows(2).all(|w| w[0].action <= w[1].action),
        "sorted as Action::ALL"
    );
    let keys = |a: Action| -> Vec<&str> {
        list.iter()
            .filter(|b| b.action == a)
            .map(|b| b.keys.as_str())
            .collect()
    };
    assert_eq!(keys(Action::Down), ["j", "down"]);
    assert_eq!(keys(Action::Top), ["g g", "home"]);
    assert!(
        list.iter()
            .any(|b| b.action == Action::Drill && b.condition == Some(Grouped))
    );
    assert!(
        keys(Action::Quit).is_empty(),
        "global bindings are not the pane's"
    );
    assert_eq!(map.first_key(Queue, Action::Down).as_deref(), Some("j"));
    assert_eq!(map.keys_for(Queue, Action::Quit), ["q", "ctrl-c"]);
    assert_eq!(map.keys_for(Queue, Action::ToggleGroup), ["enter"]);
    assert_eq!(map.first_key(Cases, Action::ToggleGroup), None);
    // A global key the pane binds otherwise is not offered there.
    let map = over_default("[detail]\n\"q\" = \"back\"\n").unwrap();
    assert_eq!(map.keys_for(Detail, Action::Quit), ["ctrl-c"]);
    assert_eq!(map.keys_for(Detail, Action::Back), ["h", "backspace", "q"]);
}

#[test]
fn corpus_good_deltas_load_over_every_shipped_keymap() {
    for (name, text) in fixtures("good") {
        for (base, base_text) in SHIPPED {
            let r = Keymap::from_layers(&[("base.toml", base_text), (&name, &text)], false);
            assert!(r.is_ok(), "{name} over {base}: {}", r.unwrap_err());
        }
    }
}

#[test]
fn corpus_bad_deltas_fail_with_the_expected_error() {
    for (name, text) in fixtures("bad") {
        let first = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "));
        let expect = first.unwrap_or_else(|| panic!("{name}: first line must be `# expect: ...`"));
        let layers = [
            ("keymaps/default.toml", DEFAULT),
            (name.as_str(), text.as_str()),
        ];
        let e = Keymap::from_layers(&layers, false).err();
        let e = e.unwrap_or_else(|| panic!("{name} loaded")).to_string();
        assert!(e.starts_with(&format!("{name}:")), "{name}: {e}");
        assert!(e.contains(expect), "{name}: {e:?} lacks {expect:?}");
    }
}
