//! Language models behind one trait: the conversation types, the streamed reply (text deltas,
//! assembled tool calls, the end with its reason and token counts) and the providers (Ollama,
//! OpenAI-compatible servers, and a small model embedded in tocsin).
//!
//! A reply is a stream: dropping it cancels the request (the connection, or the embedded
//! model's generation). Every provider says which model answers and where the data goes.

mod config;
mod ollama;
mod openai;
mod select;

pub use config::{DEFAULT_OLLAMA_URL, DEFAULT_OPENAI_URL, LlmConfig, ProviderKind};
pub use ollama::OllamaProvider;
pub use openai::OpenAiProvider;
pub use select::{check_remote, is_loopback, provider_from_config};

use std::pin::Pin;

use futures_util::Stream;
use serde::{Deserialize, Serialize};

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
    /// A tool's result, answering the call with `tool_call_id`.
    Tool,
}

/// A tool call the model made: its id (providers without ids get `call_N`), the tool's name
/// and its arguments as a JSON object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: serde_json::Value,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// The calls an assistant message made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message::new(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Message {
        Message::new(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>) -> Message {
        Message::new(Role::Assistant, content)
    }

    /// A tool's result for the call `id`.
    pub fn tool(id: impl Into<String>, content: impl Into<String>) -> Message {
        Message {
            tool_call_id: Some(id.into()),
            ..Message::new(Role::Tool, content)
        }
    }

    fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

/// A tool the model may call: name, what it does, and its parameters as a JSON Schema object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    pub parameters: serde_json::Value,
}

/// What to send.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub tools: Vec<ToolSpec>,
    /// At most this many tokens in the reply.
    pub max_tokens: Option<u32>,
    /// Sampling temperature (None: the provider's default; 0: greedy).
    pub temperature: Option<f32>,
}

/// Why a reply ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Finish {
    /// The model finished its answer.
    Stop,
    /// Cut off at `max_tokens` (or the context length): the answer is incomplete.
    Length,
    /// The model called tools and waits for their results.
    ToolCalls,
    /// The model refused; the refusal text.
    Refusal(String),
    /// The provider's content filter stopped it.
    ContentFilter,
    /// Anything else the provider said.
    Other(String),
}

/// Tokens a reply cost, when the provider says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

/// One piece of a streamed reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Chunk {
    /// More of the answer's text.
    Text { text: String },
    /// Tool calls, each complete (streamed argument fragments already joined).
    ToolCalls { calls: Vec<ToolCall> },
    /// The end: why, and what it cost. Always the last item of a reply that did not fail.
    Done {
        finish: Finish,
        usage: Option<Usage>,
    },
}

/// Why a model could not answer. Each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the {provider} server at {url}: {reason} (is it running?)")]
    Unreachable {
        provider: &'static str,
        url: String,
        reason: String,
    },
    #[error("the model `{model}` is not on the server at {url}: {hint}")]
    ModelMissing {
        model: String,
        url: String,
        /// How to get it, e.g. `ollama pull llama3.2`.
        hint: String,
    },
    #[error("{url} is not on this host: set [llm] allow_remote = true to send data there")]
    RemoteRefused { url: String },
    #[error("no answer from {url} within {seconds} s")]
    Timeout { url: String, seconds: u64 },
    #[error("the server at {url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("a malformed reply from {url}: {reason}")]
    Protocol { url: String, reason: String },
    #[error("the embedded model: {0}")]
    Embedded(String),
    #[error("configuration: {0}")]
    Config(String),
}

/// A streamed reply. Dropping it cancels the request.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Chunk, LlmError>> + Send>>;

/// A chat model.
pub trait Provider: Send + Sync {
    /// `ollama`, `openai` or `embedded`.
    fn kind(&self) -> &'static str;
    /// The model that answers, as the provider names it.
    fn model(&self) -> &str;
    /// Where the data goes, for the status bar: a URL, or `in-process`.
    fn endpoint(&self) -> String;
    /// Starts a reply. Connection errors come as the stream's first item.
    fn chat(&self, request: ChatRequest) -> ChunkStream;
}
