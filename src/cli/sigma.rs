//! `tocsin sigma`: load-check a rule set and test rules against event files, for rule authors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde::Serialize;

use super::{Env, output};
use crate::detect::events::read_events;
use crate::detect::{Detector, Settings};
use crate::ingest::Options;

#[derive(Debug, Subcommand)]
pub enum SigmaCommand {
    /// Evaluate rules on event files and print every match.
    Test {
        /// Rule folders or files (SigmaHQ layout); repeat or list several.
        #[arg(long = "rules", required = true, num_args = 1..)]
        rules: Vec<PathBuf>,
        /// Leave tocsin's built-in rules out.
        #[arg(long)]
        no_builtin: bool,
        /// Year for year-less syslog timestamps.
        #[arg(long)]
        year: Option<i16>,
        /// Event files or folders (any format `tocsin ingest` reads, `.evtx` included).
        #[arg(required = true)]
        events: Vec<PathBuf>,
    },
    /// Load a rule set and report what loaded and what was refused, with the reasons.
    Check {
        /// Rule folders or files.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Leave tocsin's built-in rules out.
        #[arg(long)]
        no_builtin: bool,
    },
}

/// The detector the configuration asks for (None when detection is off).
pub fn detector_from_config(env: &Env) -> anyhow::Result<Option<std::sync::Arc<Detector>>> {
    let d = &env.loaded.config.detect;
    if !d.enabled {
        return Ok(None);
    }
    let detector = Detector::load(&Settings {
        rules: d.rules.clone(),
        builtin_rules: d.builtin_rules,
        mapping: d.mapping.clone(),
    })?;
    for r in &detector.report.refused {
        tracing::warn!(path = %r.path, reason = %r.reason, "sigma rule refused");
    }
    Ok(Some(std::sync::Arc::new(detector)))
}

#[derive(Serialize)]
struct MatchLine<'a> {
    input: &'a str,
    position: u64,
    event_id: &'a str,
    rule_id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'a str>,
    correlation: bool,
    techniques: Vec<String>,
}

pub fn run(env: &Env, cmd: SigmaCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SigmaCommand::Check { dirs, no_builtin } => {
            let detector = Detector::load(&Settings {
                rules: dirs,
                builtin_rules: !no_builtin,
                mapping: env.loaded.config.detect.mapping.clone(),
            })?;
            let r = &detector.report;
            if env.json {
                output::json(r)?;
            } else {
                println!(
                    "{} rule files: {} detection rules and {} correlations loaded, {} refused",
                    r.files,
                    r.rules,
                    r.correlations,
                    r.refused.len()
                );
                if r.unrouted > 0 {
                    println!(
                        "{} loaded rules have a logsource no tocsin event has:",
                        r.unrouted
                    );
                    for (ls, n) in &r.unrouted_logsources {
                        println!("  {n:>5}  {ls}");
                    }
                }
                let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
                for f in &r.refused {
                    println!("refused  {}: {}", f.path, f.reason);
                    *by_reason.entry(f.reason.as_str()).or_default() += 1;
                }
            }
            Ok(if r.refused.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        SigmaCommand::Test {
            rules,
            no_builtin,
            year,
            events,
        } => {
            let detector = Detector::load(&Settings {
                rules,
                builtin_rules: !no_builtin,
                mapping: env.loaded.config.detect.mapping.clone(),
            })?;
            for r in &detector.report.refused {
                eprintln!("refused  {}: {}", r.path, r.reason);
            }
            let mut opts = Options::from_config(&env.loaded);
            if year.is_some() {
                opts.year = year;
            }
            let (located, rejected) = read_events(&events, &opts)?;
            let mut lines = Vec::new();
            for l in &located {
                for m in detector.evaluate(&l.event) {
                    lines.push((l, m));
                }
            }
            if env.json {
                let out: Vec<MatchLine> = lines
                    .iter()
                    .map(|(l, m)| MatchLine {
                        input: &l.input,
                        position: l.position,
                        event_id: &l.event.id,
                        rule_id: &m.rule_id,
                        title: &m.title,
                        level: m.level.as_deref(),
                        correlation: m.correlation,
                        techniques: crate::attack::techniques_from_tags(&m.tags),
                    })
                    .collect();
                output::json(&out)?;
            } else {
                for (l, m) in &lines {
                    println!(
                        "{}:{}  {}  {} [{}]{}",
                        l.input,
                        l.position,
                        m.level.as_deref().unwrap_or("-"),
                        m.title,
                        m.rule_id,
                        if m.correlation { " (correlation)" } else { "" }
                    );
                }
                println!(
                    "{} matches on {} events ({} records not normalised)",
                    lines.len(),
                    located.len(),
                    rejected
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
