//! `tocsin ingest`: files, folders, gzip or stdin into the store, with a summary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Env, output};
use crate::ingest::{self, Options, Progress, Silent};
use crate::normalize::Format;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders to read (folders recursively; `.gz` is decompressed); `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Use this format for every record instead of detecting it:
    /// wazuh, splunk, kibana, suricata, zeek_json, zeek_tsv, syslog, windows_json, evtx, json, text.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Name the source of these records (default: each file's path; `stdin` for `-`).
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Year for timestamps without one (default: from each file's modification time).
    #[arg(long)]
    pub year: Option<i16>,
    /// Do not add the events to the search indexes, full text and vectors (`tocsin index
    /// rebuild` adds them later).
    #[arg(long)]
    pub no_index: bool,
}

/// A spinner with the record count and rate on stderr, when stderr is a terminal.
struct Spinner(ProgressBar);

impl Progress for Spinner {
    fn start(&self, input: &str, _total: Option<u64>) {
        self.0.set_message(input.to_string());
    }
    fn records(&self, count: u64) {
        self.0.set_position(count);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub fn run(env: &Env, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mut store = env.open_store()?;
    let mut opts = Options::from_config(&env.loaded);
    opts.detector = super::sigma::detector_from_config(env)?;
    opts.format = args.format;
    opts.source = args.source.or_else(|| {
        (args.paths.len() == 1 && args.paths[0].as_os_str() == "-").then(|| "stdin".into())
    });
    if args.year.is_some() {
        opts.year = args.year;
    }
    if !args.no_index {
        opts.index = Some(super::search::open_writer(env)?);
        opts.vectors = super::search::open_vectors(env)?;
    }
    let summary = if std::io::stderr().is_terminal() && !env.json {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} records ({per_sec}) {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        ingest::ingest_paths(&mut store, &args.paths, &opts, &Spinner(bar))?
    } else {
        ingest::ingest_paths(&mut store, &args.paths, &opts, &Silent)?
    };
    if let Some(index) = opts.index.take()
        && let Ok(writer) = Arc::try_unwrap(index)
    {
        // Committed by the run; this waits for background merges and releases the lock.
        writer
            .into_inner()
            .map_err(|_| anyhow::anyhow!("the index writer was poisoned"))?
            .finish()?;
    }
    if env.json {
        output::json(&summary)?;
    } else {
        output::ingest_summary(&summary);
    }
    Ok(if summary.input_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
