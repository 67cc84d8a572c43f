//! Connections to Redis: the client from a URL, a blocking-read connection without the reply
//! timeout (an `XREADGROUP BLOCK` outlives the crate's default 500 ms), short-lived synchronous
//! connections for housekeeping and the CLI, and the backoff used while Redis is away.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};

use super::DaemonError;

/// How long connecting may take before it counts as a failure.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A client for `url` (`redis://` or `rediss://`; AUTH from the URL's user and password).
pub fn client(url: &str) -> Result<Client, DaemonError> {
    if url.trim().is_empty() {
        return Err(DaemonError::NoRedis);
    }
    #[cfg(feature = "tls")]
    if url.starts_with("rediss://") {
        // rustls needs a process-wide crypto provider; a second install is a harmless no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    Client::open(url).map_err(|e| DaemonError::RedisUrl {
        url: redact(url),
        reason: e.to_string(),
    })
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// An async connection with no reply timeout, for blocking reads (and everything the consumer
/// does in sequence with them).
pub async fn blocking(client: &Client) -> Result<MultiplexedConnection, RedisError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(None);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// A synchronous connection whose every reply must come within `timeout`.
pub fn sync(client: &Client, timeout: Duration) -> Result<redis::Connection, RedisError> {
    let conn = client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))?;
    Ok(conn)
}

/// True when the error means the connection is gone (reconnect), not that a command was wrong.
pub fn is_connection_error(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_unrecoverable_error()
}

/// True for Redis's `NOGROUP` (the stream or its group is gone: create them again).
pub fn is_no_group(e: &RedisError) -> bool {
    e.code() == Some("NOGROUP")
}

/// Exponential backoff from 100 ms to 5 s.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(100),
        }
    }
}

impl Backoff {
    /// The delay to wait now; the next one doubles.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(Duration::from_secs(5));
        d
    }

    /// Back to the shortest delay (after a success).
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("redis://:s3cret@10.0.0.1:6379/0"),
            "redis://:***@10.0.0.1:6379/0"
        );
        assert_eq!(
            redact("rediss://svc:pw@cache:6380"),
            "rediss://svc:***@cache:6380"
        );
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
        assert_eq!(b.next_delay(), Duration::from_millis(200));
        for _ in 0..10 {
            b.next_delay();
        }
        assert_eq!(b.next_delay(), Duration::from_secs(5));
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
