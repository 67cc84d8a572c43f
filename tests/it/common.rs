//! Shared test helpers: a throwaway home and data dir, running the real binary, fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary home (so no user config leaks in) with a data dir inside.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A `tocsin` command in this sandbox (HOME and XDG dirs point inside it).
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tocsin"));
        c.env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("share"))
            .env_remove("TOCSIN_DATA_DIR")
            .env_remove("RUST_LOG")
            .arg("--data-dir")
            .arg(self.data_dir());
        c
    }

    /// Runs `tocsin ARGS --json` and parses stdout; panics with stderr on failure.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .args(args)
            .arg("--json")
            .output()
            .expect("run tocsin");
        assert!(
            out.status.success(),
            "tocsin {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "tocsin {args:?}: bad JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Runs `tocsin ARGS` and returns the raw output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run tocsin")
    }
}

/// A fixture under tests/fixtures.
pub fn fixture(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    assert!(p.exists(), "missing fixture {}", p.display());
    p.display().to_string()
}

/// A path in the repository.
pub fn repo(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}
