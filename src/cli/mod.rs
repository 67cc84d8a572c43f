//! The `tocsin` command line: flags parsed with clap, validated into configuration, then one
//! subcommand run against the store. This is the edge: errors become `anyhow` here, and a
//! message plus a non-zero exit code for the user.

mod alerts;
mod attack;
mod bench;
mod bench_search;
mod bench_ui;
mod cases;
mod console;
mod dead;
mod ingest;
mod models;
mod output;
mod search;
mod sigma;
mod similar;
mod streams;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::config::{self, Loaded, Overrides};
use crate::store::Store;

/// tocsin: the SOC analyst's terminal console, its ingestion and its scriptable tools.
#[derive(Debug, Parser)]
#[command(name = "tocsin", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every subcommand takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Read this config file after the user's own (~/.config/tocsin/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use this data directory (database, indexes, logs) instead of the configured one.
    #[arg(long, global = true, value_name = "DIR", env = "TOCSIN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Record changes under this name instead of the OS user (service accounts, integrations).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub actor: Option<String>,
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Run the stream ingestion daemon (headless; stops cleanly on SIGTERM or SIGINT).
    #[arg(long, global = true)]
    pub daemon: bool,
    /// Redis URL for the daemon and the stream commands (overrides redis.url).
    #[arg(long, global = true, value_name = "URL")]
    pub redis_url: Option<String>,
    /// Open the console on the bundled demo incident, in a throwaway data dir (no Redis, no
    /// LLM needed).
    #[arg(long)]
    pub demo: bool,
    /// Open the console read-only: every action that changes alerts or cases is unbound.
    #[arg(long)]
    pub readonly: bool,
    /// A stream name or glob pattern to consume, besides redis.streams (repeatable).
    #[arg(long = "stream", global = true, value_name = "PATTERN")]
    pub streams: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the config files, data directory and log directory in use.
    Paths,
    /// Read log files, folders, gzip or stdin (`-`), normalise and store them.
    Ingest(ingest::IngestArgs),
    /// List, show and triage alerts.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Create, list, show, annotate and close cases.
    #[command(subcommand)]
    Cases(cases::CasesCommand),
    /// Show one stored event.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Records that could not be normalised, with their reasons.
    #[command(subcommand)]
    Rejects(RejectsCommand),
    /// Counts of events, alerts, cases and rejected records.
    Stats,
    /// Health of the configured Redis streams: length, lag, pending, dead letters.
    Streams,
    /// Stream entries that could not be normalised: list, replay or drop them.
    #[command(subcommand)]
    Dead(dead::DeadCommand),
    /// Benchmarks that print a table.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Check Sigma rule sets and test rules on event files.
    #[command(subcommand)]
    Sigma(sigma::SigmaCommand),
    /// ATT&CK techniques: look-up and roll-up over alerts.
    #[command(subcommand)]
    Attack(attack::AttackCommand),
    /// Write an ATT&CK Navigator layer (format 4.5) of a case or a time window to stdout.
    ExportLayer(attack::ScopeArgs),
    /// Search events in the full-text index (newest first).
    Search(search::SearchArgs),
    /// The search indexes of events (full text) and of templates and alerts (vectors).
    #[command(subcommand)]
    Index(search::IndexCommand),
    /// The alerts most like an alert, or the events most like an event (by meaning).
    Similar(similar::SimilarArgs),
    /// The models tocsin runs locally: where they are looked for, and fetching them.
    #[command(subcommand)]
    Models(models::ModelsCommand),
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print one event (id or unique prefix), raw input included.
    Show { id: String },
}

#[derive(Debug, Subcommand)]
pub enum RejectsCommand {
    /// List rejected records, newest first.
    List {
        /// Only records whose source contains this text.
        #[arg(long)]
        source: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tocsin: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What every command gets: configuration and where to print.
pub struct Env {
    pub loaded: Loaded,
    pub json: bool,
}

impl Env {
    fn open_store(&self) -> anyhow::Result<Store> {
        let busy = std::time::Duration::from_millis(self.loaded.config.store.busy_timeout_ms);
        Store::open(&self.loaded.paths.database, busy).with_context(|| {
            format!(
                "opening the store in {}",
                self.loaded.paths.data_dir.display()
            )
        })
    }

    fn actor(&self) -> &str {
        self.loaded.actor()
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let overrides = Overrides {
        config_file: cli.global.config.clone(),
        data_dir: cli.global.data_dir.clone(),
        actor: cli.global.actor.clone(),
        no_user_config: false,
    };
    let mut loaded = config::load(&overrides)?;
    if let Some(url) = &cli.global.redis_url {
        loaded.config.redis.url = url.clone();
    }
    loaded
        .config
        .redis
        .streams
        .extend(cli.global.streams.iter().cloned());
    let (_log, log_problem) = crate::logging::init(
        &loaded.paths.log_dir,
        &loaded.config.log.level,
        cli.global.daemon,
    );
    if let Some(problem) = log_problem {
        eprintln!("tocsin: warning: {problem}; logging is off");
    }
    let env = Env {
        loaded,
        json: cli.global.json,
    };
    if cli.global.daemon {
        crate::daemon::run(&env.loaded, sigma::detector_from_config(&env)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = cli.command else {
        return console::run(
            &env,
            console::ConsoleArgs {
                readonly: cli.global.readonly,
                demo: cli.global.demo,
            },
        );
    };
    if cli.global.demo {
        anyhow::bail!("--demo opens the console; it takes no subcommand");
    }
    match command {
        Command::Paths => paths(&env),
        Command::Ingest(args) => ingest::run(&env, args),
        Command::Sigma(cmd) => sigma::run(&env, cmd),
        Command::Attack(cmd) => attack::run(&env, cmd),
        Command::ExportLayer(scope) => attack::export_layer(&env, scope),
        Command::Alerts(cmd) => alerts::run(&env, cmd),
        Command::Cases(cmd) => cases::run(&env, cmd),
        Command::Events(EventsCommand::Show { id }) => {
            let store = env.open_store()?;
            let event = store.event(&id)?;
            if env.json {
                output::json(&event)?;
            } else {
                output::event_text(&event);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rejects(RejectsCommand::List { source, limit }) => {
            let store = env.open_store()?;
            let rows = store.rejects(source.as_deref(), limit)?;
            if env.json {
                output::json(&rows)?;
            } else {
                output::rejects_table(&rows);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats => {
            let store = env.open_store()?;
            let stats = store.stats()?;
            let dead = streams::dead_count(&env);
            if env.json {
                let mut value = serde_json::to_value(&stats)?;
                if let (Some(n), Some(obj)) = (dead, value.as_object_mut()) {
                    obj.insert("dead_letters".into(), n.into());
                }
                output::json(&value)?;
            } else {
                output::stats_text(&stats);
                if let Some(n) = dead {
                    println!("dead letters {n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Streams => streams::run(&env),
        Command::Dead(cmd) => dead::run(&env, cmd),
        Command::Bench(cmd) => bench::run(&env, cmd),
        Command::Search(args) => search::run(&env, args),
        Command::Index(cmd) => search::index(&env, cmd),
        Command::Similar(args) => similar::run(&env, args),
        Command::Models(cmd) => models::run(&env, cmd),
    }
}

#[derive(Serialize)]
struct PathsOut<'a> {
    user_config: Option<&'a PathBuf>,
    user_config_exists: bool,
    extra_config: Option<&'a PathBuf>,
    data_dir: &'a PathBuf,
    database: &'a PathBuf,
    log_dir: &'a PathBuf,
    actor: &'a str,
}

fn paths(env: &Env) -> anyhow::Result<ExitCode> {
    let p = &env.loaded.paths;
    let out = PathsOut {
        user_config: p.user_config.as_ref(),
        user_config_exists: p.user_config.as_ref().is_some_and(|c| c.exists()),
        extra_config: p.extra_config.as_ref(),
        data_dir: &p.data_dir,
        database: &p.database,
        log_dir: &p.log_dir,
        actor: env.actor(),
    };
    if env.json {
        output::json(&out)?;
    } else {
        let show = |p: Option<&PathBuf>| {
            p.map(|p| p.display().to_string())
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "config      {}{}",
            show(out.user_config),
            if out.user_config_exists {
                ""
            } else {
                " (absent)"
            }
        );
        println!("--config    {}", show(out.extra_config));
        println!("data dir    {}", out.data_dir.display());
        println!("database    {}", out.database.display());
        println!("log dir     {}", out.log_dir.display());
        println!("actor       {}", out.actor);
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses a time flag: RFC 3339 (`2026-11-20T08:00:00Z`), a date (`2026-11-20`, UTC midnight),
/// or an age (`90m`, `24h`, `7d`) meaning that long before now.
pub fn parse_time(s: &str) -> anyhow::Result<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Ok(d.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    let age = s
        .strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .map(|days| jiff::SignedDuration::from_hours(days * 24))
        .or_else(|| s.parse::<jiff::SignedDuration>().ok());
    match age {
        Some(age) => Ok(jiff::Timestamp::now().checked_sub(age)?),
        None => anyhow::bail!(
            "`{s}` is not a time: use 2026-11-20T08:00:00Z, 2026-11-20, or an age like 24h or 7d"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_valid() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn time_flags() {
        assert_eq!(parse_time("2026-11-20").unwrap().as_second(), 1795132800);
        assert!(parse_time("2026-11-20T08:00:00Z").is_ok());
        let day_ago = parse_time("1d").unwrap();
        let diff = jiff::Timestamp::now().as_second() - day_ago.as_second();
        assert!((86_399..=86_401).contains(&diff));
        assert!(parse_time("24h").is_ok());
        assert!(
            parse_time("last tuesday")
                .unwrap_err()
                .to_string()
                .contains("not a time")
        );
    }
}
