//! Logging: `tracing` to a daily file in the log dir (the terminal belongs to the console and to
//! command output), plus warnings to stderr for headless runs that ask for it.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{
    EnvFilter, Layer, filter::LevelFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt,
};

/// Keeps the background log writer alive; drop it last to flush.
pub struct LogGuard {
    _guard: Option<WorkerGuard>,
}

/// Installs the global subscriber writing to `<dir>/tocsin.log.YYYY-MM-DD` at `level` (a
/// `tracing` filter). `RUST_LOG` overrides the level. With `stderr`, warnings and errors are
/// also printed on stderr. If the log dir cannot be created, logs go nowhere rather than onto
/// the terminal, and the reason is returned.
pub fn init(dir: &Path, level: &str, stderr: bool) -> (LogGuard, Option<String>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let (writer, guard, problem) = match std::fs::create_dir_all(dir) {
        Ok(()) => {
            let (writer, guard) =
                tracing_appender::non_blocking(tracing_appender::rolling::daily(dir, "tocsin.log"));
            (Some(writer), Some(guard), None)
        }
        Err(e) => (
            None,
            None,
            Some(format!("cannot create log dir {}: {e}", dir.display())),
        ),
    };
    let file_layer = writer.map(|w| fmt::layer().with_writer(w).with_ansi(false));
    let stderr_layer = stderr.then(|| {
        fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_filter(LevelFilter::WARN)
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    (LogGuard { _guard: guard }, problem)
}
