//! The daemon's HTTP server (axum): `POST /webhook/{stream}` (and the named `splunk`, `kibana`,
//! `wazuh` ones) queue a JSON body into a stream with XADD, in the ASF wire format (one field,
//! `data`); `GET /healthz` and `GET /metrics` report on the daemon.
//!
//! Webhooks need `Authorization: Bearer <token>` (401 without, checked before the body is read),
//! a body within the size limit (413), JSON (400 with the parser's reason) and a stream this
//! daemon consumes (404 otherwise, so nothing is queued that no one reads). Only a body that
//! passed every check is queued.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::metrics::Metrics;
use super::{Settings, conn, streams};

/// What the handlers share.
struct Shared {
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    client: redis::Client,
    token: Option<String>,
    redis: Mutex<Option<ConnectionManager>>,
}

/// The router, with `token` the bearer token (None: every webhook is refused).
pub fn router(
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    client: redis::Client,
    token: Option<String>,
) -> Router {
    let limit = settings.body_limit;
    let shared = Arc::new(Shared {
        settings,
        metrics,
        client,
        token,
        redis: Mutex::new(None),
    });
    let hooks = Router::new()
        .route("/webhook/{stream}", post(queue))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), auth))
        .layer(DefaultBodyLimit::max(limit));
    Router::new()
        .merge(hooks)
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .with_state(shared)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({ "error": message.into() }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Constant-time comparison, so the token cannot be guessed a byte at a time.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn auth(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let ok = match (&shared.token, given) {
        (Some(token), Some(given)) => same(token.as_bytes(), given.as_bytes()),
        _ => false,
    };
    if !ok {
        shared.metrics.webhook_refused.fetch_add(1, Relaxed);
        let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    next.run(req).await
}

fn valid_stream_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":._-".contains(&b))
}

async fn queue(
    State(shared): State<Arc<Shared>>,
    Path(stream): Path<String>,
    _headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refuse = |status, message: String| {
        shared.metrics.webhook_refused.fetch_add(1, Relaxed);
        error(status, message)
    };
    if !valid_stream_name(&stream) || !streams::is_configured(&shared.settings.patterns, &stream) {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("stream `{stream}` is not consumed here (add it to redis.streams)"),
        );
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    let docs = match value {
        Value::Object(_) => vec![value],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => items,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "expected a JSON object or a non-empty array of objects".into(),
            );
        }
    };
    let mut redis = {
        let mut guard = shared.redis.lock().await;
        match guard.as_ref() {
            Some(c) => c.clone(),
            None => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(conn::CONNECT_TIMEOUT))
                    .set_response_timeout(Some(conn::CONNECT_TIMEOUT));
                match ConnectionManager::new_with_config(shared.client.clone(), config).await {
                    Ok(c) => guard.insert(c).clone(),
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook cannot reach Redis");
                        return error(StatusCode::SERVICE_UNAVAILABLE, "Redis is unavailable");
                    }
                }
            }
        }
    };
    let mut pipe = redis::pipe();
    pipe.atomic();
    for doc in &docs {
        pipe.cmd("XADD")
            .arg(&stream)
            .arg("*")
            .arg("data")
            .arg(doc.to_string());
    }
    match pipe.query_async::<Vec<String>>(&mut redis).await {
        Ok(ids) => {
            shared
                .metrics
                .webhook_accepted
                .fetch_add(ids.len() as u64, Relaxed);
            (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, "application/json")],
                json!({ "stream": stream, "ids": ids }).to_string(),
            )
                .into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, stream = %stream, "webhook XADD failed");
            error(StatusCode::SERVICE_UNAVAILABLE, "Redis is unavailable")
        }
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let up = shared.metrics.redis_up.load(Relaxed);
    let body = json!({
        "status": if up { "ok" } else { "degraded" },
        "redis": up,
        "consumer": shared.settings.consumer,
        "group": shared.settings.group,
    });
    (
        if up {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn prometheus(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(&shared.settings.group),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison_and_stream_names() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(valid_stream_name("alerts:wazuh"));
        assert!(!valid_stream_name("a b"));
        assert!(!valid_stream_name(""));
    }
}
