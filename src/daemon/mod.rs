//! The stream ingestion daemon (`tocsin --daemon`): Redis Streams consumer groups into the
//! store, webhooks into streams, dead letters, retention, health and metrics.
//!
//! [`Pipeline`] is the reusable piece: the consumer, the housekeeping task (stream health,
//! retention) and the HTTP server, all stopped by one `CancellationToken`. [`run`] is the
//! headless daemon around it: it takes the data dir's writer lock ([`lock`]), starts a tokio
//! runtime, and turns SIGTERM/SIGINT into a clean stop (the read in flight is stored and acked,
//! then exit). The console will take the same lock and run the same [`Pipeline`] in-process
//! when no daemon holds it.
//!
//! Ordering, per read: normalise -> one store transaction (events, alerts, rejected rows) ->
//! commit -> dead letters to `<stream>:dead` -> `XACK`. Ids derive from stream key and entry
//! id, so any redelivery is an upsert.

pub mod conn;
pub mod consumer;
pub mod deadletter;
pub mod entry;
pub mod lock;
pub mod metrics;
pub mod retention;
pub mod streams;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Loaded;
use crate::ingest::Options;
use crate::store::{Store, StoreError};

pub use metrics::Metrics;

/// Why the daemon could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("no Redis configured: set redis.url, TOCSIN_REDIS_URL or --redis-url")]
    NoRedis,
    #[error("no streams configured: set redis.streams or pass --stream NAME_OR_PATTERN")]
    NoStreams,
    #[error("Redis URL {url}: {reason}")]
    RedisUrl { url: String, reason: String },
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "another tocsin process (pid {holder}) is the writer of {data_dir}; one writer per data dir"
    )]
    LockHeld { data_dir: PathBuf, holder: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("webhook.listen `{addr}`: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("daemon task: {0}")]
    Task(String),
}

/// Called after each store commit with the entry ids it held, per stream (benchmarks, tests).
pub type Observer = Arc<dyn Fn(&BTreeMap<String, Vec<String>>) + Send + Sync>;

/// Everything the pipeline needs, checked once.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    /// Stream names and glob patterns.
    pub patterns: Vec<String>,
    pub group: String,
    /// This process's consumer name: unique per host and process.
    pub consumer: String,
    pub block: Duration,
    pub count: usize,
    pub claim_idle: Duration,
    pub rescan_interval: Duration,
    pub retention_days: u32,
    /// Where the HTTP server listens (None: no server).
    pub listen: Option<String>,
    /// The environment variable holding the webhook bearer token.
    pub token_env: String,
    pub body_limit: usize,
    pub database: PathBuf,
    pub busy_timeout: Duration,
    pub ingest: Options,
}

impl Settings {
    /// Settings from a loaded configuration (flags already applied to it).
    pub fn from_config(loaded: &Loaded) -> Result<Settings, DaemonError> {
        let c = &loaded.config;
        if c.redis.url.trim().is_empty() {
            return Err(DaemonError::NoRedis);
        }
        let patterns: Vec<String> = c
            .redis
            .streams
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if patterns.is_empty() {
            return Err(DaemonError::NoStreams);
        }
        Ok(Settings {
            url: c.redis.url.clone(),
            patterns,
            group: c.redis.group.clone(),
            consumer: consumer_name(),
            block: Duration::from_millis(c.redis.block_ms.max(1)),
            count: c.redis.count,
            claim_idle: loaded.resolved.claim_idle,
            rescan_interval: loaded.resolved.rescan_interval,
            retention_days: c.redis.retention_days,
            listen: Some(c.webhook.listen.trim().to_string()).filter(|l| !l.is_empty()),
            token_env: c.webhook.token_env.clone(),
            body_limit: c.webhook.body_limit,
            database: loaded.paths.database.clone(),
            busy_timeout: Duration::from_millis(c.store.busy_timeout_ms),
            ingest: Options::from_config(loaded),
        })
    }
}

/// `host:pid:start-ms`: unique per host and process, even when a pid is reused.
pub fn consumer_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        jiff::Timestamp::now().as_millisecond()
    )
}

/// A running pipeline: consumer, housekeeping and HTTP server.
pub struct Pipeline {
    tracker: TaskTracker,
    shutdown: CancellationToken,
    metrics: Arc<Metrics>,
    errors: tokio::sync::mpsc::UnboundedReceiver<DaemonError>,
    /// The address the HTTP server listens on, if it runs.
    pub listening: Option<std::net::SocketAddr>,
}

impl Pipeline {
    /// Opens the store and starts every task; they stop when `shutdown` is cancelled (or one of
    /// them fails: then the others are stopped too). The caller must hold the writer lock.
    pub async fn start(
        settings: Settings,
        shutdown: CancellationToken,
        observer: Option<Observer>,
    ) -> Result<Pipeline, DaemonError> {
        let client = conn::client(&settings.url)?;
        let store = Store::open(&settings.database, settings.busy_timeout)?;
        let writer = entry::Writer::new(store, settings.ingest.clone());
        let settings = Arc::new(settings);
        let metrics = Arc::new(Metrics::default());
        let tracker = TaskTracker::new();
        let (err_tx, errors) = tokio::sync::mpsc::unbounded_channel();

        let mut listening = None;
        if let Some(addr) = &settings.listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| DaemonError::Listen {
                    addr: addr.clone(),
                    source,
                })?;
            listening = listener.local_addr().ok();
            let token = std::env::var(&settings.token_env)
                .ok()
                .filter(|t| !t.trim().is_empty());
            if token.is_none() {
                tracing::warn!(
                    variable = %settings.token_env,
                    "no webhook token set: every webhook request will be refused"
                );
            }
            let app = webhook::router(
                Arc::clone(&settings),
                Arc::clone(&metrics),
                client.clone(),
                token,
            );
            let stop = shutdown.clone();
            let tx = err_tx.clone();
            tracing::info!(addr = ?listening, "HTTP server listening");
            tracker.spawn(async move {
                let served = axum::serve(listener, app)
                    .with_graceful_shutdown(stop.clone().cancelled_owned())
                    .await;
                if let Err(e) = served {
                    let _ = tx.send(DaemonError::Io {
                        what: "HTTP server".into(),
                        source: e,
                    });
                    stop.cancel();
                }
            });
        }

        let consumer = consumer::Consumer::new(
            client.clone(),
            Arc::clone(&settings),
            Arc::clone(&metrics),
            writer,
            observer,
        );
        let stop = shutdown.clone();
        let tx = err_tx.clone();
        tracker.spawn(async move {
            if let Err(e) = consumer.run(stop.clone()).await {
                tracing::error!(error = %e, "consumer failed");
                let _ = tx.send(e);
                stop.cancel();
            }
        });

        tracker.spawn(housekeeping(
            client,
            Arc::clone(&settings),
            Arc::clone(&metrics),
            shutdown.clone(),
        ));
        tracker.close();
        Ok(Pipeline {
            tracker,
            shutdown,
            metrics,
            errors,
            listening,
        })
    }

    /// The pipeline's counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Asks every task to stop (the read in flight is finished first).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// Waits until every task has stopped; the first task error, if any.
    pub async fn wait(mut self) -> Result<(), DaemonError> {
        self.tracker.wait().await;
        match self.errors.try_recv() {
            Ok(e) => Err(e),
            Err(_) => Ok(()),
        }
    }
}

/// Every rescan interval: stream health for `/metrics`, then retention.
async fn housekeeping(
    client: redis::Client,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    loop {
        let (c, s, m) = (client.clone(), Arc::clone(&settings), Arc::clone(&metrics));
        let done = tokio::task::spawn_blocking(move || -> Result<(), redis::RedisError> {
            let mut conn = conn::sync(&c, Duration::from_secs(5))?;
            let health = streams::health(&mut conn, &s.patterns)?;
            for h in &health {
                let trimmed = retention::trim(&mut conn, &h.stream, s.retention_days)?;
                if trimmed > 0 {
                    tracing::info!(stream = %h.stream, trimmed, "retention trimmed entries");
                }
            }
            m.set_streams(health);
            Ok(())
        })
        .await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "stream housekeeping failed"),
            Err(e) => tracing::warn!(error = %e, "stream housekeeping task failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(settings.rescan_interval) => {}
        }
    }
}

/// Opens the text index writer and the vector files for the daemon's pipeline. Without them
/// the daemon still stores everything (the store is the truth; `tocsin index rebuild` catches
/// the indexes up), so a failure here is logged, not fatal.
fn open_indexes(loaded: &Loaded, opts: &mut Options) {
    use std::sync::Mutex;
    let data_dir = &loaded.paths.data_dir;
    let writer = crate::index::TextIndex::open(&data_dir.join("index"))
        .and_then(|index| index.writer(INDEX_HEAP));
    match writer {
        Ok(w) => opts.index = Some(Arc::new(Mutex::new(w))),
        Err(e) => {
            tracing::error!(error = %e, "no full-text indexing: the daemon stores events only");
            return;
        }
    }
    let embed = &loaded.config.embed;
    if !embed.enabled {
        return;
    }
    let configured = (!embed.model_dir.as_os_str().is_empty()).then_some(embed.model_dir.as_path());
    let (embedder, fallback) = crate::embed::Embedder::load(configured);
    if let Some(why) = fallback {
        tracing::warn!(reason = %why, "no embedding model: using the lexical hashing embedder");
    }
    match crate::index::semantic::VectorSink::open(data_dir, Arc::new(embedder)) {
        Ok(sink) => opts.vectors = Some(Arc::new(Mutex::new(sink))),
        Err(e) => tracing::error!(error = %e, "no vectors: the daemon does not embed"),
    }
}

/// Indexing memory of the daemon's text index writer.
const INDEX_HEAP: usize = 64 * 1024 * 1024;

/// Runs the daemon until SIGTERM or SIGINT: takes the writer lock, starts the pipeline (with
/// `detector` run on every event), stops it cleanly. Blocks the calling thread.
pub fn run(
    loaded: &Loaded,
    detector: Option<Arc<crate::detect::Detector>>,
) -> Result<(), DaemonError> {
    let mut settings = Settings::from_config(loaded)?;
    settings.ingest.detector = detector;
    let data_dir = loaded.paths.data_dir.clone();
    let io = |what: &str| {
        let what = what.to_string();
        move |source| DaemonError::Io { what, source }
    };
    let _lock = lock::try_acquire(&data_dir)
        .map_err(io("writer lock"))?
        .ok_or_else(|| DaemonError::LockHeld {
            holder: lock::holder(&data_dir).unwrap_or_else(|| "?".into()),
            data_dir: data_dir.clone(),
        })?;
    open_indexes(loaded, &mut settings.ingest);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("tocsin-daemon")
        .enable_all()
        .build()
        .map_err(io("tokio runtime"))?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tracing::info!(
            url = %conn::redact(&settings.url),
            streams = ?settings.patterns,
            group = %settings.group,
            consumer = %settings.consumer,
            data_dir = %data_dir.display(),
            "daemon starting"
        );
        let pipeline = Pipeline::start(settings, shutdown.clone(), None).await?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(io("SIGTERM handler"))?;
        let stop = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
                _ = stop.cancelled() => {}
            }
            stop.cancel();
        });
        let result = pipeline.wait().await;
        tracing::info!("daemon stopped");
        result
    })
}
