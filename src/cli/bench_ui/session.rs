//! The console under `tocsin bench ui`: a sink terminal, the loop runs that the measures drive.

use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell as BufCell;
use ratatui::layout::{Position, Size};
use serde::Serialize;
use tokio::runtime::Runtime;
use tokio::sync::mpsc::Receiver;

use super::{Rss, UiArgs};
use crate::cli::Env;
use crate::ui::keymap::Keymap;
use crate::ui::keys::parse_sequence;
use crate::ui::model::Model;
use crate::ui::msg::Reply;
use crate::ui::runtime::{self, LoopOptions, Parts};
use crate::ui::theme::Theme;
use crate::ui::view::{self, Ctx};
use crate::ui::worker::{GroupRules, WorkerConfig, Workers};

/// How long a console may take to show its queue before the bench gives up.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Everything a console needs, from the configuration and the store's path.
pub(super) struct Setup {
    database: PathBuf,
    busy_timeout: Duration,
    actor: String,
    group_rules: GroupRules,
    page_size: usize,
    flash_for: Duration,
    pub(super) poll: Duration,
    pub(super) width: u16,
    pub(super) height: u16,
}

impl Setup {
    pub(super) fn new(env: &Env, database: PathBuf, args: &UiArgs) -> Setup {
        let ui = &env.loaded.config.ui;
        let rules_from = Arc::new(env.loaded.clone());
        Setup {
            database,
            busy_timeout: Duration::from_millis(env.loaded.config.store.busy_timeout_ms),
            actor: env.actor().to_string(),
            group_rules: Arc::new(move |id: &str, name: &str| rules_from.group_rule(id, name)),
            page_size: ui.page_size,
            flash_for: Duration::from_millis(ui.flash_ms),
            poll: Duration::from_millis(ui.poll_ms.max(50)),
            width: args.width.max(20),
            height: args.height.max(10),
        }
    }
}

/// A crossterm backend writing escape sequences to nowhere at a fixed size: crossterm would ask
/// the tty for its size and cursor, and a benchmark has no tty.
struct SinkBackend {
    inner: CrosstermBackend<io::Sink>,
    size: Size,
    cursor: Position,
}

impl SinkBackend {
    fn new(width: u16, height: u16) -> SinkBackend {
        SinkBackend {
            inner: CrosstermBackend::new(io::sink()),
            size: Size { width, height },
            cursor: Position::ORIGIN,
        }
    }
}

impl Backend for SinkBackend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a BufCell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        self.cursor = p;
        self.inner.set_cursor_position(p)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size {
                width: 0,
                height: 0,
            },
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// One console: what `tocsin` with no subcommand holds.
pub(super) struct Session {
    keymap: Keymap,
    theme: Theme,
    workers: Workers,
    replies: Receiver<Reply>,
    model: Model,
    terminal: Terminal<SinkBackend>,
}

fn open_session(setup: &Setup) -> anyhow::Result<Session> {
    let keymap = Keymap::load("default", None, false)?;
    let theme = Theme::load("dark", None)?;
    let (tx, replies) = tokio::sync::mpsc::channel(256);
    let workers = Workers::spawn(
        WorkerConfig {
            database: setup.database.clone(),
            busy_timeout: setup.busy_timeout,
            actor: setup.actor.clone(),
            group_rules: Arc::clone(&setup.group_rules),
            index_dir: setup.database.with_file_name("index"),
            vectors: Default::default(),
        },
        tx,
    )?;
    let model = Model::new(&setup.actor, false, setup.page_size, setup.flash_for);
    let terminal = Terminal::new(SinkBackend::new(setup.width, setup.height))?;
    Ok(Session {
        keymap,
        theme,
        workers,
        replies,
        model,
        terminal,
    })
}

fn run_loop<S>(
    rt: &Runtime,
    s: &mut Session,
    events: S,
    opts: &LoopOptions,
    on_frame: &mut dyn FnMut(&Model, Duration),
) -> anyhow::Result<()>
where
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let Session {
        keymap,
        theme,
        workers,
        replies,
        model,
        terminal,
    } = s;
    rt.block_on(runtime::run(
        terminal,
        model,
        Parts {
            keymap,
            theme,
            workers,
            replies,
        },
        events,
        opts,
        &mut |_| Ok(()),
        on_frame,
    ))
    .context("the console loop")
}

/// Runs the loop with no keys until every request is answered.
pub(super) fn settle(rt: &Runtime, s: &mut Session, poll: Duration) -> anyhow::Result<()> {
    let opts = LoopOptions {
        poll,
        wait_idle: true,
        fixed_now: None,
    };
    let none = futures_util::stream::iter(Vec::<io::Result<Event>>::new());
    run_loop(rt, s, none, &opts, &mut |_, _| {})
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent {
        code,
        modifiers,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

/// From just before the keymap, theme and workers are loaded to the first frame that shows the
/// queue; the console is then quit with `q` and handed back for further use.
pub(super) fn first_frame(rt: &Runtime, setup: &Setup) -> anyhow::Result<(Duration, Session)> {
    let start = Instant::now();
    let mut s = open_session(setup)?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut tx = Some(tx);
    let mut first = None;
    let quit = futures_util::stream::once(async move {
        let _ = tokio::time::timeout(LOAD_TIMEOUT, rx).await;
        Ok(key(KeyCode::Char('q'), KeyModifiers::NONE))
    });
    let opts = LoopOptions {
        poll: setup.poll,
        wait_idle: false,
        fixed_now: None,
    };
    run_loop(rt, &mut s, Box::pin(quit), &opts, &mut |m, _| {
        if first.is_none() && m.queue.loaded {
            first = Some(start.elapsed());
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        }
    })?;
    let first = first
        .with_context(|| format!("the queue did not load within {} s", LOAD_TIMEOUT.as_secs()))?;
    s.model.quit = false;
    Ok((first, s))
}

/// Draws the settled console `n` times, the selection alternating between two rows.
pub(super) fn draw_microbench(s: &mut Session, n: usize) -> anyhow::Result<Vec<Duration>> {
    let rows = s.model.queue.rows.len().max(1);
    let (a, b) = (
        s.model.queue.window_start,
        s.model.queue.window_start + (rows > 1) as usize,
    );
    let cx = Ctx {
        keymap: &s.keymap,
        theme: &s.theme,
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        s.model.queue.selected = if i % 2 == 0 { a } else { b };
        let model = &s.model;
        let t = Instant::now();
        s.terminal.draw(|f| view::draw(f, model, &cx))?;
        out.push(t.elapsed());
    }
    s.model.queue.selected = a;
    Ok(out)
}

/// One cycle of the analyst's keys (default keymap): each step's name, then its keys; `Type` is
/// text typed into an input.
enum Step {
    Keys(&'static str, &'static str),
    Type(&'static str, &'static str),
}

const CYCLE: &[Step] = &[
    Step::Keys("scroll", "j j j j j j j j j j j j j j j j j j j j"),
    Step::Keys("half pages", "ctrl-d ctrl-d ctrl-d ctrl-u"),
    Step::Keys("scroll", "j j j j j j j j j j k k k k k"),
    // Open the detail, walk its sections, back to the list.
    Step::Keys("detail", "enter ] ] j j [ h"),
    Step::Keys("jump to ends", "G k k k g g"),
    // Filter to high and above.
    Step::Keys("open filter", "/ ctrl-u"),
    Step::Type("type filter", "sev:high status:open"),
    Step::Keys("apply filter", "enter"),
    Step::Keys("filtered", "j j j j j j j j j j ctrl-d enter ] h"),
    Step::Keys("clear filter", "F"),
    // Group by host (picker: none, rule, host, ...), expand one, back to no grouping.
    Step::Keys(
        "group by host",
        "z j j enter j j j j j enter j j j k k k enter",
    ),
    Step::Keys("ungroup", "z g g enter"),
    Step::Keys("sort", "S S ctrl-f ctrl-b"),
];

/// One scripted key: its event, its notation (`char` for typed text) and its step's name.
#[derive(Debug, Clone)]
pub(super) struct Press {
    event: Event,
    key: String,
    step: &'static str,
}

/// One cycle of the script as key events.
pub(super) fn cycle() -> anyhow::Result<Vec<Press>> {
    let mut cycle = Vec::new();
    for step in CYCLE {
        match *step {
            Step::Keys(name, notation) => {
                for one in notation.split(' ').filter(|s| !s.is_empty()) {
                    for chord in parse_sequence(one).with_context(|| format!("key `{one}`"))? {
                        cycle.push(Press {
                            event: key(chord.code, chord.mods),
                            key: one.to_string(),
                            step: name,
                        });
                    }
                }
            }
            Step::Type(name, text) => cycle.extend(text.chars().map(|c| Press {
                event: key(KeyCode::Char(c), KeyModifiers::NONE),
                key: "char".to_string(),
                step: name,
            })),
        }
    }
    Ok(cycle)
}

/// `n` key events: the cycle repeated and cut at `n`.
pub(super) fn script(n: usize) -> anyhow::Result<Vec<Press>> {
    Ok(cycle()?.iter().cycle().take(n).cloned().collect())
}

/// One scripted key's latencies from the moment it was handed over: to the first frame drawn
/// after it (`paint`: its effect shown, replies may still be due) and to the first frame drawn
/// with nothing in flight (`settled`: every store reply in). `None`: no such frame came before
/// the next key.
#[derive(Debug, Clone)]
pub(super) struct KeyTiming {
    pub(super) key: String,
    pub(super) step: &'static str,
    pub(super) paint: Option<Duration>,
    pub(super) settled: Option<Duration>,
}

pub(super) struct Scripted {
    pub(super) frames: Vec<Duration>,
    /// One per key handed over, in order.
    pub(super) keys: Vec<KeyTiming>,
    /// Whether some frame showed an open detail, a grouped queue, a typed filter.
    pub(super) seen: Seen,
    pub(super) session: Session,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(super) struct Seen {
    pub(super) detail: bool,
    pub(super) grouped: bool,
    pub(super) filtered: bool,
}

/// A fresh console driven by `presses`, each handed over only when the previous one's requests
/// are answered (`wait_idle`): every frame's draw time, and each key's paint and settled
/// latencies (see [`KeyTiming`]).
pub(super) fn scripted_run(
    rt: &Runtime,
    setup: &Setup,
    presses: Vec<Press>,
) -> anyhow::Result<Scripted> {
    let mut s = open_session(setup)?;
    let mut keys: Vec<KeyTiming> = presses
        .iter()
        .map(|p| KeyTiming {
            key: p.key.clone(),
            step: p.step,
            paint: None,
            settled: None,
        })
        .collect();
    let handed: Rc<Cell<Option<(usize, Instant)>>> = Rc::default();
    let stamp = Rc::clone(&handed);
    let events = futures_util::stream::iter(presses.into_iter().enumerate()).map(move |(i, p)| {
        stamp.set(Some((i, Instant::now())));
        Ok(p.event)
    });
    let opts = LoopOptions {
        poll: setup.poll,
        wait_idle: true,
        fixed_now: None,
    };
    let mut frames = Vec::new();
    let mut seen = Seen::default();
    let mut on_frame = |m: &Model, d: Duration| {
        frames.push(d);
        seen.detail |= m.detail.as_ref().is_some_and(|d| d.data.is_some());
        seen.grouped |= m.queue.group_by.is_some() && !m.queue.groups.is_empty();
        seen.filtered |= m.queue.filter_text.contains("sev:high");
        if let Some((i, at)) = handed.get() {
            let t = at.elapsed();
            let k = &mut keys[i];
            k.paint.get_or_insert(t);
            if m.in_flight == 0 {
                k.settled = Some(t);
                handed.set(None);
            }
        }
    };
    run_loop(rt, &mut s, events, &opts, &mut on_frame)?;
    // One more pass so that the last key's reply is drawn.
    let none = futures_util::stream::iter(Vec::<io::Result<Event>>::new());
    run_loop(rt, &mut s, none, &opts, &mut on_frame)?;
    Ok(Scripted {
        frames,
        keys,
        seen,
        session: s,
    })
}

/// The console alone on `setup`'s store: a first frame, the scripted keys, then its memory.
pub(super) fn probe(setup: &Setup, keys: usize) -> anyhow::Result<Option<Rss>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (_, session) = first_frame(&rt, setup)?;
    drop(session);
    let scripted = scripted_run(&rt, setup, script(keys)?)?;
    let rss = Rss::now();
    drop(scripted.session);
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(rss)
}

/// Runs `probe` in a child process (this binary, `bench ui --probe-rss DIR`).
pub(super) fn probe_child(dir: &Path, args: &UiArgs) -> anyhow::Result<Option<Rss>> {
    let exe = std::env::current_exe().context("finding this program to re-run it")?;
    let out = Command::new(exe)
        .arg("bench")
        .arg("ui")
        .arg("--probe-rss")
        .arg(dir)
        .args(["--keys", &args.keys.to_string()])
        .args(["--width", &args.width.to_string()])
        .args(["--height", &args.height.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .context("running the console probe")?;
    anyhow::ensure!(
        out.status.success(),
        "the console probe failed ({})",
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{') || l.trim() == "null")
        .context("no result from the console probe")?;
    serde_json::from_str(line).context("reading the console probe's result")
}
