//! Configuration: built-in defaults, then the user's `config.toml`, then `--config FILE`, then
//! `TOCSIN_*` environment variables, then command-line flags; validated into [`Config`].
//!
//! Every layer is checked on its own, so an error names the file (or variable), the key and
//! what was expected. `config.example.toml` at the repository root documents every key with its
//! default, and a test keeps it equal to [`Config::default`].

mod console;
mod env;
mod grouping;

pub use console::{CasesConfig, GroupRuleConfig, UiConfig};

pub use env::{var_name, variables};

/// `[llm]`: defined beside the providers it configures.
pub use crate::llm::LlmConfig;

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, tz::TimeZone};
use serde::{Deserialize, Serialize};

use crate::normalize::FieldMap;

/// The example file shipped with tocsin: every key, with its default value.
pub const EXAMPLE: &str = include_str!("../../config.example.toml");

/// Why configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: key `{key}`: {message}")]
    Invalid {
        /// `path/to/config.toml:LINE:COL`, or `environment variable TOCSIN_X`.
        origin: String,
        key: String,
        message: String,
    },
    #[error("{origin}: {message}")]
    Syntax { origin: String, message: String },
}

/// Everything tocsin can be configured with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the database, indexes and logs live. Empty: the platform's data directory.
    pub data_dir: PathBuf,
    /// The name changes are recorded under. Empty: the OS user.
    pub actor: String,
    pub log: LogConfig,
    pub store: StoreConfig,
    pub ingest: IngestConfig,
    pub alerts: AlertsConfig,
    pub detect: DetectConfig,
    pub embed: EmbedConfig,
    pub llm: LlmConfig,
    pub redis: RedisConfig,
    pub webhook: WebhookConfig,
    pub ui: UiConfig,
    pub cases: CasesConfig,
}

/// `[redis]`: the stream daemon's source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. Empty: no Redis.
    pub url: String,
    /// Stream names or glob patterns (`alerts:*`) to consume; rescanned periodically.
    pub streams: Vec<String>,
    /// The consumer group every daemon of this deployment joins.
    pub group: String,
    /// How long one XREADGROUP waits for entries, in milliseconds.
    pub block_ms: u64,
    /// Entries read per stream per XREADGROUP (one store transaction).
    pub count: usize,
    /// Entries pending this long with another consumer are claimed (a dead daemon's work).
    pub claim_idle: String,
    /// How often stream patterns are rescanned and stream health refreshed.
    pub rescan_interval: String,
    /// Entries older than this many days, and acked by every group, are trimmed. 0: never.
    pub retention_days: u32,
}

/// `[webhook]`: the daemon's HTTP intake, health and metrics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Address to listen on. Empty: no HTTP server.
    pub listen: String,
    /// The environment variable holding the bearer token webhook callers must send.
    pub token_env: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A `tracing` filter: `error`, `warn`, `info`, `debug`, `trace`, or `tocsin=debug,warn`.
    pub level: String,
    /// Where log files go. Empty: `<data_dir>/logs`.
    pub dir: PathBuf,
}

/// `[store]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// How long a writer waits for another process's transaction, in milliseconds.
    pub busy_timeout_ms: u64,
}

/// `[ingest]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Year for timestamps that have none (RFC 3164 syslog). 0: from the file's modification
    /// time (a line that would then lie in the future goes to the year before).
    pub year: i16,
    /// IANA time zone of timestamps that carry none.
    pub timezone: String,
    /// Records per store transaction.
    pub batch_size: usize,
    /// How generic JSON maps onto event fields.
    pub field_map: FieldMap,
}

/// `[detect]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Run Sigma detection on every ingested event.
    pub enabled: bool,
    /// Load tocsin's own rules (embedded in the binary; `data/rules/` in the source tree).
    pub builtin_rules: bool,
    /// Folders (or files) of Sigma rules, SigmaHQ layout, loaded recursively.
    pub rules: Vec<PathBuf>,
    /// A TOML file of logsource routes replacing the built-in ones for the logsources it names.
    /// Empty: the built-in mapping only.
    pub mapping: PathBuf,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            enabled: true,
            builtin_rules: true,
            rules: Vec::new(),
            mapping: PathBuf::new(),
        }
    }
}

/// `[embed]`: the sentence encoder behind `m` (more like this), `~"semantic"` queries and
/// `tocsin similar`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    /// Embed log templates and alerts while ingesting (into `<data_dir>/vectors/`).
    pub enabled: bool,
    /// The all-MiniLM-L6-v2 folder (model.safetensors, config.json, tokenizer.json). Empty: the
    /// user's cache (`tocsin models fetch` puts it there).
    pub model_dir: PathBuf,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        EmbedConfig {
            enabled: true,
            model_dir: PathBuf::new(),
        }
    }
}

/// `[alerts]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Alerts with the same group key (rule + host + user + source address) that arrive within
    /// this window of the last one fold into it and count up. `0s` turns folding off.
    pub dedup_window: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::new(),
            actor: String::new(),
            log: LogConfig::default(),
            store: StoreConfig::default(),
            ingest: IngestConfig::default(),
            alerts: AlertsConfig::default(),
            detect: DetectConfig::default(),
            embed: EmbedConfig::default(),
            llm: LlmConfig::default(),
            redis: RedisConfig::default(),
            webhook: WebhookConfig::default(),
            ui: UiConfig::default(),
            cases: CasesConfig::default(),
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig {
            url: String::new(),
            streams: Vec::new(),
            group: "tocsin".into(),
            block_ms: 2_000,
            count: 500,
            claim_idle: "60s".into(),
            rescan_interval: "30s".into(),
            retention_days: 7,
        }
    }
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            listen: "127.0.0.1:8787".into(),
            token_env: "TOCSIN_WEBHOOK_TOKEN".into(),
            body_limit: 1_048_576,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            dir: PathBuf::new(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            busy_timeout_ms: 10_000,
        }
    }
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            year: 0,
            timezone: "UTC".into(),
            batch_size: 2_000,
            field_map: FieldMap::default(),
        }
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            dedup_window: "1h".into(),
        }
    }
}

/// Values parsed out of the configuration's strings, checked once at load.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub timezone: TimeZone,
    pub dedup_window: SignedDuration,
    /// `redis.claim_idle`.
    pub claim_idle: std::time::Duration,
    /// `redis.rescan_interval`.
    pub rescan_interval: std::time::Duration,
    /// `cases.group_window`.
    pub case_group_window: SignedDuration,
    /// `cases.group_window` and `cases.group_by`: how escalations group by default.
    pub case_group: crate::store::GroupRule,
    /// `cases.group_rules`, in order: each rule pattern with its grouping (the section's
    /// window and kinds filled in where the entry leaves them empty).
    pub case_group_rules: Vec<(String, crate::store::GroupRule)>,
}

/// Where things live, after defaults and overrides.
#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    /// The per-user config file looked at (it may not exist).
    pub user_config: Option<PathBuf>,
    /// The per-user config directory (`keymap.toml`, `themes/`), when the platform has one and
    /// the user's files are read.
    pub config_dir: Option<PathBuf>,
    /// The `--config` file, if one was given.
    pub extra_config: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub log_dir: PathBuf,
}

/// What the command line says about configuration.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub actor: Option<String>,
    /// Skip the per-user config file (tests, `--demo`).
    pub no_user_config: bool,
}

/// A loaded, validated configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub resolved: Resolved,
    pub paths: Paths,
}

impl Loaded {
    /// The actor changes are recorded under.
    pub fn actor(&self) -> &str {
        &self.config.actor
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "tocsin")
}

/// Loads every layer, in order, from the real environment.
pub fn load(overrides: &Overrides) -> Result<Loaded, ConfigError> {
    load_with_env(overrides, std::env::vars())
}

/// Loads every layer with the given environment (tests pass their own).
pub fn load_with_env(
    overrides: &Overrides,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Loaded, ConfigError> {
    let dirs = project_dirs();
    let user_config = if overrides.no_user_config {
        None
    } else {
        dirs.as_ref().map(|d| d.config_dir().join("config.toml"))
    };

    let mut merged = toml::Table::new();
    if let Some(path) = user_config.as_ref().filter(|p| p.exists()) {
        merge(&mut merged, read_layer(path)?);
    }
    if let Some(path) = &overrides.config_file {
        merge(&mut merged, read_layer(path)?);
    }
    env::apply(&mut merged, vars)?;
    let mut config: Config =
        toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Syntax {
                origin: "configuration".into(),
                message: e.to_string(),
            })?;

    if let Some(dir) = &overrides.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(actor) = &overrides.actor {
        config.actor = actor.clone();
    }
    if config.actor.trim().is_empty() {
        config.actor = os_user();
    }
    if config.data_dir.as_os_str().is_empty() {
        config.data_dir = dirs
            .as_ref()
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".tocsin"));
    }
    if config.log.dir.as_os_str().is_empty() {
        config.log.dir = config.data_dir.join("logs");
    }
    let resolved = validate(&config)?;
    let config_dir = user_config
        .as_ref()
        .and_then(|c| c.parent().map(Path::to_path_buf));
    let paths = Paths {
        user_config,
        config_dir,
        extra_config: overrides.config_file.clone(),
        database: config.data_dir.join("tocsin.db"),
        data_dir: config.data_dir.clone(),
        log_dir: config.log.dir.clone(),
    };
    Ok(Loaded {
        config,
        resolved,
        paths,
    })
}

/// The OS user running tocsin (falls back to `$USER`, then `unknown`).
pub fn os_user() -> String {
    whoami::username()
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Reads one file layer and checks it alone, so errors name this file.
fn read_layer(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    check_layer(&text, &path.display().to_string())
}

/// Parses a layer's text and checks it against [`Config`]; `origin` names it in errors.
pub fn check_layer(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    let at = |span: Option<std::ops::Range<usize>>| match span {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("{origin}:{line}:{col}")
        }
        None => origin.to_string(),
    };
    let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::Syntax {
        origin: at(e.span()),
        message: e.message().to_string(),
    })?;
    let checked: Result<Config, _> = serde_path_to_error::deserialize(de);
    if let Err(e) = checked {
        let key = e.path().to_string();
        let inner = e.into_inner();
        return Err(ConfigError::Invalid {
            origin: at(inner.span()),
            key,
            message: inner.message().to_string(),
        });
    }
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            origin: at(e.span()),
            message: e.message().to_string(),
        })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|p| p + 1).unwrap_or(0) + 1;
    (line, col)
}

/// Deep-merges `layer` into `base`: tables merge per key, everything else replaces.
fn merge(base: &mut toml::Table, layer: toml::Table) {
    for (key, value) in layer {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(l)) => merge(b, l),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// Checks the values whose type alone does not say they are valid.
fn validate(config: &Config) -> Result<Resolved, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        origin: "configuration".into(),
        key: key.into(),
        message,
    };
    let timezone = TimeZone::get(&config.ingest.timezone).map_err(|e| {
        invalid(
            "ingest.timezone",
            format!(
                "`{}` is not an IANA time zone ({e})",
                config.ingest.timezone
            ),
        )
    })?;
    let dedup_window: SignedDuration = config.alerts.dedup_window.parse().map_err(|e| {
        invalid(
            "alerts.dedup_window",
            format!(
                "`{}` is not a duration like `90s`, `15m` or `1h` ({e})",
                config.alerts.dedup_window
            ),
        )
    })?;
    if dedup_window.is_negative() {
        return Err(invalid(
            "alerts.dedup_window",
            "must not be negative".into(),
        ));
    }
    let positive = |key: &str, value: &str| -> Result<std::time::Duration, ConfigError> {
        let d: SignedDuration = value.parse().map_err(|e| {
            invalid(
                key,
                format!("`{value}` is not a duration like `500ms`, `90s` or `5m` ({e})"),
            )
        })?;
        std::time::Duration::try_from(d)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| invalid(key, "must be more than zero".into()))
    };
    let claim_idle = positive("redis.claim_idle", &config.redis.claim_idle)?;
    let rescan_interval = positive("redis.rescan_interval", &config.redis.rescan_interval)?;
    if config.redis.count == 0 {
        return Err(invalid("redis.count", "must be at least 1".into()));
    }
    if config.redis.group.trim().is_empty() {
        return Err(invalid("redis.group", "must not be empty".into()));
    }
    if config.ingest.batch_size == 0 {
        return Err(invalid("ingest.batch_size", "must be at least 1".into()));
    }
    if config
        .log
        .level
        .parse::<tracing_subscriber::EnvFilter>()
        .is_err()
    {
        return Err(invalid(
            "log.level",
            format!(
                "`{}` is not a log filter like `info` or `tocsin=debug`",
                config.log.level
            ),
        ));
    }
    if let Err((key, message)) = config.llm.check() {
        return Err(invalid(key, message));
    }
    let (case_group_window, case_group, case_group_rules) =
        grouping::validate_cases(&config.cases)?;
    Ok(Resolved {
        timezone,
        dedup_window,
        claim_idle,
        rescan_interval,
        case_group_window,
        case_group,
        case_group_rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides_with(file: &Path) -> Overrides {
        Overrides {
            config_file: Some(file.to_path_buf()),
            no_user_config: true,
            ..Default::default()
        }
    }

    #[test]
    fn example_file_is_exactly_the_defaults() {
        let parsed: Config = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(parsed, Config::default());
        // And every default key is written in the example (nothing undocumented).
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        let example: toml::Value = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(env::leaves(&defaults), env::leaves(&example));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(
            &file,
            "actor = \"x\"\n[ingest]\ntimezone = \"UTC\"\nyeer = 2024\n",
        )
        .unwrap();
        let err = load_with_env(&overrides_with(&file), [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml:4:1"), "{err}");
        assert!(err.contains("ingest.yeer"), "{err}");
        assert!(err.contains("unknown field"), "{err}");
        assert!(err.contains("expected one of"), "{err}");
    }

    #[test]
    fn wrong_type_names_key_and_expectation() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "[store]\nbusy_timeout_ms = \"soon\"\n").unwrap();
        let err = load_with_env(&overrides_with(&file), [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.toml:2:"), "{err}");
        assert!(err.contains("store.busy_timeout_ms"), "{err}");
        assert!(err.contains("invalid type"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[ingest]\ntimezone = \"Mars/Olympus\"\n").unwrap();
        let err = load_with_env(&overrides_with(&file), [])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ingest.timezone") && err.contains("Mars/Olympus"),
            "{err}"
        );
        std::fs::write(&file, "[alerts]\ndedup_window = \"a while\"\n").unwrap();
        let err = load_with_env(&overrides_with(&file), [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("alerts.dedup_window"), "{err}");
        std::fs::write(&file, "[log\n").unwrap();
        let err = load_with_env(&overrides_with(&file), [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("c.toml:1:"), "{err}");
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "actor = \"file\"\n[ingest]\nbatch_size = 10\ntimezone = \"Europe/Paris\"\n",
        )
        .unwrap();
        let env = [("TOCSIN_INGEST_BATCH_SIZE".to_string(), "20".to_string())];
        let mut o = overrides_with(&file);
        o.data_dir = Some(dir.path().join("data"));
        let l = load_with_env(&o, env).unwrap();
        assert_eq!(l.config.actor, "file");
        assert_eq!(l.config.ingest.batch_size, 20);
        assert_eq!(l.config.ingest.timezone, "Europe/Paris");
        assert_eq!(l.paths.database, dir.path().join("data/tocsin.db"));
        assert_eq!(l.paths.log_dir, dir.path().join("data/logs"));
        o.actor = Some("svc-soar".into());
        assert_eq!(load_with_env(&o, []).unwrap().config.actor, "svc-soar");
    }

    #[test]
    fn missing_config_file_is_an_error() {
        let o = overrides_with(Path::new("/nonexistent/tocsin.toml"));
        let err = load_with_env(&o, []).unwrap_err().to_string();
        assert!(
            err.contains("/nonexistent/tocsin.toml: cannot read"),
            "{err}"
        );
    }
}
