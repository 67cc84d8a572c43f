//! The terminal, apart from the app: raw mode and the alternate screen on the way in, the way
//! out restored on quit, on ctrl-z (and taken again on resume) and, first of all, on panic.

use std::io::{Stdout, stdout};
use std::sync::Once;

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

static HOOK: Once = Once::new();

/// Takes the terminal: raw mode, alternate screen, bracketed paste. Installs (once) a panic
/// hook that gives the terminal back before the panic message is printed and logs it.
pub fn enter() -> std::io::Result<Term> {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            leave();
            tracing::error!(panic = %info, "the console panicked");
            previous(info);
        }));
    });
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    let mut t = Terminal::new(CrosstermBackend::new(stdout()))?;
    t.clear()?;
    Ok(t)
}

/// Gives the terminal back. Safe to call twice (quit after a panic hook ran).
pub fn leave() {
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), crossterm::cursor::Show);
}

/// ctrl-z: gives the terminal back, stops the process like any job, and takes the terminal
/// again when the shell resumes it (`fg`).
pub fn suspend(t: &mut Term) -> std::io::Result<()> {
    leave();
    #[cfg(unix)]
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste)?;
    t.clear()?;
    Ok(())
}
