//! The consumer: one loop per process that reads its group's entries from every configured
//! stream (`XREADGROUP` with BLOCK and COUNT), writes each read to the store in one transaction,
//! dead-letters what could not be normalised, and only then acknowledges the read (`XACK`).
//!
//! It also claims entries another consumer has left pending longer than `claim_idle`
//! (`XAUTOCLAIM`), re-reads its own pending entries after every reconnect, rescans the stream
//! patterns, and reconnects with backoff when Redis goes away. Whatever happens between commit
//! and ack, the entry is delivered again and the write is an upsert: nothing is lost and nothing
//! is stored twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamAutoClaimReply, StreamReadReply};
use redis::{Client, RedisError};
use tokio_util::sync::CancellationToken;

use super::entry::{Entry, Writer, Written};

/// How long a read blocks while the text index has uncommitted events.
const INDEX_WAIT: Duration = Duration::from_millis(500);
use super::metrics::Metrics;
use super::{DaemonError, Observer, Settings, conn, deadletter, streams};

/// How one step failed.
enum StepError {
    /// Redis is gone or refused a command: reconnect, then re-read our pending entries.
    Redis(RedisError),
    /// The store refused the batch: nothing was acked; retry after a pause.
    Store(crate::store::StoreError),
    /// A fatal problem (a task that could not run).
    Fatal(DaemonError),
}

/// The consumer loop's state.
pub struct Consumer {
    client: Client,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    observer: Option<Observer>,
    writer: Option<Writer>,
    streams: Vec<String>,
    claim_cursors: BTreeMap<String, String>,
}

impl Consumer {
    /// A consumer writing through `writer`.
    pub fn new(
        client: Client,
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
        writer: Writer,
        observer: Option<Observer>,
    ) -> Consumer {
        Consumer {
            client,
            settings,
            metrics,
            observer,
            writer: Some(writer),
            streams: Vec::new(),
            claim_cursors: BTreeMap::new(),
        }
    }

    /// Runs until `shutdown` is cancelled, finishing the read in flight (stored and acked)
    /// before returning.
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), DaemonError> {
        let s = Arc::clone(&self.settings);
        let mut backoff = conn::Backoff::default();
        let mut connection: Option<MultiplexedConnection> = None;
        // Entries already delivered to us (a failed ack, a dropped reply) come first.
        let mut recover_own = true;
        let mut next_rescan = Instant::now();
        let mut next_claim = Instant::now();
        tracing::info!(consumer = %s.consumer, group = %s.group, "consumer started");
        while !shutdown.is_cancelled() {
            let c = match connection.as_mut() {
                Some(c) => c,
                None => match conn::blocking(&self.client).await {
                    Ok(c) => {
                        self.metrics.redis_up.store(true, Relaxed);
                        backoff.reset();
                        tracing::info!("connected to Redis");
                        connection.insert(c)
                    }
                    Err(e) => {
                        self.metrics.redis_up.store(false, Relaxed);
                        let wait = backoff.next_delay();
                        tracing::warn!(error = %e, retry_in = ?wait, "cannot reach Redis");
                        pause(&shutdown, wait).await;
                        continue;
                    }
                },
            };
            if Instant::now() >= next_rescan {
                match self.rescan().await {
                    Ok(()) => next_rescan = Instant::now() + s.rescan_interval,
                    Err(e) => {
                        tracing::warn!(error = %e, "stream rescan failed");
                        next_rescan = Instant::now() + backoff.next_delay();
                    }
                }
            }
            if self.streams.is_empty() {
                pause(&shutdown, s.block.min(s.rescan_interval)).await;
                continue;
            }
            let step = if recover_own {
                read(c, &s, &self.streams, "0", None).await
            } else if Instant::now() >= next_claim {
                let claimed = self.claim(c).await;
                let more = self.claim_cursors.values().any(|cur| cur != "0-0");
                next_claim = Instant::now()
                    + if more {
                        Duration::ZERO
                    } else {
                        (s.claim_idle / 2).max(Duration::from_millis(200))
                    };
                claimed
            } else {
                // Events waiting in the text index: come back soon to commit them, so they
                // are searchable within about a second.
                let block = if self.writer.as_ref().is_some_and(|w| w.index_pending()) {
                    s.block.min(INDEX_WAIT)
                } else {
                    s.block
                };
                let mut step = read(c, &s, &self.streams, ">", Some(block)).await;
                // A backlog: gather reads up to one store transaction's worth (fewer commits).
                // A failed follow-up read is left to the next iteration (its entries, if any
                // were delivered, are re-read from our pending list after the reconnect).
                if let Ok(entries) = &mut step {
                    while entries.len() >= s.count && entries.len() < s.ingest.batch_size {
                        match read(c, &s, &self.streams, ">", None).await {
                            Ok(more) if !more.is_empty() => entries.extend(more),
                            Ok(_) => break,
                            Err(e) => {
                                tracing::debug!(error = %e, "follow-up read failed");
                                break;
                            }
                        }
                    }
                }
                step
            };
            let entries = match step {
                Ok(entries) => entries,
                Err(e) => {
                    if conn::is_no_group(&e) {
                        tracing::warn!(error = %e, "a stream or its group is gone: recreating");
                        next_rescan = Instant::now();
                    } else if conn::is_connection_error(&e) {
                        tracing::warn!(error = %e, "lost Redis: reconnecting");
                        self.metrics.redis_up.store(false, Relaxed);
                        connection = None;
                        recover_own = true;
                        pause(&shutdown, backoff.next_delay()).await;
                    } else {
                        tracing::warn!(error = %e, "stream read failed");
                        pause(&shutdown, backoff.next_delay()).await;
                    }
                    continue;
                }
            };
            if entries.is_empty() {
                recover_own = false;
                self.flush_indexes().await;
                continue;
            }
            match self.handle(c, entries).await {
                Ok(()) => backoff.reset(),
                Err(StepError::Redis(e)) => {
                    tracing::warn!(error = %e, "Redis failed after the store commit: the read will be delivered again");
                    if conn::is_no_group(&e) {
                        next_rescan = Instant::now();
                    } else {
                        connection = None;
                        self.metrics.redis_up.store(false, Relaxed);
                    }
                    recover_own = true;
                    pause(&shutdown, backoff.next_delay()).await;
                }
                Err(StepError::Store(e)) => {
                    tracing::error!(error = %e, "store write failed: nothing acked, retrying");
                    recover_own = true;
                    pause(&shutdown, backoff.next_delay()).await;
                }
                Err(StepError::Fatal(e)) => return Err(e),
            }
        }
        self.flush_indexes().await;
        tracing::info!(consumer = %s.consumer, "consumer stopped");
        Ok(())
    }

    /// Commits the text index and publishes the vectors, off the async threads.
    async fn flush_indexes(&mut self) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        match tokio::task::spawn_blocking(move || {
            writer.flush_indexes();
            writer
        })
        .await
        {
            Ok(writer) => self.writer = Some(writer),
            Err(e) => tracing::error!(error = %e, "the index flush task failed"),
        }
    }

    /// Resolves the stream patterns and makes sure each stream has our group.
    async fn rescan(&mut self) -> Result<(), DaemonError> {
        let client = self.client.clone();
        let settings = Arc::clone(&self.settings);
        let found = tokio::task::spawn_blocking(move || -> Result<Vec<String>, RedisError> {
            let mut c = conn::sync(&client, Duration::from_secs(5))?;
            let found = streams::resolve(&mut c, &settings.patterns)?;
            for stream in &found {
                streams::ensure_group(&mut c, stream, &settings.group)?;
            }
            Ok(found)
        })
        .await
        .map_err(|e| DaemonError::Task(e.to_string()))??;
        if found != self.streams {
            tracing::info!(streams = ?found, "consuming streams");
        }
        self.claim_cursors.retain(|k, _| found.contains(k));
        self.streams = found;
        Ok(())
    }

    /// Claims entries idle longer than `claim_idle` in any consumer's pending list.
    async fn claim(&mut self, c: &mut MultiplexedConnection) -> Result<Vec<Entry>, RedisError> {
        let s = &self.settings;
        let mut out = Vec::new();
        for stream in &self.streams {
            let start = self
                .claim_cursors
                .get(stream)
                .cloned()
                .unwrap_or_else(|| "0-0".into());
            let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
                .arg(stream)
                .arg(&s.group)
                .arg(&s.consumer)
                .arg(s.claim_idle.as_millis() as u64)
                .arg(&start)
                .arg("COUNT")
                .arg(s.count)
                .query_async(c)
                .await?;
            self.claim_cursors
                .insert(stream.clone(), reply.next_stream_id.clone());
            if !reply.claimed.is_empty() {
                tracing::info!(stream = %stream, entries = reply.claimed.len(), "claimed idle entries");
                self.metrics
                    .claimed
                    .fetch_add(reply.claimed.len() as u64, Relaxed);
            }
            out.extend(
                reply
                    .claimed
                    .into_iter()
                    .map(|e| Entry::from_reply(stream, e)),
            );
        }
        Ok(out)
    }

    /// Stores one read, dead-letters its failures, then acks it.
    async fn handle(
        &mut self,
        c: &mut MultiplexedConnection,
        entries: Vec<Entry>,
    ) -> Result<(), StepError> {
        let started = Instant::now();
        self.metrics
            .entries_in
            .fetch_add(entries.len() as u64, Relaxed);
        let Some(mut writer) = self.writer.take() else {
            return Err(StepError::Fatal(DaemonError::Task(
                "the store writer was lost".into(),
            )));
        };
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let r = writer.write(&entries);
            (writer, r)
        })
        .await
        .map_err(|e| StepError::Fatal(DaemonError::Task(e.to_string())))?;
        self.writer = Some(writer);
        let written: Written = result.map_err(StepError::Store)?;
        if let Some(observer) = &self.observer {
            observer(&written.acks);
        }
        for dead in &written.dead {
            tracing::warn!(stream = %dead.stream, id = %dead.id, reason = %dead.reason, "dead letter");
            deadletter::push(c, dead).await.map_err(StepError::Redis)?;
        }
        let mut acked = 0;
        for (stream, ids) in &written.acks {
            let n: u64 = redis::cmd("XACK")
                .arg(stream)
                .arg(&self.settings.group)
                .arg(ids)
                .query_async(c)
                .await
                .map_err(StepError::Redis)?;
            acked += n;
        }
        let m = &self.metrics;
        m.acked.fetch_add(acked, Relaxed);
        m.dead_lettered
            .fetch_add(written.dead.len() as u64, Relaxed);
        m.events_stored
            .fetch_add(written.outcome.new_events, Relaxed);
        m.alerts_raised.fetch_add(
            written.outcome.new_alerts + written.outcome.folded_alerts,
            Relaxed,
        );
        m.observe_batch(started.elapsed());
        tracing::debug!(
            entries = written.acks.values().map(Vec::len).sum::<usize>(),
            new_events = written.outcome.new_events,
            dead = written.dead.len(),
            took = ?started.elapsed(),
            "batch stored and acked"
        );
        Ok(())
    }
}

/// `XREADGROUP` over every stream from `id` (`>` for new entries, `0` for our own pending).
async fn read(
    c: &mut MultiplexedConnection,
    s: &Settings,
    keys: &[String],
    id: &str,
    block: Option<Duration>,
) -> Result<Vec<Entry>, RedisError> {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP")
        .arg(&s.group)
        .arg(&s.consumer)
        .arg("COUNT")
        .arg(s.count);
    if let Some(block) = block {
        cmd.arg("BLOCK").arg(block.as_millis().max(1) as u64);
    }
    cmd.arg("STREAMS").arg(keys);
    for _ in keys {
        cmd.arg(id);
    }
    let reply: Option<StreamReadReply> = cmd.query_async(c).await?;
    Ok(reply
        .map(|r| {
            r.keys
                .into_iter()
                .flat_map(|k| {
                    let key = k.key;
                    k.ids
                        .into_iter()
                        .map(move |e| Entry::from_reply(&key, e))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Sleeps `d`, or less if shutdown comes first.
async fn pause(shutdown: &CancellationToken, d: Duration) {
    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = tokio::time::sleep(d) => {}
    }
}
