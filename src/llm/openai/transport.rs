//! async-openai's HTTP layer for servers that are not OpenAI: no `Authorization` header
//! without a key, tocsin's retry policy, and error answers kept with their status whatever
//! shape their body has.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_openai::config::{Config, OpenAIConfig};
use async_openai::error::{ApiError, ApiErrorResponse, OpenAIError};
use async_openai::middleware::HttpRequestFactory;
use reqwest::header::{AUTHORIZATION, HeaderMap};
use serde_json::Value;

use crate::llm::select::with_retries;

/// `OpenAIConfig` without the `Authorization` header when there is no key (a local server),
/// rather than `Bearer ` with nothing after it.
#[derive(Debug, Clone)]
pub(super) struct ServerConfig {
    pub inner: OpenAIConfig,
    pub keyed: bool,
}

impl Config for ServerConfig {
    fn headers(&self) -> HeaderMap {
        let mut headers = self.inner.headers();
        if !self.keyed {
            headers.remove(AUTHORIZATION);
        }
        headers
    }

    fn url(&self, path: &str) -> String {
        self.inner.url(path)
    }

    fn query(&self) -> Vec<(&str, &str)> {
        self.inner.query()
    }

    fn api_base(&self) -> &str {
        self.inner.api_base()
    }

    fn api_key(&self) -> &secrecy::SecretString {
        self.inner.api_key()
    }
}

/// async-openai's HTTP layer, replaced: our retry policy (connect failures and 5xx, before the
/// reply starts) instead of its own, and every error answer kept with its status even when the
/// body is not OpenAI's error object (llama.cpp and vLLM send other shapes).
#[derive(Debug, Clone)]
pub(super) struct Transport {
    pub client: reqwest::Client,
    pub retries: u32,
}

type Sent = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Sent;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), OpenAIError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, factory: HttpRequestFactory) -> Sent {
        let client = self.client.clone();
        let retries = self.retries;
        Box::pin(async move {
            let is_connect =
                |e: &OpenAIError| matches!(e, OpenAIError::Reqwest(e) if e.is_connect());
            let response = with_retries(retries, is_connect, || {
                let client = client.clone();
                let factory = factory.clone();
                async move {
                    let request = factory.build().await?;
                    client.execute(request).await.map_err(OpenAIError::Reqwest)
                }
            })
            .await?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            let body = response.text().await.unwrap_or_default();
            Err(OpenAIError::ApiError(ApiErrorResponse {
                status_code: status,
                api_error: error_object(&body),
            }))
        })
    }
}

/// The error object in an error answer: OpenAI's `{"error": {...}}`, a bare `{"message": ..}`
/// (vLLM), `{"error": "..."}` (Ollama), or the text itself.
pub(super) fn error_object(body: &str) -> ApiError {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let inner = json.get("error").unwrap_or(&json);
    let text = |v: &Value, key: &str| match v.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let message = inner
        .as_str()
        .map(str::to_string)
        .or_else(|| text(inner, "message"))
        .unwrap_or_else(|| body.trim().to_string());
    ApiError {
        message,
        r#type: text(inner, "type"),
        param: text(inner, "param"),
        code: text(inner, "code"),
        ..Default::default()
    }
}
