//! The Ollama provider: `/api/chat` with `stream: true`, read as NDJSON (one JSON object a
//! line) into text, tool calls and the end.
//!
//! Talks HTTP through reqwest, not ollama-rs: ollama-rs 0.3's stream drops the HTTP status
//! (no 404 to tell a missing model), skips `{"error": ..}` lines with an `eprintln!` (which
//! would scribble over the console), loses a chunk whose bytes split a UTF-8 character, and its
//! types have no `done_reason` (no way to tell a cut-off answer) nor a tool message's
//! `tool_name`.

use std::collections::VecDeque;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::select::{Http, clip, transport_error, with_retries};
use super::{ChatRequest, Chunk, ChunkStream, Finish, LlmError, Message, Provider, Role, ToolCall};
use super::{ToolSpec, Usage};

const KIND: &str = "ollama";

/// A model served by Ollama.
#[derive(Debug, Clone)]
pub struct OllamaProvider {
    http: Http,
    model: String,
}

impl OllamaProvider {
    pub(crate) fn new(http: Http, model: &str) -> OllamaProvider {
        OllamaProvider {
            http,
            model: model.to_string(),
        }
    }
}

impl Provider for OllamaProvider {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn endpoint(&self) -> String {
        self.http.url.clone()
    }

    fn chat(&self, request: ChatRequest) -> ChunkStream {
        let body = match serde_json::to_vec(&wire_request(&self.model, &request)) {
            Ok(body) => body,
            Err(e) => {
                let e = LlmError::Config(format!("cannot encode the request: {e}"));
                return Box::pin(stream::iter([Err(e)]));
            }
        };
        let start = State::Start {
            http: self.http.clone(),
            model: self.model.clone(),
            body,
        };
        Box::pin(stream::unfold(start, step))
    }
}

/// Where a reply stands. The body stream lives here, so dropping the reply drops the
/// connection.
enum State {
    Start {
        http: Http,
        model: String,
        body: Vec<u8>,
    },
    Reading {
        http: Http,
        body: BoxStream<'static, reqwest::Result<Bytes>>,
        decoder: Decoder,
        pending: VecDeque<Result<Chunk, String>>,
    },
    Over,
}

async fn step(state: State) -> Option<(Result<Chunk, LlmError>, State)> {
    let (http, mut body, mut decoder, mut pending) = match state {
        State::Over => return None,
        State::Start { http, model, body } => {
            let (stream, first) = match open(&http, &model, body).await {
                Ok(opened) => opened,
                Err(e) => return Some((Err(e), State::Over)),
            };
            let mut decoder = Decoder::default();
            let mut pending = VecDeque::new();
            if let Some(first) = first {
                decoder.feed(&first, &mut pending);
            }
            (http, stream, decoder, pending)
        }
        State::Reading {
            http,
            body,
            decoder,
            pending,
        } => (http, body, decoder, pending),
    };
    loop {
        match pending.pop_front() {
            Some(Ok(chunk)) => {
                let next = State::Reading {
                    http,
                    body,
                    decoder,
                    pending,
                };
                return Some((Ok(chunk), next));
            }
            Some(Err(reason)) => {
                let url = http.url.clone();
                return Some((Err(LlmError::Protocol { url, reason }), State::Over));
            }
            None if decoder.done || decoder.failed => return None,
            None => {}
        }
        match body.next().await {
            Some(Ok(bytes)) => decoder.feed(&bytes, &mut pending),
            Some(Err(e)) => return Some((Err(transport_error(KIND, &http, &e)), State::Over)),
            None => decoder.finish(&mut pending),
        }
    }
}

/// Sends the request (retrying as configured) and waits for the first piece of the body,
/// within the timeout.
async fn open(
    http: &Http,
    model: &str,
    body: Vec<u8>,
) -> Result<(BoxStream<'static, reqwest::Result<Bytes>>, Option<Bytes>), LlmError> {
    let url = format!("{}/api/chat", http.url);
    let opening = async {
        let response = with_retries(http.retries, reqwest::Error::is_connect, || {
            http.client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone())
                .send()
        })
        .await
        .map_err(|e| transport_error(KIND, http, &e))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(status_error(http, model, status.as_u16(), &text));
        }
        let mut stream = response.bytes_stream().boxed();
        let first = stream
            .try_next()
            .await
            .map_err(|e| transport_error(KIND, http, &e))?;
        Ok((stream, first))
    };
    tokio::time::timeout(http.timeout, opening)
        .await
        .map_err(|_| LlmError::Timeout {
            url: http.url.clone(),
            seconds: http.timeout.as_secs(),
        })?
}

/// An error answer: Ollama says `{"error": "..."}`; 404 about a model means it is not pulled.
fn status_error(http: &Http, model: &str, status: u16, body: &str) -> LlmError {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.to_string());
    if status == 404 && message.to_ascii_lowercase().contains("model") {
        return LlmError::ModelMissing {
            model: model.to_string(),
            url: http.url.clone(),
            hint: format!("run `ollama pull {model}`"),
        };
    }
    LlmError::Status {
        url: http.url.clone(),
        status,
        body: clip(&message, 500),
    }
}

/// The request body Ollama expects.
fn wire_request(model: &str, request: &ChatRequest) -> WireRequest {
    let messages = request
        .messages
        .iter()
        .map(|m| wire_message(m, &request.messages))
        .collect();
    WireRequest {
        model: model.to_string(),
        messages,
        tools: request.tools.iter().map(wire_tool).collect(),
        stream: true,
        options: WireOptions {
            temperature: request.temperature,
            num_predict: request.max_tokens,
        },
    }
}

fn wire_message(m: &Message, all: &[Message]) -> WireMessage {
    // Ollama answers a call by the tool's name: find the call this result answers.
    let tool_name = match (&m.role, &m.tool_call_id) {
        (Role::Tool, Some(id)) => all
            .iter()
            .flat_map(|m| &m.tool_calls)
            .find(|c| &c.id == id)
            .map(|c| c.name.clone()),
        _ => None,
    };
    WireMessage {
        role: m.role,
        content: m.content.clone(),
        tool_calls: m
            .tool_calls
            .iter()
            .map(|c| WireCall {
                kind: "function",
                function: WireFunction {
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                },
            })
            .collect(),
        tool_name,
    }
}

fn wire_tool(t: &ToolSpec) -> WireTool {
    WireTool {
        kind: "function",
        function: WireToolFunction {
            name: t.name.clone(),
            description: t.description.clone(),
            parameters: t.parameters.clone(),
        },
    }
}

#[derive(Debug, Serialize)]
struct WireRequest {
    model: String,
    messages: Vec<WireMessage>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool>,
    stream: bool,
    #[serde(skip_serializing_if = "WireOptions::is_empty")]
    options: WireOptions,
}

#[derive(Debug, Serialize)]
struct WireMessage {
    role: Role,
    content: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_name: Option<String>,
}

#[derive(Debug, Serialize)]
struct WireCall {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction,
}

#[derive(Debug, Serialize, Deserialize)]
struct WireFunction {
    name: String,
    #[serde(default)]
    arguments: Value,
}

#[derive(Debug, Serialize)]
struct WireTool {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireToolFunction,
}

#[derive(Debug, Serialize)]
struct WireToolFunction {
    name: String,
    description: String,
    parameters: Value,
}

#[derive(Debug, Serialize)]
struct WireOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    num_predict: Option<u32>,
}

impl WireOptions {
    fn is_empty(&self) -> bool {
        self.temperature.is_none() && self.num_predict.is_none()
    }
}

/// One line of the reply.
#[derive(Debug, Deserialize)]
struct Line {
    message: Option<LineMessage>,
    #[serde(default)]
    done: bool,
    done_reason: Option<String>,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LineMessage {
    #[serde(default)]
    content: String,
    #[serde(default)]
    tool_calls: Vec<LineCall>,
}

#[derive(Debug, Deserialize)]
struct LineCall {
    function: WireFunction,
}

/// Turns the reply's bytes, in pieces cut anywhere, into chunks: text as it comes, the tool
/// calls (numbered `call_0`, `call_1`... since Ollama gives them no ids) and the end.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
    calls: Vec<ToolCall>,
    /// The `done` line was read (and `Done` queued).
    pub done: bool,
    /// An error was queued: nothing more is read.
    failed: bool,
}

impl Decoder {
    /// Reads the complete lines in `bytes` (plus what was left over), queueing what they say;
    /// an error is queued as the reason, and nothing is read after it.
    pub fn feed(&mut self, bytes: &[u8], out: &mut VecDeque<Result<Chunk, String>>) {
        if self.failed {
            return;
        }
        self.buf.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(len) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let line = self.buf[start..start + len].to_vec();
            start += len + 1;
            if !self.line(&line, out) {
                self.buf.clear();
                return;
            }
        }
        self.buf.drain(..start);
    }

    /// The body ended: reads a last line without its newline, then checks the reply was done.
    pub fn finish(&mut self, out: &mut VecDeque<Result<Chunk, String>>) {
        let rest = std::mem::take(&mut self.buf);
        if self.failed || !self.line(&rest, out) {
            return;
        }
        if !self.done {
            out.push_back(Err(
                "the reply ended before the server said it was done".into()
            ));
            self.failed = true;
        }
    }

    /// Handles one line; false once an error was queued.
    fn line(&mut self, raw: &[u8], out: &mut VecDeque<Result<Chunk, String>>) -> bool {
        let text = String::from_utf8_lossy(raw);
        let text = text.trim();
        if text.is_empty() || self.done {
            return true;
        }
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => {
                out.push_back(Err(format!("unreadable line ({e}): {}", clip(text, 200))));
                self.failed = true;
                return false;
            }
        };
        if let Some(error) = line.error {
            out.push_back(Err(format!("the model stopped: {error}")));
            self.failed = true;
            return false;
        }
        if let Some(message) = line.message {
            if !message.content.is_empty() {
                out.push_back(Ok(Chunk::Text {
                    text: message.content,
                }));
            }
            for call in message.tool_calls {
                self.calls.push(ToolCall {
                    id: format!("call_{}", self.calls.len()),
                    name: call.function.name,
                    arguments: arguments(call.function.arguments),
                });
            }
        }
        if line.done {
            self.done = true;
            let called = !self.calls.is_empty();
            if called {
                let calls = std::mem::take(&mut self.calls);
                out.push_back(Ok(Chunk::ToolCalls { calls }));
            }
            let finish = match line.done_reason.as_deref() {
                None | Some("stop") if called => Finish::ToolCalls,
                None | Some("stop") => Finish::Stop,
                Some("length") => Finish::Length,
                Some(other) => Finish::Other(other.to_string()),
            };
            let usage =
                (line.prompt_eval_count.is_some() || line.eval_count.is_some()).then(|| Usage {
                    prompt_tokens: count(line.prompt_eval_count),
                    completion_tokens: count(line.eval_count),
                });
            out.push_back(Ok(Chunk::Done { finish, usage }));
        }
        true
    }
}

/// Arguments as a JSON object: Ollama sends one; a JSON string holding one is unwrapped, and
/// nothing at all is `{}`.
fn arguments(value: Value) -> Value {
    match value {
        Value::Null => Value::Object(Default::default()),
        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => other,
    }
}

fn count(n: Option<u64>) -> u32 {
    n.map(|n| u32::try_from(n).unwrap_or(u32::MAX)).unwrap_or(0)
}

#[cfg(test)]
#[path = "ollama_tests.rs"]
mod tests;
