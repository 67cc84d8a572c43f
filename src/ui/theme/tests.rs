//! Tests of the theme loader: the shipped files, the good and bad corpora under
//! `tests/fixtures/themes/`, and the error messages.

use super::*;

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes");
    let mut out: Vec<_> = std::fs::read_dir(dir.join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(out.len() >= 3, "too few {kind} fixtures");
    out
}

fn colours(style: Style) -> impl Iterator<Item = Color> {
    [style.fg, style.bg, style.underline_color]
        .into_iter()
        .flatten()
}

fn err(themes: &[(&str, &str)]) -> String {
    Theme::from_texts(themes[0].0, themes)
        .unwrap_err()
        .to_string()
}

#[test]
fn shipped_themes_define_every_scope() {
    for name in shipped() {
        let theme = Theme::load(name, None).unwrap();
        assert_eq!(theme.name(), *name);
        for scope in SCOPES {
            assert!(theme.defines(scope), "{name} does not define {scope}");
        }
        let sel = theme.get("ui.selection");
        assert_ne!(
            sel,
            theme.get("ui.text"),
            "{name}: selection looks like text"
        );
        assert_ne!(
            theme.get("severity.info"),
            theme.get("severity.critical"),
            "{name}"
        );
    }
    let e = Theme::load("solarized", None).unwrap_err().to_string();
    assert!(
        e.contains("\"solarized\"") && e.contains("dark, light, ansi16, high-contrast"),
        "{e}"
    );
}

#[test]
fn ansi16_uses_only_the_named_colours() {
    let theme = Theme::load("ansi16", None).unwrap();
    let named: Vec<Color> = NAMED.iter().map(|(_, c)| *c).collect();
    for scope in SCOPES {
        for c in colours(theme.get(scope)) {
            assert!(named.contains(&c), "ansi16 {scope} uses {c:?}");
        }
    }
    assert!(
        theme
            .get("ui.selection")
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn high_contrast_avoids_greys() {
    let theme = Theme::load("high-contrast", None).unwrap();
    for scope in SCOPES {
        for c in colours(theme.get(scope)) {
            let grey = matches!(c, Color::Gray | Color::DarkGray | Color::Indexed(_))
                || matches!(c, Color::Rgb(r, g, b) if r == g && g == b && r != 0 && r != 255);
            assert!(!grey, "high-contrast {scope} uses {c:?}");
        }
    }
}

#[test]
fn styles_parse_and_fall_back_along_the_dots() {
    let text = "inherits = \"dark\"\n\"ui\" = { fg = 3, bg = \"#102030\" }\n\
                \"ui.text\" = { fg = \"accent\", underline = \"light-green\", modifiers = [\"bold\", \"crossed_out\"] }\n\
                \"severity.high\" = \"light-red\"\n[palette]\naccent = \"#ff00ff\"\n";
    let theme = Theme::from_texts("mine", &[("mine", text)]).unwrap();
    let want = Style::default()
        .fg(Color::Rgb(255, 0, 255))
        .underline_color(Color::LightGreen)
        .add_modifier(Modifier::BOLD | Modifier::CROSSED_OUT);
    assert_eq!(theme.get("ui.text"), want);
    assert_eq!(theme.get("ui.text.nowhere"), want);
    assert_eq!(
        theme.get("ui.nowhere"),
        Style::default()
            .fg(Color::Indexed(3))
            .bg(Color::Rgb(16, 32, 48))
    );
    assert_eq!(
        theme.get("severity.high"),
        Style::default().fg(Color::LightRed)
    );
    assert_eq!(theme.get("nowhere"), Style::default());
    // dark's palette redefines "red".
    assert_eq!(theme.get("priority.p1").fg, Some(Color::Rgb(255, 95, 95)));
    // Inherited from dark, untouched.
    let dark = Theme::load("dark", None).unwrap();
    assert_eq!(theme.get("status.closed"), dark.get("status.closed"));
    // ui.text.dim is defined by dark, so it does not fall back to mine's ui.text.
    assert_eq!(theme.get("ui.text.dim"), dark.get("ui.text.dim"));
}

#[test]
fn a_child_palette_recolours_the_parent() {
    let parent = "\"ui.title\" = \"accent\"\n[palette]\naccent = \"red\"\n";
    let child = "inherits = \"base\"\n[palette]\naccent = \"green\"\n";
    let theme = Theme::from_texts("child", &[("child", child), ("base", parent)]).unwrap();
    assert_eq!(theme.get("ui.title").fg, Some(Color::Green));
    let theme = Theme::from_texts("base", &[("child", child), ("base", parent)]).unwrap();
    assert_eq!(theme.get("ui.title").fg, Some(Color::Red));
}

#[test]
fn user_themes_win_and_may_extend_their_shipped_namesake() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    let dark = "inherits = \"dark\"\n\"ui.title\" = \"#010203\"\n";
    std::fs::write(dir.path().join("themes/dark.toml"), dark).unwrap();
    let theme = Theme::load("dark", Some(dir.path())).unwrap();
    assert_eq!(theme.get("ui.title").fg, Some(Color::Rgb(1, 2, 3)));
    assert_eq!(
        theme.get("ui.popup"),
        Theme::load("dark", None).unwrap().get("ui.popup")
    );
    let shipped = Theme::load("light", Some(dir.path())).unwrap();
    assert_eq!(
        shipped.get("ui.text"),
        Theme::load("light", None).unwrap().get("ui.text")
    );
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "\"ui.text\" = \"purpel\"\n",
    )
    .unwrap();
    let e = Theme::load("mine", Some(dir.path()))
        .unwrap_err()
        .to_string();
    let path = dir.path().join("themes/mine.toml");
    assert!(
        e.starts_with(&format!(
            "{}:1:13: unknown colour \"purpel\"",
            path.display()
        )),
        "{e}"
    );
    assert!(Theme::load("../mine", Some(dir.path())).is_err());
}

#[test]
fn errors_name_file_line_column_and_value() {
    let e = err(&[("mine", "# mine\n\n\n\"ui.text\" = { fg = \"purpel\" }\n")]);
    assert!(
        e.starts_with("themes/mine.toml:4:20: unknown colour \"purpel\""),
        "{e}"
    );
    let e = err(&[(
        "mine",
        "\"ui.text\" = { modifiers = [\"bold\", \"blink\"] }\n",
    )]);
    assert!(
        e.starts_with("themes/mine.toml:1:36: unknown modifier \"blink\""),
        "{e}"
    );
    let e = err(&[("mine", "\"ui.txt\" = \"red\"\n")]);
    assert_eq!(
        e,
        "themes/mine.toml:1:1: unknown scope \"ui.txt\" (did you mean \"ui.text\"?)"
    );
    let e = err(&[("mine", "\n\"ui.text\" = { colour = \"red\" }\n")]);
    assert!(
        e.starts_with("themes/mine.toml:2:15: unknown style field \"colour\""),
        "{e}"
    );
    let e = err(&[("mine", "inherits = \"drak\"\n")]);
    assert!(
        e.starts_with("themes/mine.toml:1:12: inherits unknown theme \"drak\""),
        "{e}"
    );
    let e = err(&[("a", "inherits = \"b\"\n"), ("b", "inherits = \"a\"\n")]);
    assert_eq!(
        e,
        "themes/b.toml:1:12: themes inherit in a cycle: a -> b -> a"
    );
    let e = err(&[("mine", "\"ui.text\" = 300\n")]);
    assert!(
        e.starts_with("themes/mine.toml:1:13: unknown colour \"300\""),
        "{e}"
    );
    let e = err(&[("mine", "\"ui.text\" = { fg = \"red\"\n")]);
    assert!(e.starts_with("themes/mine.toml:1:"), "{e}");
}

#[test]
fn corpus_good_themes_load() {
    let all = fixtures("good");
    let refs: Vec<(&str, &str)> = all.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    for (name, _) in &refs {
        let theme = Theme::from_texts(name, &refs);
        assert!(theme.is_ok(), "{name}: {}", theme.unwrap_err());
    }
}

#[test]
fn corpus_bad_themes_fail_with_the_expected_error() {
    let all = fixtures("bad");
    let refs: Vec<(&str, &str)> = all.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    for (name, text) in &refs {
        let first = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "));
        let expect = first.unwrap_or_else(|| panic!("{name}: first line must be `# expect: ...`"));
        let e = Theme::from_texts(name, &refs).err();
        let e = e.unwrap_or_else(|| panic!("{name} loaded")).to_string();
        assert!(e.starts_with("themes/"), "{name}: {e}");
        assert!(e.contains(expect), "{name}: {e:?} lacks {expect:?}");
    }
}
