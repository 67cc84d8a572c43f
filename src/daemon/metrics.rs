//! The daemon's counters and gauges, shared by its tasks and rendered as Prometheus text for
//! `GET /metrics`.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use super::streams::StreamHealth;

/// Upper bounds (seconds) of the batch latency histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Everything `/metrics` reports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Stream entries read (new and redelivered).
    pub entries_in: AtomicU64,
    /// Events written that the store did not have yet.
    pub events_stored: AtomicU64,
    /// Alerts raised (new or folded into an open one).
    pub alerts_raised: AtomicU64,
    /// Entries acknowledged.
    pub acked: AtomicU64,
    /// Entries sent to a dead-letter stream.
    pub dead_lettered: AtomicU64,
    /// Entries claimed from other consumers.
    pub claimed: AtomicU64,
    /// Webhook bodies queued / refused.
    pub webhook_accepted: AtomicU64,
    pub webhook_refused: AtomicU64,
    /// Whether the consumer's connection to Redis is up.
    pub redis_up: AtomicBool,
    batch_buckets: [AtomicU64; BUCKETS.len()],
    batch_count: AtomicU64,
    batch_micros: AtomicU64,
    streams: Mutex<Vec<StreamHealth>>,
}

impl Metrics {
    /// Records one batch's read-to-ack time.
    pub fn observe_batch(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.batch_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.batch_count.fetch_add(1, Relaxed);
        self.batch_micros
            .fetch_add(took.as_micros().min(u128::from(u64::MAX)) as u64, Relaxed);
    }

    /// Replaces the per-stream health (lag, pending, dead letters).
    pub fn set_streams(&self, health: Vec<StreamHealth>) {
        if let Ok(mut s) = self.streams.lock() {
            *s = health;
        }
    }

    /// The last per-stream health seen.
    pub fn streams(&self) -> Vec<StreamHealth> {
        self.streams.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Prometheus text exposition (version 0.0.4) of everything, `group` naming our group.
    pub fn render(&self, group: &str) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64); 8] = [
            (
                "tocsin_entries_in_total",
                "Stream entries read.",
                &self.entries_in,
            ),
            (
                "tocsin_events_stored_total",
                "Events stored that were new.",
                &self.events_stored,
            ),
            (
                "tocsin_alerts_raised_total",
                "Alerts raised or folded.",
                &self.alerts_raised,
            ),
            (
                "tocsin_entries_acked_total",
                "Stream entries acknowledged.",
                &self.acked,
            ),
            (
                "tocsin_dead_lettered_total",
                "Entries sent to a dead-letter stream.",
                &self.dead_lettered,
            ),
            (
                "tocsin_entries_claimed_total",
                "Entries claimed from idle consumers.",
                &self.claimed,
            ),
            (
                "tocsin_webhook_accepted_total",
                "Webhook bodies queued.",
                &self.webhook_accepted,
            ),
            (
                "tocsin_webhook_refused_total",
                "Webhook requests refused.",
                &self.webhook_refused,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP tocsin_redis_up Whether the consumer is connected to Redis.\n# TYPE tocsin_redis_up gauge\ntocsin_redis_up {}",
            u8::from(self.redis_up.load(Relaxed))
        );
        let name = "tocsin_batch_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from reading a batch to acknowledging it.\n# TYPE {name} histogram"
        );
        for (bound, bucket) in BUCKETS.iter().zip(&self.batch_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.batch_count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.batch_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
        let streams = self.streams();
        let gauges: [(&str, &str); 4] = [
            ("tocsin_stream_length", "Entries in the stream."),
            (
                "tocsin_stream_lag",
                "Entries not yet delivered to the group.",
            ),
            (
                "tocsin_stream_pending",
                "Entries delivered to the group, not acked.",
            ),
            (
                "tocsin_stream_dead",
                "Entries in the stream's dead-letter stream.",
            ),
        ];
        for (name, help) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for s in &streams {
                let g = s.group(group);
                let value = match name {
                    "tocsin_stream_length" => Some(s.length),
                    "tocsin_stream_lag" => g.and_then(|g| g.lag),
                    "tocsin_stream_pending" => g.map(|g| g.pending),
                    _ => Some(s.dead),
                };
                if let Some(v) = value {
                    let stream = s.stream.replace('\\', "\\\\").replace('"', "\\\"");
                    let _ = writeln!(out, "{name}{{stream=\"{stream}\",group=\"{group}\"}} {v}");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_streams() {
        let m = Metrics::default();
        m.entries_in.fetch_add(3, Relaxed);
        m.observe_batch(Duration::from_micros(1500));
        m.set_streams(vec![StreamHealth {
            stream: "wazuh".into(),
            length: 10,
            groups: vec![super::super::streams::GroupHealth {
                name: "g".into(),
                pending: 2,
                lag: Some(4),
                ..Default::default()
            }],
            dead: 1,
        }]);
        let text = m.render("g");
        assert!(text.contains("tocsin_entries_in_total 3"), "{text}");
        assert!(text.contains("tocsin_batch_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("tocsin_batch_seconds_bucket{le=\"0.002\"} 1"));
        assert!(text.contains("tocsin_stream_lag{stream=\"wazuh\",group=\"g\"} 4"));
        assert!(text.contains("tocsin_stream_pending{stream=\"wazuh\",group=\"g\"} 2"));
        assert!(text.contains("tocsin_stream_dead{stream=\"wazuh\",group=\"g\"} 1"));
    }
}
