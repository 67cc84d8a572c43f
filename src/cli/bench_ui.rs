//! `tocsin bench ui`: the console's speed on a large store. It fills a throwaway store with
//! synthetic alerts (plain SQL, fast), then drives the real event loop, store workers, shipped
//! keymap and theme on a fixed-size crossterm backend that encodes every frame and discards it:
//! time to first frame, frame build+diff during scripted keys, a pure-draw microbench,
//! keypress-to-frame latency, and the console's memory (measured in a child process, so the
//! fill does not count). It prints each against the target; it never asserts them.

use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell as BufCell;
use ratatui::layout::{Position, Size};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use tokio::runtime::Runtime;
use tokio::sync::mpsc::Receiver;

use super::{Env, output};
use crate::domain::{Entities, derived_id};
use crate::store::Store;
use crate::ui::keymap::Keymap;
use crate::ui::keys::parse_sequence;
use crate::ui::model::Model;
use crate::ui::msg::Reply;
use crate::ui::runtime::{self, LoopOptions, Parts};
use crate::ui::theme::Theme;
use crate::ui::view::{self, Ctx};
use crate::ui::worker::{GroupRules, WorkerConfig, Workers};

#[derive(Debug, Args)]
pub struct UiArgs {
    /// Alerts in the store.
    #[arg(long, default_value_t = 1_000_000)]
    pub alerts: u64,
    /// Scripted keypresses of the frame and latency run.
    #[arg(long, default_value_t = 300)]
    pub keys: usize,
    /// Terminal width.
    #[arg(long, default_value_t = 200)]
    pub width: u16,
    /// Terminal height.
    #[arg(long, default_value_t = 60)]
    pub height: u16,
    /// Keep the store in this data dir; a later run that finds alerts there skips the fill.
    #[arg(long, value_name = "DIR")]
    pub reuse: Option<PathBuf>,
    /// Fresh consoles opened to time the first frame.
    #[arg(long, default_value_t = 5)]
    pub first_frame_runs: usize,
    /// Draws of the pure-draw microbench.
    #[arg(long, default_value_t = 1_000)]
    pub draws: usize,
    /// Internal: run the console on DIR's store with the scripted keys and print its memory as
    /// JSON (the parent's child process).
    #[arg(long, hide = true, value_name = "DIR")]
    pub probe_rss: Option<PathBuf>,
}

/// The targets.
const TARGET_FRAME_P99_MS: f64 = 2.0;
const TARGET_KEY_MS: f64 = 16.0;
const TARGET_FIRST_FRAME_MS: f64 = 150.0;
const TARGET_RSS_MB: f64 = 150.0;
/// How long a console may take to show its queue before the bench gives up.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// Percentiles of a set of samples, in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Pcts {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Pcts {
    fn of(samples: &[Duration]) -> Pcts {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or(f64::NAN)
        };
        Pcts {
            count: ms.len(),
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// Peak and current resident memory, from /proc/self/status (Linux only).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Rss {
    hwm_mb: f64,
    rss_mb: f64,
}

impl Rss {
    fn now() -> Option<Rss> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kb = |key: &str| -> Option<f64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))?
                .split_whitespace()
                .next()?
                .parse::<f64>()
                .ok()
        };
        Some(Rss {
            hwm_mb: kb("VmHWM:")? / 1024.0,
            rss_mb: kb("VmRSS:")? / 1024.0,
        })
    }
}

/// One row of the table: a measure beside its target.
#[derive(Debug, Clone, Serialize)]
struct Check {
    metric: String,
    measured: Option<f64>,
    unit: &'static str,
    target: Option<f64>,
    ok: Option<bool>,
}

#[derive(Debug, Serialize)]
struct Report {
    alerts: u64,
    width: u16,
    height: u16,
    /// Seconds the fill took; `None` when a `--reuse` store was found filled.
    fill_seconds: Option<f64>,
    first_frame: Pcts,
    frames: Pcts,
    keys_pressed: usize,
    /// What the scripted keys got to: an alert's detail, a grouped queue, a typed filter.
    script_reached: Seen,
    draw_microbench: Pcts,
    key_to_frame: Pcts,
    /// This process, fill included.
    bench_rss: Option<Rss>,
    /// The console alone (a child process on the same store).
    console_rss: Option<Rss>,
    console_rss_error: Option<String>,
    checks: Vec<Check>,
    peer: &'static str,
}

pub fn run(env: &Env, args: UiArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.probe_rss {
        let setup = Setup::new(env, dir.join("tocsin.db"), &args);
        let rss = probe(&setup, args.keys)?;
        println!("{}", serde_json::to_string(&rss)?);
        return Ok(ExitCode::SUCCESS);
    }
    let report = measure(env, &args, true)?;
    if env.json {
        output::json(&report)?;
    } else {
        print_table(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Everything a console needs, from the configuration and the store's path.
struct Setup {
    database: PathBuf,
    busy_timeout: Duration,
    actor: String,
    group_rules: GroupRules,
    page_size: usize,
    flash_for: Duration,
    poll: Duration,
    width: u16,
    height: u16,
}

impl Setup {
    fn new(env: &Env, database: PathBuf, args: &UiArgs) -> Setup {
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

/// Fills (or reuses) the store, then runs every measure. `child_probe`: measure the console's
/// memory in a child process (the real binary; unit tests cannot re-exec themselves).
fn measure(env: &Env, args: &UiArgs, child_probe: bool) -> anyhow::Result<Report> {
    let (_temp, dir) = match &args.reuse {
        Some(dir) => (None, dir.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("tocsin-bench-ui-")
                .tempdir()
                .context("creating the benchmark's temporary data dir")?;
            let dir = t.path().to_path_buf();
            (Some(t), dir)
        }
    };
    let database = dir.join("tocsin.db");
    let busy = Duration::from_millis(env.loaded.config.store.busy_timeout_ms);
    drop(
        Store::open(&database, busy)
            .with_context(|| format!("opening the benchmark store in {}", dir.display()))?,
    );
    let stored: i64 =
        Connection::open(&database)?.query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
    let (alerts, fill_seconds) = if stored > 0 && args.reuse.is_some() {
        eprintln!(
            "tocsin: reusing {stored} alerts in {} (no fill)",
            database.display()
        );
        (stored as u64, None)
    } else {
        anyhow::ensure!(stored == 0, "{} already holds alerts", database.display());
        eprintln!("tocsin: filling {} alerts…", args.alerts);
        let started = Instant::now();
        fill(&database, args.alerts)?;
        let secs = started.elapsed().as_secs_f64();
        eprintln!("tocsin: filled {} alerts in {secs:.1} s", args.alerts);
        (args.alerts, Some(secs))
    };

    let setup = Setup::new(env, database, args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;

    // Time to first frame: fresh keymap, theme, workers and model each time.
    let mut first = Vec::new();
    let mut settled = None;
    for _ in 0..args.first_frame_runs.max(1) {
        let (t, session) = first_frame(&rt, &setup)?;
        first.push(t);
        settled = Some(session);
    }
    let mut session = settled.context("no first-frame run")?;

    // Pure draw: the settled console, the selection alternating between two rows.
    settle(&rt, &mut session, setup.poll)?;
    let draws = draw_microbench(&mut session, args.draws.max(1))?;
    drop(session);

    // Scripted keys: every frame's build+diff and each key's latency to its settled frame.
    let keys = script(args.keys)?;
    let scripted = scripted_run(&rt, &setup, keys)?;
    drop(scripted.session);
    rt.shutdown_timeout(Duration::from_millis(200));

    let bench_rss = Rss::now();
    let (console_rss, console_rss_error) = if child_probe {
        match probe_child(&dir, args) {
            Ok(rss) => (rss, None),
            Err(e) => (None, Some(format!("{e:#}"))),
        }
    } else {
        (None, Some("not measured (in-process run)".into()))
    };

    let first_frame = Pcts::of(&first);
    let frames = Pcts::of(&scripted.frames);
    let draw_microbench = Pcts::of(&draws);
    let key_to_frame = Pcts::of(&scripted.latencies);
    let check = |metric: String, measured: Option<f64>, unit, target: Option<f64>| Check {
        ok: target.zip(measured).map(|(t, m)| m <= t),
        metric,
        measured,
        unit,
        target,
    };
    let finite = |v: f64| v.is_finite().then_some(v);
    let n_first = first_frame.count;
    let checks = vec![
        check(
            format!("time to first frame, median of {n_first}"),
            finite(median(&first)),
            "ms",
            Some(TARGET_FIRST_FRAME_MS),
        ),
        check(
            format!("time to first frame, max of {n_first}"),
            finite(first_frame.max_ms),
            "ms",
            Some(TARGET_FIRST_FRAME_MS),
        ),
        check(
            format!("frame build+diff p50 (scripted, {} frames)", frames.count),
            finite(frames.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("frame build+diff p99 (scripted, {} frames)", frames.count),
            finite(frames.p99_ms),
            "ms",
            Some(TARGET_FRAME_P99_MS),
        ),
        check(
            "frame build+diff max (scripted)".into(),
            finite(frames.max_ms),
            "ms",
            None,
        ),
        check(
            format!("pure draw p50 ({} draws)", draw_microbench.count),
            finite(draw_microbench.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("pure draw p99 ({} draws)", draw_microbench.count),
            finite(draw_microbench.p99_ms),
            "ms",
            Some(TARGET_FRAME_P99_MS),
        ),
        check(
            format!("keypress -> frame p50 ({} keys)", key_to_frame.count),
            finite(key_to_frame.p50_ms),
            "ms",
            None,
        ),
        check(
            format!("keypress -> frame p99 ({} keys)", key_to_frame.count),
            finite(key_to_frame.p99_ms),
            "ms",
            Some(TARGET_KEY_MS),
        ),
        check(
            "keypress -> frame max".into(),
            finite(key_to_frame.max_ms),
            "ms",
            None,
        ),
        check(
            "console RSS peak (VmHWM, child process)".into(),
            console_rss.map(|r| r.hwm_mb),
            "MB",
            Some(TARGET_RSS_MB),
        ),
        check(
            "console RSS at exit (VmRSS, child process)".into(),
            console_rss.map(|r| r.rss_mb),
            "MB",
            None,
        ),
        check(
            "bench process RSS peak (VmHWM, fill included)".into(),
            bench_rss.map(|r| r.hwm_mb),
            "MB",
            None,
        ),
        check(
            "bench process RSS now (VmRSS)".into(),
            bench_rss.map(|r| r.rss_mb),
            "MB",
            None,
        ),
    ];
    Ok(Report {
        alerts,
        width: setup.width,
        height: setup.height,
        fill_seconds,
        first_frame,
        frames,
        keys_pressed: scripted.keys,
        script_reached: scripted.seen,
        draw_microbench,
        key_to_frame,
        bench_rss,
        console_rss,
        console_rss_error,
        checks,
        peer: "none",
    })
}

fn median(samples: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    match ms.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    }
}

fn print_table(r: &Report) {
    println!(
        "tocsin bench ui: {} alerts, {}x{} terminal, {} scripted keys{}",
        r.alerts,
        r.width,
        r.height,
        r.keys_pressed,
        r.fill_seconds.map_or_else(
            || " (store reused)".to_string(),
            |s| format!(", fill {s:.1} s (not a target)")
        )
    );
    println!(
        "{:<50} {:>12} {:>12} {:>5}",
        "metric", "measured", "target", "ok?"
    );
    for c in &r.checks {
        let measured = c
            .measured
            .map_or_else(|| "n/a".to_string(), |v| format!("{v:.3} {}", c.unit));
        let target = c
            .target
            .map_or_else(|| "-".to_string(), |t| format!("<= {t:.0} {}", c.unit));
        let ok = match c.ok {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        println!("{:<50} {:>12} {:>12} {:>5}", c.metric, measured, target, ok);
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "scripted keys reached: alert detail {}, grouped queue {}, sev:high filter {}",
        yes(r.script_reached.detail),
        yes(r.script_reached.grouped),
        yes(r.script_reached.filtered)
    );
    if let Some(e) = &r.console_rss_error {
        println!("console RSS: {e}");
    }
    println!("peer: none (no other program draws this frame; targets are the issue's)");
}

// ---------------------------------------------------------------------------------------------
// The console on a terminal that encodes and discards.

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
struct Session {
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
fn settle(rt: &Runtime, s: &mut Session, poll: Duration) -> anyhow::Result<()> {
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
fn first_frame(rt: &Runtime, setup: &Setup) -> anyhow::Result<(Duration, Session)> {
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
fn draw_microbench(s: &mut Session, n: usize) -> anyhow::Result<Vec<Duration>> {
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

/// One cycle of the analyst's keys (default keymap); `Type` is text typed into an input.
enum Step {
    Keys(&'static str),
    Type(&'static str),
}

const CYCLE: &[Step] = &[
    Step::Keys("j j j j j j j j j j j j j j j j j j j j"),
    Step::Keys("ctrl-d ctrl-d ctrl-d ctrl-u"),
    Step::Keys("j j j j j j j j j j k k k k k"),
    // Open the detail, walk its sections, back to the list.
    Step::Keys("enter ] ] j j [ h"),
    Step::Keys("G k k k g g"),
    // Filter to high and above.
    Step::Keys("/ ctrl-u"),
    Step::Type("sev:high status:open"),
    Step::Keys("enter"),
    Step::Keys("j j j j j j j j j j ctrl-d enter ] h"),
    Step::Keys("F"),
    // Group by host (picker: none, rule, host, ...), expand one, back to no grouping.
    Step::Keys("z j j enter j j j j j enter j j j k k k enter"),
    Step::Keys("z g g enter"),
    Step::Keys("S S ctrl-f ctrl-b"),
];

/// One cycle of the script as key events.
fn cycle() -> anyhow::Result<Vec<Event>> {
    let mut cycle = Vec::new();
    for step in CYCLE {
        match step {
            Step::Keys(notation) => {
                for one in notation.split(' ').filter(|s| !s.is_empty()) {
                    for chord in parse_sequence(one).with_context(|| format!("key `{one}`"))? {
                        cycle.push(key(chord.code, chord.mods));
                    }
                }
            }
            Step::Type(text) => cycle.extend(
                text.chars()
                    .map(|c| key(KeyCode::Char(c), KeyModifiers::NONE)),
            ),
        }
    }
    Ok(cycle)
}

/// `n` key events: the cycle repeated and cut at `n`.
fn script(n: usize) -> anyhow::Result<Vec<Event>> {
    Ok(cycle()?.iter().cycle().take(n).cloned().collect())
}

struct Scripted {
    frames: Vec<Duration>,
    latencies: Vec<Duration>,
    keys: usize,
    /// Whether some frame showed an open detail, a grouped queue, a typed filter.
    seen: Seen,
    session: Session,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Seen {
    detail: bool,
    grouped: bool,
    filtered: bool,
}

/// A fresh console driven by `keys`, each handed over only when the previous one's requests
/// are answered (`wait_idle`): every frame's draw time, and for each key the time from handing
/// it over to the first frame drawn with nothing in flight.
fn scripted_run(rt: &Runtime, setup: &Setup, keys: Vec<Event>) -> anyhow::Result<Scripted> {
    let mut s = open_session(setup)?;
    let n = keys.len();
    let handed: Rc<Cell<Option<Instant>>> = Rc::default();
    let stamp = Rc::clone(&handed);
    let events = futures_util::stream::iter(keys).map(move |k| {
        stamp.set(Some(Instant::now()));
        Ok(k)
    });
    let opts = LoopOptions {
        poll: setup.poll,
        wait_idle: true,
        fixed_now: None,
    };
    let mut frames = Vec::new();
    let mut latencies = Vec::new();
    let mut seen = Seen::default();
    let mut on_frame = |m: &Model, d: Duration| {
        frames.push(d);
        seen.detail |= m.detail.as_ref().is_some_and(|d| d.data.is_some());
        seen.grouped |= m.queue.group_by.is_some() && !m.queue.groups.is_empty();
        seen.filtered |= m.queue.filter_text.contains("sev:high");
        if m.in_flight == 0
            && let Some(at) = handed.take()
        {
            latencies.push(at.elapsed());
        }
    };
    run_loop(rt, &mut s, events, &opts, &mut on_frame)?;
    // One more pass so that the last key's reply is drawn.
    let none = futures_util::stream::iter(Vec::<io::Result<Event>>::new());
    run_loop(rt, &mut s, none, &opts, &mut on_frame)?;
    Ok(Scripted {
        frames,
        latencies,
        keys: n,
        seen,
        session: s,
    })
}

/// The console alone on `setup`'s store: a first frame, the scripted keys, then its memory.
fn probe(setup: &Setup, keys: usize) -> anyhow::Result<Option<Rss>> {
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
fn probe_child(dir: &Path, args: &UiArgs) -> anyhow::Result<Option<Rss>> {
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

// ---------------------------------------------------------------------------------------------
// The synthetic store.

/// A small deterministic generator (splitmix64): the same store every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// In [0, n), skewed towards 0 (the popular rules and noisy hosts).
    fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((self.unit().powf(power) * n as f64) as usize).min(n.saturating_sub(1))
    }
}

const RULES: usize = 200;
const HOSTS: usize = 2_000;
const USERS: usize = 500;
const ANALYSTS: &[&str] = &[
    "amaya", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "jules", "kofi",
    "lena",
];
const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "karl",
    "lara", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "uma",
    "victor", "wendy", "xavier", "yara",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore", "taylor", "lee",
    "white", "harris", "clark", "lewis", "young", "walker", "hall", "allen", "king", "wright",
];
const HOST_KINDS: &[&str] = &["ws", "web", "db", "dc", "app", "mail", "vpn", "fs"];
const RULE_NAMES: &[(&str, &str, &str)] = &[
    (
        "SSH brute force",
        "T1110.001",
        "Failed password for invalid user",
    ),
    (
        "Password spraying against domain accounts",
        "T1110.003",
        "An account failed to log on",
    ),
    (
        "Suspicious encoded PowerShell command",
        "T1059.001",
        "powershell.exe -enc",
    ),
    (
        "Office application spawned a shell",
        "T1204.002",
        "WINWORD.EXE spawned cmd.exe",
    ),
    (
        "LSASS memory access",
        "T1003.001",
        "process accessed lsass.exe",
    ),
    ("Scheduled task created", "T1053.005", "schtasks /create"),
    (
        "Service installed",
        "T1543.003",
        "A service was installed in the system",
    ),
    (
        "Registry run key modified",
        "T1547.001",
        "CurrentVersion\\Run set",
    ),
    (
        "Remote desktop logon from a new source",
        "T1021.001",
        "RDP logon",
    ),
    (
        "WMI remote execution",
        "T1047",
        "wmic /node process call create",
    ),
    (
        "Security log cleared",
        "T1070.001",
        "The audit log was cleared",
    ),
    ("Rundll32 without arguments", "T1218.011", "rundll32.exe"),
    (
        "Outbound connection to a rare domain",
        "T1071.001",
        "HTTP GET to a first-seen domain",
    ),
    (
        "Tool download with certutil",
        "T1105",
        "certutil -urlcache -f",
    ),
    ("Web shell request", "T1190", "POST /uploads/shell.php"),
    (
        "Mass file rename (ransomware)",
        "T1486",
        "files renamed with a new extension",
    ),
    ("UAC bypass via fodhelper", "T1548.002", "fodhelper.exe"),
    ("Kerberoasting", "T1558.003", "TGS request with RC4"),
    ("Account discovery commands", "T1087", "net user /domain"),
    (
        "Network scan from an internal host",
        "T1046",
        "connections to many ports",
    ),
    (
        "New local administrator",
        "T1136.001",
        "A user was added to Administrators",
    ),
    (
        "Archive created before exfiltration",
        "T1560.001",
        "7z a -p",
    ),
    ("PsExec service started", "T1569.002", "PSEXESVC started"),
    (
        "Process injection",
        "T1055",
        "CreateRemoteThread into explorer.exe",
    ),
    (
        "Masqueraded system binary",
        "T1036.005",
        "svchost.exe outside System32",
    ),
];
const SOURCES: &[(&str, f64)] = &[
    ("sigma", 0.60),
    ("wazuh", 0.20),
    ("suricata", 0.15),
    ("tocsin", 0.05),
];

/// What every alert of one rule shares.
struct Rule {
    id: String,
    name: String,
    source: &'static str,
    severity: i64,
    technique: &'static str,
    message: &'static str,
}

fn rules(rng: &mut Rng) -> Vec<Rule> {
    (0..RULES)
        .map(|k| {
            let (name, technique, message) = RULE_NAMES[k % RULE_NAMES.len()];
            let u = rng.unit();
            let mut acc = 0.0;
            let source = SOURCES
                .iter()
                .find(|(_, p)| {
                    acc += p;
                    u < acc
                })
                .map_or("sigma", |(s, _)| s);
            let id = match source {
                "sigma" => {
                    let h = derived_id("bench-rule", &k.to_string());
                    format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..32]
                    )
                }
                "wazuh" => (5_700 + k).to_string(),
                "suricata" => (2_100_000 + k).to_string(),
                _ => format!("tocsin-{k:03}"),
            };
            // Severities skewed low: info 25%, low 35%, medium 25%, high 12%, critical 3%.
            let s = rng.unit();
            let severity = match s {
                s if s < 0.25 => 0,
                s if s < 0.60 => 1,
                s if s < 0.85 => 2,
                s if s < 0.97 => 3,
                _ => 4,
            };
            let variant = k / RULE_NAMES.len();
            Rule {
                id,
                name: if variant == 0 {
                    name.to_string()
                } else {
                    format!("{name} (variant {variant})")
                },
                source,
                severity,
                technique,
                message,
            }
        })
        .collect()
}

fn host_name(h: usize) -> String {
    format!("{}-{h:04}", HOST_KINDS[h % HOST_KINDS.len()])
}

fn user_name(u: usize) -> String {
    format!(
        "{}.{}",
        FIRST[u % FIRST.len()],
        LAST[(u / FIRST.len()) % LAST.len()]
    )
}

/// Per host, this many distinct events that its alerts point at.
const EVENTS_PER_HOST: usize = 8;

/// Fills `n` alerts with their side tables (entities, techniques, one linked event each) in a
/// few large transactions, straight in SQL.
fn fill(database: &Path, n: u64) -> anyhow::Result<()> {
    let mut conn = Connection::open(database)?;
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let mut rng = Rng(0x70C5_1AB0_0000_0001);
    let rules = rules(&mut rng);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let span_ms: i64 = 30 * 24 * 3_600 * 1_000;
    let start_ms = now_ms - span_ms;

    // The events alerts point at: a few per host, each host's own.
    let event_id = |h: usize, k: usize| derived_id("bench-event", &format!("{h}/{k}"));
    {
        let tx = conn.transaction()?;
        {
            let mut ev = tx.prepare(
                "INSERT INTO events (id, ts, ingested_at, source, dataset, format, host, user, src_ip,
                   action, outcome, severity, message, techniques, fields, raw)
                 VALUES (?1, ?2, ?2, 'bench', ?3, 'syslog', ?4, ?5, ?6, ?7, ?8, ?9, ?10, '[]', '{}', ?11)",
            )?;
            for h in 0..HOSTS {
                for k in 0..EVENTS_PER_HOST {
                    let rule = &rules[k * 7 % RULES];
                    let host = host_name(h);
                    let user = user_name((h * 31 + k) % USERS);
                    let ip = format!("10.{}.{}.{}", h / 250, h % 250, 10 + k);
                    let ts = start_ms + rng.below(span_ms as usize) as i64;
                    let message = format!("{} user={user} src={ip}", rule.message);
                    let raw = format!("<38>1 {ts} {host} bench - - - {message}");
                    ev.execute(params![
                        event_id(h, k),
                        ts,
                        if k % 2 == 0 {
                            "linux.auth"
                        } else {
                            "windows.security"
                        },
                        host,
                        user,
                        ip,
                        "logon",
                        if k % 3 == 0 { "success" } else { "failure" },
                        rule.severity,
                        message,
                        raw,
                    ])?;
                }
            }
        }
        tx.commit()?;
    }

    const CHUNK: u64 = 50_000;
    let mut done = 0u64;
    while done < n {
        let end = (done + CHUNK).min(n);
        let tx = conn.transaction()?;
        {
            let mut alert = tx.prepare(
                "INSERT INTO alerts (id, rule_id, rule_name, rule_source, severity, status, verdict,
                   verdict_reason, assignee, score, group_key, count, first_seen, last_seen, summary,
                   host, user, src_ip, entities, techniques, created_at, updated_at, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                   ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            let mut entity = tx.prepare(
                "INSERT INTO alert_entities (kind, value, alert_id) VALUES (?1, ?2, ?3)",
            )?;
            let mut technique =
                tx.prepare("INSERT INTO alert_techniques (technique, alert_id) VALUES (?1, ?2)")?;
            let mut link =
                tx.prepare("INSERT INTO alert_events (alert_id, event_id) VALUES (?1, ?2)")?;
            for i in done..end {
                let id = derived_id("bench-alert", &i.to_string());
                let rule = &rules[rng.skewed(RULES, 2.0)];
                let h = rng.skewed(HOSTS, 1.5);
                let host = host_name(h);
                let user = (rng.unit() < 0.7).then(|| user_name(rng.skewed(USERS, 1.5)));
                let ip = (rng.unit() < 0.5).then(|| match rng.below(4) {
                    0 => format!("203.0.113.{}", rng.below(254) + 1),
                    1 => format!("198.51.100.{}", rng.below(254) + 1),
                    _ => format!("10.{}.{}.{}", h / 250, h % 250, rng.below(200) + 10),
                });
                // Spread over 30 days in insertion order (as ingestion writes them), jittered.
                let last_seen = (start_ms
                    + (span_ms as i128 * i as i128 / n.max(1) as i128) as i64
                    - rng.below(60_000) as i64)
                    .min(now_ms);
                let count: i64 = if rng.unit() < 0.8 {
                    1
                } else {
                    2 + rng.below(49) as i64
                };
                let first_seen = last_seen - (count - 1) * rng.below(120_000) as i64;
                let severity = if rng.unit() < 0.05 {
                    (rule.severity + 1).min(4)
                } else {
                    rule.severity
                };
                let s = rng.unit();
                let status = match s {
                    s if s < 0.70 => "new",
                    s if s < 0.78 => "acknowledged",
                    s if s < 0.85 => "in_progress",
                    s if s < 0.88 => "escalated",
                    s if s < 0.98 => "closed",
                    _ => "suppressed",
                };
                let (verdict, reason) = if status == "closed" {
                    match rng.below(20) {
                        0..12 => (Some("false_positive"), Some("known admin activity")),
                        12..17 => (Some("benign"), Some("expected scanner")),
                        17..19 => (Some("true_positive"), Some("contained; see ticket")),
                        _ => (Some("duplicate"), Some("same as an earlier alert")),
                    }
                } else {
                    (None, None)
                };
                let assignee = matches!(status, "acknowledged" | "in_progress" | "closed")
                    .then(|| ANALYSTS[rng.below(ANALYSTS.len())]);
                let score = (rng.unit() < 0.3).then(|| (rng.unit() * 100.0).round());
                let mut entities = Entities::default();
                entities.add_host(&host);
                if let Some(u) = &user {
                    entities.add_user(u);
                }
                if let Some(ip) = &ip {
                    entities.add_ip(ip);
                }
                let group_key = format!("{}:{}|host={host}|{:x}", rule.source, rule.id, i / 3);
                let summary = match &user {
                    Some(u) => format!("{} on {host} ({u})", rule.name),
                    None => format!("{} on {host}", rule.name),
                };
                let triaged = status != "new";
                alert.execute(params![
                    id,
                    rule.id,
                    rule.name,
                    rule.source,
                    severity,
                    status,
                    verdict,
                    reason,
                    assignee,
                    score,
                    group_key,
                    count,
                    first_seen,
                    last_seen,
                    summary,
                    host,
                    user,
                    ip,
                    serde_json::to_string(&entities)?,
                    serde_json::to_string(&[rule.technique])?,
                    first_seen,
                    if triaged {
                        last_seen + 600_000
                    } else {
                        last_seen
                    },
                    if triaged { 2 } else { 1 },
                ])?;
                for (kind, value) in entities.pairs() {
                    entity.execute(params![kind, value, id])?;
                }
                technique.execute(params![rule.technique, id])?;
                link.execute(params![id, event_id(h, rng.below(EVENTS_PER_HOST))])?;
            }
        }
        tx.commit()?;
        done = end;
        if n >= 200_000 && done.is_multiple_of(200_000) && done < n {
            eprintln!("tocsin:   {done} / {n}");
        }
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(dir: &Path) -> Env {
        let loaded = crate::config::load_with_env(
            &crate::config::Overrides {
                no_user_config: true,
                data_dir: Some(dir.to_path_buf()),
                ..Default::default()
            },
            Vec::new(),
        )
        .unwrap();
        Env { loaded, json: true }
    }

    fn sane(p: &Pcts) {
        assert!(p.count > 0, "{p:?}");
        assert!(
            p.p50_ms >= 0.0 && p.p50_ms <= p.p99_ms && p.p99_ms <= p.max_ms,
            "{p:?}"
        );
    }

    #[test]
    fn bench_ui_at_tiny_size_reports_everything() {
        let data = tempfile::tempdir().unwrap();
        let store = tempfile::tempdir().unwrap();
        let env = env(data.path());
        let args = UiArgs {
            alerts: 2_000,
            keys: 30,
            width: 200,
            height: 60,
            reuse: Some(store.path().to_path_buf()),
            first_frame_runs: 3,
            draws: 50,
            probe_rss: None,
        };
        let r = measure(&env, &args, false).unwrap();
        assert_eq!(r.alerts, 2_000);
        assert!(r.fill_seconds.is_some());
        assert_eq!(r.first_frame.count, 3);
        sane(&r.first_frame);
        sane(&r.frames);
        sane(&r.draw_microbench);
        assert_eq!(r.draw_microbench.count, 50);
        sane(&r.key_to_frame);
        assert_eq!(r.keys_pressed, 30);
        assert!(r.key_to_frame.count <= 30);
        assert!(r.frames.count >= r.key_to_frame.count);
        assert_eq!(r.peer, "none");
        assert!(r.checks.iter().any(|c| c.target.is_some()));
        for c in r.checks.iter().filter(|c| c.metric.contains("frame")) {
            assert!(c.measured.is_some(), "{c:?}");
        }
        if cfg!(target_os = "linux") {
            assert!(
                r.bench_rss
                    .is_some_and(|m| m.hwm_mb >= m.rss_mb && m.rss_mb > 0.0)
            );
        }

        // The store is consistent: side tables match the JSON columns.
        let conn = Connection::open(store.path().join("tocsin.db")).unwrap();
        let q = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(q("SELECT COUNT(*) FROM alert_techniques"), 2_000);
        assert_eq!(q("SELECT COUNT(*) FROM alert_events"), 2_000);
        assert_eq!(
            q("SELECT COUNT(*) FROM alert_entities WHERE kind = 'host'"),
            2_000
        );
        assert_eq!(
            q("SELECT COUNT(*) FROM alert_entities WHERE kind = 'user'"),
            q("SELECT COUNT(*) FROM alerts WHERE user IS NOT NULL")
        );
        let new = q("SELECT COUNT(*) FROM alerts WHERE status = 'new'");
        assert!((1_200..1_600).contains(&new), "{new}");
        let fetched = Store::open(&store.path().join("tocsin.db"), Duration::from_secs(5))
            .unwrap()
            .alerts(&crate::store::AlertFilter::default())
            .unwrap();
        assert!(!fetched.is_empty());
        assert!(fetched.iter().all(|a| !a.entities.hosts.is_empty()));

        // One whole cycle of the script opens a detail, filters and groups.
        let setup = Setup::new(&env, store.path().join("tocsin.db"), &again_args());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let whole = scripted_run(&rt, &setup, cycle().unwrap()).unwrap();
        assert!(
            whole.seen.detail && whole.seen.grouped && whole.seen.filtered,
            "{:?}",
            whole.seen
        );
        drop(whole.session);

        // A second run reuses the store, and the console probe works in-process.
        let again = measure(
            &env,
            &UiArgs {
                first_frame_runs: 1,
                keys: 10,
                draws: 10,
                ..args
            },
            false,
        )
        .unwrap();
        assert!(again.fill_seconds.is_none());
        assert_eq!(again.alerts, 2_000);
        let setup = Setup::new(&env, store.path().join("tocsin.db"), &again_args());
        let rss = probe(&setup, 10).unwrap();
        if cfg!(target_os = "linux") {
            assert!(rss.is_some_and(|m| m.hwm_mb > 0.0));
        }
    }

    fn again_args() -> UiArgs {
        UiArgs {
            alerts: 0,
            keys: 10,
            width: 120,
            height: 40,
            reuse: None,
            first_frame_runs: 1,
            draws: 1,
            probe_rss: None,
        }
    }

    #[test]
    fn script_has_the_requested_keys() {
        let keys = script(300).unwrap();
        assert_eq!(keys.len(), 300);
        assert!(script(0).unwrap().is_empty());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let p = Pcts::of(&d);
        assert_eq!(
            (p.count, p.p50_ms, p.p99_ms, p.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        assert!(Pcts::of(&[]).p50_ms.is_nan());
        assert_eq!(median(&d), 50.5);
    }
}
