//! A console on a test terminal: the real event loop, real store workers and the shipped
//! keymap and theme, driven by scripted keys. Each `keys` call returns once the console is idle
//! (every request answered), so the next assertion sees the settled state.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crossterm::event::{Event, KeyEvent, KeyEventKind, KeyEventState};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tocsin::store::{GroupRule, Store};
use tocsin::ui::keymap::Keymap;
use tocsin::ui::keys::parse_sequence;
use tocsin::ui::model::Model;
use tocsin::ui::msg::Reply;
use tocsin::ui::runtime::{self, LoopOptions, Parts};
use tocsin::ui::theme::Theme;
use tocsin::ui::worker::{WorkerConfig, Workers};

/// The demo incident ingested once (with Sigma detection) into a template database; each
/// test copies it, so tests do not share state.
pub fn demo_db() -> &'static Path {
    static DB: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DB.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tocsin.db");
        let mut store = Store::open(&path, Duration::from_secs(10)).expect("store");
        let mut opts = tocsin::ingest::Options {
            year: Some(2026),
            batch_size: 2_000,
            dedup_window: jiff::SignedDuration::from_hours(1),
            actor: "ingest".into(),
            timezone: jiff::tz::TimeZone::UTC,
            ..default_options()
        };
        opts.detector = Some(Arc::new(
            tocsin::detect::Detector::load(&tocsin::detect::Settings {
                rules: Vec::new(),
                builtin_rules: true,
                mapping: PathBuf::new(),
            })
            .expect("rules"),
        ));
        // Relative, so event sources read `data/demo/...` on every machine (tests run in the
        // package root).
        let demo = PathBuf::from("data/demo");
        let index = tocsin::index::TextIndex::open(&dir.path().join("index")).expect("index");
        opts.index = Some(Arc::new(std::sync::Mutex::new(
            index.writer(50_000_000).expect("index writer"),
        )));
        // Vectors from the lexical fallback: the same on every machine, model or not.
        let sink = tocsin::index::semantic::VectorSink::open(
            dir.path(),
            Arc::new(tocsin::embed::Embedder::hashing()),
        )
        .expect("vectors");
        opts.vectors = Some(Arc::new(std::sync::Mutex::new(sink)));
        tocsin::ingest::ingest_paths(&mut store, &[demo], &opts, &tocsin::ingest::Silent)
            .expect("ingest demo");
        opts.index = None;
        opts.vectors = None;
        drop(store);
        (dir, path)
    });
    path
}

fn default_options() -> tocsin::ingest::Options {
    let loaded = tocsin::config::load_with_env(
        &tocsin::config::Overrides {
            no_user_config: true,
            data_dir: Some(PathBuf::from("/nonexistent")),
            ..Default::default()
        },
        Vec::new(),
    )
    .expect("default config");
    tocsin::ingest::Options::from_config(&loaded)
}

/// A fixed "now" for drawing: an hour after the demo's last event.
pub fn fixed_now() -> jiff::Timestamp {
    "2026-11-21T12:00:00Z".parse().expect("time")
}

/// A copy of the demo database in a fresh temp dir.
pub struct Data {
    pub dir: tempfile::TempDir,
}

impl Data {
    pub fn demo() -> Data {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(demo_db(), dir.path().join("tocsin.db")).expect("copy db");
        for sub in ["index", "vectors"] {
            let from = demo_db().with_file_name(sub);
            let to = dir.path().join(sub);
            std::fs::create_dir_all(&to).expect("index dir");
            for f in std::fs::read_dir(&from).expect("read index") {
                let f = f.expect("index entry");
                if f.file_type().is_ok_and(|t| t.is_file())
                    && f.file_name() != ".tantivy-writer.lock"
                {
                    std::fs::copy(f.path(), to.join(f.file_name())).expect("copy index");
                }
            }
        }
        Data { dir }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("tocsin.db")
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db(), Duration::from_secs(10)).expect("store")
    }
}

/// One analyst's console.
pub struct Console {
    pub model: Model,
    pub terminal: Terminal<TestBackend>,
    keymap: Keymap,
    theme: Theme,
    workers: Workers,
    replies: tokio::sync::mpsc::Receiver<Reply>,
    rt: tokio::runtime::Runtime,
    pub opts: LoopOptions,
}

impl Console {
    pub fn open(data: &Data, actor: &str, width: u16, height: u16) -> Console {
        Console::with(data, actor, width, height, false, "dark")
    }

    pub fn with(
        data: &Data,
        actor: &str,
        width: u16,
        height: u16,
        readonly: bool,
        theme: &str,
    ) -> Console {
        let keymap = Keymap::load("default", None, readonly).expect("keymap");
        let theme = Theme::load(theme, None).expect("theme");
        let (tx, replies) = tokio::sync::mpsc::channel(256);
        let workers = Workers::spawn(
            WorkerConfig {
                database: data.db(),
                busy_timeout: Duration::from_secs(10),
                actor: actor.into(),
                group_rules: Arc::new(|_: &str, _: &str| GroupRule {
                    window: jiff::SignedDuration::from_hours(24),
                    by: vec!["host".into()],
                }),
                index_dir: data.dir.path().join("index"),
                vectors: tocsin::ui::worker::VectorsConfig {
                    data_dir: data.dir.path().to_path_buf(),
                    enabled: true,
                    // Nothing there: the lexical fallback the demo's vectors were made with.
                    model_dir: Some(data.dir.path().join("no-model")),
                },
            },
            tx,
        )
        .expect("workers");
        let model = Model::new(actor, readonly, 200, Duration::from_secs(60));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Console {
            model,
            terminal: Terminal::new(TestBackend::new(width, height)).expect("terminal"),
            keymap,
            theme,
            workers,
            replies,
            rt,
            opts: LoopOptions {
                poll: Duration::from_secs(3600),
                wait_idle: true,
                fixed_now: Some(fixed_now()),
            },
        }
    }

    /// Runs the real loop over `stream` until it ends (and, with `wait_idle`, every request is
    /// answered).
    fn drive<S>(&mut self, stream: S, wait_idle: bool)
    where
        S: futures_util::Stream<Item = std::io::Result<Event>> + Unpin,
    {
        let opts = LoopOptions {
            wait_idle,
            ..self.opts.clone()
        };
        let parts = Parts {
            keymap: &self.keymap,
            theme: &self.theme,
            workers: &self.workers,
            replies: &mut self.replies,
        };
        self.rt
            .block_on(runtime::run(
                &mut self.terminal,
                &mut self.model,
                parts,
                stream,
                &opts,
                &mut |_| Ok(()),
                &mut |_, _| {},
            ))
            .expect("console loop");
    }

    /// Runs the loop over these events until they are used up and the console is idle.
    pub fn events(&mut self, events: Vec<Event>) {
        self.drive(futures_util::stream::iter(events.into_iter().map(Ok)), true);
        // One more pass so that a reply to the last key is drawn.
        self.drive(futures_util::stream::iter(Vec::new()), true);
    }

    /// Presses keys in keymap notation, separated by spaces (`j j enter`, `g g`, `ctrl-d`).
    pub fn keys(&mut self, notation: &str) {
        let mut events = Vec::new();
        if !notation.trim().is_empty() {
            for chord in parse_sequence_long(notation) {
                events.push(Event::Key(KeyEvent {
                    code: chord.code,
                    modifiers: chord.mods,
                    kind: KeyEventKind::Press,
                    state: KeyEventState::NONE,
                }));
            }
        }
        self.events(events);
    }

    /// Types text into whatever input is open.
    pub fn type_text(&mut self, text: &str) {
        let events = text
            .chars()
            .map(|c| {
                Event::Key(KeyEvent::new(
                    crossterm::event::KeyCode::Char(c),
                    if c.is_ascii_uppercase() {
                        crossterm::event::KeyModifiers::SHIFT
                    } else {
                        crossterm::event::KeyModifiers::NONE
                    },
                ))
            })
            .collect();
        self.events(events);
    }

    /// Waits this long with the loop running (polls see other consoles' changes).
    pub fn idle_for(&mut self, d: Duration) {
        let stream = futures_util::stream::once(async move {
            tokio::time::sleep(d).await;
            Ok(Event::FocusGained)
        });
        self.drive(Box::pin(stream), false);
        self.keys("");
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            let mut line = String::new();
            for x in 0..buf.area.width {
                line.push_str(buf[(x, y)].symbol());
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn flash(&self) -> String {
        self.model
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }
}

/// `parse_sequence` takes up to three chords; scripts are longer.
fn parse_sequence_long(notation: &str) -> Vec<tocsin::ui::keys::KeyChord> {
    notation
        .split(' ')
        .filter(|s| !s.is_empty())
        .flat_map(|one| parse_sequence(one).unwrap_or_else(|e| panic!("key `{one}`: {e}")))
        .collect()
}
