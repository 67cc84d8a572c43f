//! The `[llm]` configuration section: which chat model answers, where it runs, and how long and
//! how often tocsin tries to reach it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where an Ollama server listens unless `[llm] url` says otherwise.
pub const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
/// Where an OpenAI-compatible server (llama.cpp's `llama-server`, vLLM, ...) listens unless
/// `[llm] url` says otherwise. OpenAI-compatible base URLs include `/v1`.
pub const DEFAULT_OPENAI_URL: &str = "http://127.0.0.1:8080/v1";

/// Which kind of provider answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// An Ollama server, through its native `/api/chat`.
    Ollama,
    /// A server speaking OpenAI's chat completions (`/v1/chat/completions`).
    OpenAi,
    /// The small model built into tocsin.
    Embedded,
}

impl ProviderKind {
    /// The names `[llm] provider` accepts.
    pub const NAMES: [&'static str; 3] = ["ollama", "openai", "embedded"];

    /// The kind `name` names, if any.
    pub fn parse(name: &str) -> Option<ProviderKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "ollama" => Some(ProviderKind::Ollama),
            "openai" => Some(ProviderKind::OpenAi),
            "embedded" => Some(ProviderKind::Embedded),
            _ => None,
        }
    }

    /// The configuration name, as [`crate::llm::Provider::kind`] reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Ollama => "ollama",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Embedded => "embedded",
        }
    }
}

/// `[llm]`: the chat model behind the console's assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// `ollama`, `openai` (any OpenAI-compatible server) or `embedded`.
    pub provider: String,
    /// The server's base URL. Empty: the provider's default ([`DEFAULT_OLLAMA_URL`],
    /// [`DEFAULT_OPENAI_URL`]).
    pub url: String,
    /// The model, as the server names it.
    pub model: String,
    /// The environment variable holding the API key sent to OpenAI-compatible servers (none is
    /// sent while it is unset or empty). The key itself never goes in a file.
    pub api_key_env: String,
    /// Send data to a server that is not on this host (anything but loopback addresses and
    /// `localhost`).
    pub allow_remote: bool,
    /// The longest wait, in seconds: to connect, for the reply to start, and between two
    /// pieces of a reply.
    pub timeout_secs: u64,
    /// How often a request is tried again when the server cannot be reached or answers 5xx
    /// before the reply starts. Never once the reply has started.
    pub retries: u32,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            provider: "ollama".into(),
            url: String::new(),
            model: "llama3.2".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            allow_remote: false,
            timeout_secs: 120,
            retries: 2,
        }
    }
}

impl LlmConfig {
    /// The provider kind; `None` when `provider` names none.
    pub fn kind(&self) -> Option<ProviderKind> {
        ProviderKind::parse(&self.provider)
    }

    /// The base URL in use: `url`, or the provider's default when it is empty; without a
    /// trailing `/`. The embedded provider has none.
    pub fn base_url(&self) -> Option<String> {
        let url = self.url.trim().trim_end_matches('/');
        match self.kind()? {
            ProviderKind::Embedded => None,
            _ if !url.is_empty() => Some(url.to_string()),
            ProviderKind::Ollama => Some(DEFAULT_OLLAMA_URL.into()),
            ProviderKind::OpenAi => Some(DEFAULT_OPENAI_URL.into()),
        }
    }

    /// `timeout_secs` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// Checks what the types alone do not: the key at fault (`llm.provider`, ...) and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let Some(kind) = self.kind() else {
            return Err((
                "llm.provider",
                format!(
                    "`{}` is not a provider: use one of {}",
                    self.provider,
                    ProviderKind::NAMES.join(", ")
                ),
            ));
        };
        if kind != ProviderKind::Embedded && self.model.trim().is_empty() {
            return Err((
                "llm.model",
                format!("the {} provider needs a model name", kind.as_str()),
            ));
        }
        let url = self.url.trim();
        if !url.is_empty() {
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| ("llm.url", format!("`{url}` is not a URL ({e})")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err((
                    "llm.url",
                    format!("`{url}` is not an http:// or https:// URL"),
                ));
            }
        }
        if self.timeout_secs == 0 {
            return Err(("llm.timeout_secs", "must be at least 1".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_per_provider() {
        let mut c = LlmConfig::default();
        assert_eq!(c.kind(), Some(ProviderKind::Ollama));
        assert_eq!(c.base_url().as_deref(), Some(DEFAULT_OLLAMA_URL));
        c.provider = "OpenAI".into();
        assert_eq!(c.base_url().as_deref(), Some(DEFAULT_OPENAI_URL));
        c.url = "http://127.0.0.1:9000/v1/".into();
        assert_eq!(c.base_url().as_deref(), Some("http://127.0.0.1:9000/v1"));
        c.provider = "embedded".into();
        assert_eq!(c.base_url(), None);
        assert_eq!(LlmConfig::default().check(), Ok(()));
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = |f: fn(&mut LlmConfig)| {
            let mut c = LlmConfig::default();
            f(&mut c);
            c.check().err().map(|(key, _)| key)
        };
        assert_eq!(bad(|c| c.provider = "gpt".into()), Some("llm.provider"));
        assert_eq!(bad(|c| c.model = " ".into()), Some("llm.model"));
        assert_eq!(bad(|c| c.url = "127.0.0.1:11434".into()), Some("llm.url"));
        assert_eq!(bad(|c| c.url = "ftp://host/".into()), Some("llm.url"));
        assert_eq!(bad(|c| c.timeout_secs = 0), Some("llm.timeout_secs"));
        assert_eq!(
            bad(|c| {
                c.provider = "embedded".into();
                c.model = String::new();
            }),
            None
        );
    }
}
