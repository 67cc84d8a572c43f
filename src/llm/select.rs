//! From `[llm]` to a provider, and the HTTP policy every remote provider shares: the loopback
//! guard, the client with its timeouts, and retries with backoff before a reply starts.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use super::config::{LlmConfig, ProviderKind};
use super::ollama::OllamaProvider;
use super::openai::OpenAiProvider;
use super::{LlmError, Provider};

/// The first pause between two tries; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest pause between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The provider `[llm]` describes, ready to chat. Nothing is sent yet: a server that is down
/// shows up as the first item of the first reply.
pub fn provider_from_config(c: &LlmConfig) -> Result<Box<dyn Provider>, LlmError> {
    if let Err((key, message)) = c.check() {
        return Err(LlmError::Config(format!("{key}: {message}")));
    }
    let kind = c.kind().ok_or_else(|| {
        LlmError::Config(format!("llm.provider: `{}` is not a provider", c.provider))
    })?;
    if kind == ProviderKind::Embedded {
        return Err(embedded_elsewhere());
    }
    let base = c
        .base_url()
        .ok_or_else(|| LlmError::Config("llm.url: no URL for this provider".into()))?;
    check_remote(&base, c.allow_remote)?;
    if cfg!(not(feature = "tls")) && base.to_ascii_lowercase().starts_with("https:") {
        return Err(LlmError::Config(format!(
            "{base}: https:// needs tocsin built with the `tls` feature"
        )));
    }
    let http = Http {
        client: http_client(c.timeout())?,
        url: base,
        timeout: c.timeout(),
        retries: c.retries,
    };
    Ok(match kind {
        ProviderKind::Ollama => Box::new(OllamaProvider::new(http, c.model.trim())),
        ProviderKind::OpenAi => {
            let key = std::env::var(c.api_key_env.trim())
                .ok()
                .filter(|k| !k.trim().is_empty());
            Box::new(OpenAiProvider::new(http, c.model.trim(), key))
        }
        ProviderKind::Embedded => return Err(embedded_elsewhere()),
    })
}

fn embedded_elsewhere() -> LlmError {
    LlmError::Config("the embedded provider is built elsewhere".into())
}

/// Refuses `url` unless its host is this one (127.0.0.0/8, ::1, `localhost`) or
/// `allow_remote` is set.
pub fn check_remote(url: &str, allow_remote: bool) -> Result<(), LlmError> {
    let parsed = Url::parse(url).map_err(|e| LlmError::Config(format!("`{url}`: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(LlmError::Config(format!(
            "`{url}` is not an http:// or https:// URL"
        )));
    }
    if allow_remote || is_loopback(&parsed) {
        Ok(())
    } else {
        Err(LlmError::RemoteRefused { url: url.into() })
    }
}

/// Whether the URL's host is this host: a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => bare.eq_ignore_ascii_case("localhost") || bare.eq_ignore_ascii_case("localhost."),
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, LlmError> {
    #[cfg(feature = "tls")]
    {
        // reqwest is built without a crypto provider of its own: use ring, as Redis does.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    // No redirects: a 307 from a local server must not carry the conversation to another host
    // behind the loopback guard's back.
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {}", reason(&e))))
}

/// What a remote provider needs to talk HTTP: the client, the base URL, the timeout and the
/// number of retries.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    /// The base URL, without a trailing `/`.
    pub url: String,
    /// Connect + first piece of the reply.
    pub timeout: Duration,
    pub retries: u32,
}

/// Runs `attempt` until it gives a response that is not 5xx, or an error other than a failed
/// connection, or `retries` retries are spent; with a doubling pause between tries. Returns
/// the last outcome as it is (a 5xx response included). Only for the opening of a reply: once
/// a response is returned, its body is never requested again.
pub(crate) async fn with_retries<E, F, Fut>(
    retries: u32,
    is_connect_error: fn(&E) -> bool,
    mut attempt: F,
) -> Result<reqwest::Response, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<reqwest::Response, E>>,
{
    let mut pause = FIRST_BACKOFF;
    let mut left = retries;
    loop {
        let outcome = attempt().await;
        let again = match &outcome {
            Ok(response) => response.status().is_server_error(),
            Err(e) => is_connect_error(e),
        };
        if !again || left == 0 {
            return outcome;
        }
        left -= 1;
        tracing::debug!(pause_ms = pause.as_millis() as u64, "llm: retrying");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_BACKOFF);
    }
}

/// An error with its causes, `outer: inner: innermost`, without repeats.
pub(crate) fn reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

/// Maps a transport error from reqwest (while opening or reading a reply).
pub(crate) fn transport_error(provider: &'static str, http: &Http, e: &reqwest::Error) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout {
            url: http.url.clone(),
            seconds: http.timeout.as_secs(),
        }
    } else if e.is_connect() {
        LlmError::Unreachable {
            provider,
            url: http.url.clone(),
            reason: reason(e),
        }
    } else {
        LlmError::Protocol {
            url: http.url.clone(),
            reason: reason(e),
        }
    }
}

/// At most `max` characters of `text` (a server's error body), marked when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_pass_the_guard() {
        for url in [
            "http://127.0.0.1:11434",
            "http://127.1.2.3/v1",
            "http://localhost:8080/v1",
            "http://LOCALHOST",
            "http://[::1]:11434",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(check_remote(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.5:11434",
            "https://api.openai.com/v1",
            "http://localhost.evil.example",
            "http://[::2]/",
            "http://0.0.0.0:11434",
        ] {
            assert!(
                matches!(
                    check_remote(url, false),
                    Err(LlmError::RemoteRefused { .. })
                ),
                "{url}"
            );
            assert!(check_remote(url, true).is_ok(), "{url}");
        }
        assert!(matches!(
            check_remote("file:///etc/passwd", true),
            Err(LlmError::Config(_))
        ));
    }

    #[test]
    fn clip_keeps_short_text_and_cuts_on_characters() {
        assert_eq!(clip(" ok ", 10), "ok");
        assert_eq!(clip("ééééé", 2), "éé...");
    }
}
