//! The peers of `bench search`: where their scripts and Python are, and running one script on
//! a file to get its one JSON object back (or the reason it did not run).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Where to find the peer scripts and the Python that runs them; `None` when peers are off.
#[derive(Debug, Clone)]
pub struct Peers {
    pub dir: PathBuf,
    pub python: PathBuf,
}

/// The venv `setup.sh` creates: `~/.cache/tocsin-peers/venv/bin/python`.
pub fn default_python() -> PathBuf {
    directories::BaseDirs::new()
        .map(|b| b.home_dir().to_path_buf())
        .unwrap_or_default()
        .join(".cache/tocsin-peers/venv/bin/python")
}

impl Peers {
    /// The script's path when it and the Python are there, else why not.
    pub fn ready(&self, script: &str) -> Result<PathBuf, String> {
        if !self.dir.is_dir() {
            return Err(format!("no {} (pass --peers DIR)", self.dir.display()));
        }
        let script_path = self.dir.join(script);
        if !script_path.is_file() {
            return Err(format!("no {}", script_path.display()));
        }
        if !self.python.is_file() {
            return Err(format!(
                "no {} (run {}/setup.sh, or pass --python PATH)",
                self.python.display(),
                self.dir.display()
            ));
        }
        Ok(script_path)
    }

    /// Runs `script` on `arg`; its stdout's last line parsed as JSON, or why it did not run.
    pub fn run(&self, script: &str, arg: &Path) -> Result<serde_json::Value, String> {
        let script_path = self.ready(script)?;
        let started = Instant::now();
        let out = Command::new(&self.python)
            .arg(&script_path)
            .arg(arg)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
            return Err(format!(
                "{script} failed ({}): {}",
                out.status,
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
        let value = last
            .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .ok_or_else(|| format!("{script} printed no JSON object"))?;
        tracing::debug!(
            script,
            seconds = started.elapsed().as_secs_f64(),
            "peer ran"
        );
        Ok(value)
    }
}

/// A number at `path` (keys) in a peer's JSON.
pub fn num(v: &serde_json::Value, path: &[&str]) -> Option<f64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_f64()
}
