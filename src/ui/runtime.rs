//! The event loop: terminal events, worker replies and a tick go into update; effects go out
//! to the workers; after draining everything pending, at most one frame is drawn, and only if
//! something changed.

use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyEventKind};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::Receiver;

use super::keymap::Keymap;
use super::model::Model;
use super::msg::Reply;
use super::theme::Theme;
use super::update::{self, Effect};
use super::view::{self, Ctx};
use super::worker::Workers;

/// How the loop runs.
#[derive(Debug, Clone)]
pub struct LoopOptions {
    /// How often to look for other processes' changes.
    pub poll: Duration,
    /// Read the next terminal event only when no request is in flight (scripted tests, the
    /// latency benchmark): every key then sees the state its predecessor produced.
    pub wait_idle: bool,
    /// A fixed wall clock for drawing (snapshot tests); `None`: the real one.
    pub fixed_now: Option<jiff::Timestamp>,
}

/// What the loop needs besides the model.
pub struct Parts<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    pub workers: &'a Workers,
    pub replies: &'a mut Receiver<Reply>,
}

/// Runs until the analyst quits or `events` ends. `suspend` hands the terminal back to the
/// shell (ctrl-z) and takes it again on resume; `on_frame` sees the model and each frame's
/// draw time (the benchmark's probe).
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    m: &mut Model,
    parts: Parts<'_>,
    mut events: S,
    opts: &LoopOptions,
    suspend: &mut dyn FnMut(&mut Terminal<B>) -> std::io::Result<()>,
    on_frame: &mut dyn FnMut(&Model, Duration),
) -> std::io::Result<()>
where
    B: Backend,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let size = terminal.size().map_err(other)?;
    let fx = update::resize(m, size.width, size.height);
    run_effects(m, parts.workers, fx);
    if let Some(now) = opts.fixed_now {
        m.now = now;
    }
    if !m.started {
        m.started = true;
        let fx = update::start(m);
        run_effects(m, parts.workers, fx);
    }
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last_poll = Instant::now();
    let Parts {
        keymap,
        theme,
        workers,
        replies,
    } = parts;
    loop {
        if m.dirty {
            let start = Instant::now();
            terminal
                .draw(|f| view::draw(f, m, &Ctx { keymap, theme }))
                .map_err(other)?;
            on_frame(m, start.elapsed());
            m.dirty = false;
        }
        if m.quit {
            return Ok(());
        }
        let read_input = !(opts.wait_idle && m.in_flight > 0);
        tokio::select! {
            ev = events.next(), if read_input => match ev {
                Some(Ok(ev)) => {
                    let fx = on_event(m, keymap, ev);
                    if fx.iter().any(|e| matches!(e, Effect::Suspend)) {
                        suspend(terminal).map_err(other)?;
                        m.dirty = true;
                        let size = terminal.size().map_err(other)?;
                        update::resize(m, size.width, size.height);
                    }
                    run_effects(m, workers, fx);
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            r = replies.recv() => match r {
                Some(r) => {
                    let fx = update::reply(m, r);
                    run_effects(m, workers, fx);
                }
                None => return Ok(()),
            },
            _ = tick.tick() => {
                update::tick(m, Instant::now(), opts.fixed_now.unwrap_or_else(jiff::Timestamp::now));
                if last_poll.elapsed() >= opts.poll {
                    last_poll = Instant::now();
                    let fx = update::poll(m);
                    run_effects(m, workers, fx);
                }
            }
        }
        // Drain whatever else is ready, so a burst of replies costs one frame.
        while let Ok(r) = replies.try_recv() {
            let fx = update::reply(m, r);
            run_effects(m, workers, fx);
        }
    }
}

fn other<E: std::fmt::Display>(e: E) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

fn on_event(m: &mut Model, keymap: &Keymap, ev: Event) -> Vec<Effect> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => update::key(m, keymap, k),
        Event::Resize(w, h) => update::resize(m, w, h),
        Event::Paste(text) => {
            update::paste(m, &text);
            Vec::new()
        }
        Event::FocusGained => {
            m.dirty = true;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Hands effects to the workers; a request that cannot be queued is reported, not lost
/// silently.
pub fn run_effects(m: &mut Model, workers: &Workers, fx: Vec<Effect>) {
    for e in fx {
        let sent = match e {
            Effect::Query(req, q) => workers.query(req, q),
            Effect::Write(req, op, targets) => workers.write(req, op, targets),
            Effect::Suspend => Ok(()),
        };
        if let Err(e) = sent {
            m.in_flight = m.in_flight.saturating_sub(1);
            tracing::warn!(error = %e, "store request not queued");
            m.flash(e.to_string(), true);
        }
    }
}
