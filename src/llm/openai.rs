//! The OpenAI-compatible provider (OpenAI, llama.cpp's `llama-server`, vLLM, Ollama's `/v1`):
//! streamed chat completions through async-openai, assembled into text, whole tool calls and
//! the end with its reason and usage.

mod transport;

use std::collections::{BTreeMap, VecDeque};

use async_openai::config::OpenAIConfig;
use async_openai::error::{ApiErrorResponse, OpenAIError};
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionRequestMessage,
    ChatCompletionResponseStream, ChatCompletionStreamOptions, ChatCompletionTool,
    ChatCompletionTools, CreateChatCompletionRequest, CreateChatCompletionStreamResponse,
    FinishReason, FunctionCall, FunctionObject,
};
use futures_util::StreamExt;
use futures_util::stream;
use serde_json::Value;

use super::select::{Http, clip, reason, transport_error};
use super::{ChatRequest, Chunk, ChunkStream, Finish, LlmError, Message, Provider, Role, ToolCall};
use super::{ToolSpec, Usage};

use transport::{ServerConfig, Transport};

const KIND: &str = "openai";

/// A model behind an OpenAI-compatible `/v1/chat/completions`.
#[derive(Clone)]
pub struct OpenAiProvider {
    http: Http,
    model: String,
    client: async_openai::Client<ServerConfig>,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("url", &self.http.url)
            .field("model", &self.model)
            .field("api_key", &self.client.config().keyed)
            .finish()
    }
}

impl OpenAiProvider {
    /// `key`: the API key, sent as a bearer token; none for local servers.
    pub(crate) fn new(http: Http, model: &str, key: Option<String>) -> OpenAiProvider {
        let config = ServerConfig {
            keyed: key.is_some(),
            inner: OpenAIConfig::new()
                .with_api_base(http.url.clone())
                .with_api_key(key.unwrap_or_default())
                .with_org_id("")
                .with_project_id(""),
        };
        let transport = Transport {
            client: http.client.clone(),
            retries: http.retries,
        };
        let client =
            async_openai::Client::build(http.client.clone(), config).with_http_service(transport);
        OpenAiProvider {
            http,
            model: model.to_string(),
            client,
        }
    }
}

impl Provider for OpenAiProvider {
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
        let request = match wire_request(&self.model, request) {
            Ok(r) => r,
            Err(e) => return Box::pin(stream::iter([Err(e)])),
        };
        let start = State::Start {
            provider: Box::new(self.clone()),
            request: Box::new(request),
        };
        Box::pin(stream::unfold(start, step))
    }
}

/// Where a reply stands. async-openai reads the connection in a task of its own and ends it
/// as soon as the stream held here is dropped.
enum State {
    Start {
        provider: Box<OpenAiProvider>,
        request: Box<CreateChatCompletionRequest>,
    },
    Reading(Box<Reading>),
    Over,
}

struct Reading {
    http: Http,
    model: String,
    stream: ChatCompletionResponseStream,
    assembler: Assembler,
    pending: VecDeque<Chunk>,
    /// The event stream ended (`[DONE]`, or the body did).
    ended: bool,
}

async fn step(state: State) -> Option<(Result<Chunk, LlmError>, State)> {
    let mut r = match state {
        State::Over => return None,
        State::Reading(r) => r,
        State::Start { provider, request } => {
            let OpenAiProvider {
                http,
                model,
                client,
            } = *provider;
            let (stream, first) = match open(&http, &model, &client, *request).await {
                Ok(opened) => opened,
                Err(e) => return Some((Err(e), State::Over)),
            };
            let mut r = Box::new(Reading {
                http,
                model,
                stream,
                assembler: Assembler::default(),
                pending: VecDeque::new(),
                ended: first.is_none(),
            });
            if let Some(first) = first {
                r.assembler.push(first, &mut r.pending);
            }
            r
        }
    };
    loop {
        if let Some(chunk) = r.pending.pop_front() {
            return Some((Ok(chunk), State::Reading(r)));
        }
        if r.ended {
            let url = r.http.url.clone();
            return match r.assembler.end() {
                Ok(done) => Some((Ok(done), State::Over)),
                Err(reason) => Some((Err(LlmError::Protocol { url, reason }), State::Over)),
            };
        }
        match r.stream.next().await {
            Some(Ok(response)) => {
                let Reading {
                    assembler, pending, ..
                } = &mut *r;
                assembler.push(response, pending);
            }
            Some(Err(e)) => return Some((Err(api_error(&r.http, &r.model, e)), State::Over)),
            None => r.ended = true,
        }
    }
}

/// Opens the stream (retries happen in [`Transport`]) and waits for its first event, within
/// the timeout. `None`: the stream ended at once.
async fn open(
    http: &Http,
    model: &str,
    client: &async_openai::Client<ServerConfig>,
    request: CreateChatCompletionRequest,
) -> Result<
    (
        ChatCompletionResponseStream,
        Option<CreateChatCompletionStreamResponse>,
    ),
    LlmError,
> {
    let opening = async {
        let mut stream = client
            .chat()
            .create_stream(request)
            .await
            .map_err(|e| api_error(http, model, e))?;
        match stream.next().await {
            Some(Ok(first)) => Ok((stream, Some(first))),
            Some(Err(e)) => Err(api_error(http, model, e)),
            None => Ok((stream, None)),
        }
    };
    tokio::time::timeout(http.timeout, opening)
        .await
        .map_err(|_| LlmError::Timeout {
            url: http.url.clone(),
            seconds: http.timeout.as_secs(),
        })?
}

/// What async-openai's errors mean here.
fn api_error(http: &Http, model: &str, e: OpenAIError) -> LlmError {
    let url = http.url.clone();
    match e {
        OpenAIError::Reqwest(e) => transport_error(KIND, http, &e),
        OpenAIError::ApiError(ApiErrorResponse {
            status_code,
            api_error,
        }) => {
            let message = api_error.message;
            let about_model = message.to_ascii_lowercase().contains("model")
                || api_error.code.as_deref() == Some("model_not_found");
            match status_code.as_u16() {
                404 if about_model => LlmError::ModelMissing {
                    model: model.to_string(),
                    hint: format!(
                        "set [llm] model to one the server lists at {url}/models, \
                         or load `{model}` into it"
                    ),
                    url,
                },
                404 => LlmError::Status {
                    body: format!("{} (does [llm] url end in /v1?)", clip(&message, 500)),
                    url,
                    status: 404,
                },
                status => LlmError::Status {
                    url,
                    status,
                    body: clip(&message, 500),
                },
            }
        }
        OpenAIError::JSONDeserialize(e, content) => LlmError::Protocol {
            url,
            reason: format!("{e}: {}", clip(&content, 300)),
        },
        OpenAIError::InvalidArgument(message) => LlmError::Config(message),
        other => LlmError::Protocol {
            url,
            reason: reason(&other),
        },
    }
}

/// The request async-openai sends: streamed, with the usage chunk at the end.
fn wire_request(
    model: &str,
    request: ChatRequest,
) -> Result<CreateChatCompletionRequest, LlmError> {
    let messages = request
        .messages
        .into_iter()
        .map(wire_message)
        .collect::<Result<Vec<_>, _>>()?;
    let tools: Vec<ChatCompletionTools> = request.tools.into_iter().map(wire_tool).collect();
    #[allow(deprecated)] // `max_tokens`: what local servers understand; OpenAI still takes it.
    Ok(CreateChatCompletionRequest {
        model: model.to_string(),
        messages,
        tools: (!tools.is_empty()).then_some(tools),
        stream: Some(true),
        stream_options: Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        }),
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        ..Default::default()
    })
}

fn wire_message(m: Message) -> Result<ChatCompletionRequestMessage, LlmError> {
    use async_openai::types::chat::{
        ChatCompletionRequestAssistantMessage as Assistant,
        ChatCompletionRequestAssistantMessageContent as AssistantContent,
        ChatCompletionRequestSystemMessage as System, ChatCompletionRequestToolMessage as Tool,
        ChatCompletionRequestUserMessage as User,
    };
    Ok(match m.role {
        Role::System => ChatCompletionRequestMessage::System(System {
            content: m.content.into(),
            name: None,
        }),
        Role::User => ChatCompletionRequestMessage::User(User {
            content: m.content.into(),
            name: None,
        }),
        Role::Assistant => {
            let calls: Vec<ChatCompletionMessageToolCalls> = m
                .tool_calls
                .into_iter()
                .map(|c| {
                    ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                        id: c.id,
                        function: FunctionCall {
                            name: c.name,
                            arguments: c.arguments.to_string(),
                        },
                    })
                })
                .collect();
            ChatCompletionRequestMessage::Assistant(Assistant {
                content: (!m.content.is_empty()).then_some(AssistantContent::Text(m.content)),
                tool_calls: (!calls.is_empty()).then_some(calls),
                ..Default::default()
            })
        }
        Role::Tool => {
            let Some(id) = m.tool_call_id else {
                return Err(LlmError::Config(
                    "a tool result without the id of the call it answers".into(),
                ));
            };
            ChatCompletionRequestMessage::Tool(Tool {
                content: m.content.into(),
                tool_call_id: id,
            })
        }
    })
}

fn wire_tool(t: ToolSpec) -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: t.name,
            description: Some(t.description),
            parameters: Some(t.parameters),
            strict: None,
        },
    })
}

/// A tool call while its pieces arrive.
#[derive(Debug, Default)]
struct Partial {
    id: String,
    name: String,
    arguments: String,
}

/// Joins the streamed events of the first choice: text as it comes; tool-call fragments by
/// `index` until the finish reason, then all calls at once; refusal text; the usage chunk.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    calls: BTreeMap<u32, Partial>,
    refusal: String,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    called: bool,
    bad_call: Option<String>,
}

impl Assembler {
    /// Reads one event, queueing the chunks it completes.
    pub fn push(&mut self, event: CreateChatCompletionStreamResponse, out: &mut VecDeque<Chunk>) {
        if let Some(u) = event.usage {
            self.usage = Some(Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
            });
        }
        for choice in event.choices.into_iter().filter(|c| c.index == 0) {
            let delta = choice.delta;
            if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
                out.push_back(Chunk::Text { text });
            }
            if let Some(refusal) = delta.refusal {
                self.refusal.push_str(&refusal);
            }
            for piece in delta.tool_calls.unwrap_or_default() {
                let call = self.calls.entry(piece.index).or_default();
                if let Some(id) = piece.id.filter(|id| !id.is_empty()) {
                    call.id = id;
                }
                if let Some(function) = piece.function {
                    if let Some(name) = function.name.filter(|n| !n.is_empty()) {
                        call.name = name;
                    }
                    if let Some(arguments) = function.arguments {
                        call.arguments.push_str(&arguments);
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason);
                self.flush_calls(out);
            }
        }
    }

    /// Emits the assembled calls, once.
    fn flush_calls(&mut self, out: &mut VecDeque<Chunk>) {
        if self.calls.is_empty() {
            return;
        }
        let mut calls = Vec::new();
        for (index, p) in std::mem::take(&mut self.calls) {
            let arguments = if p.arguments.trim().is_empty() {
                Value::Object(Default::default())
            } else {
                match serde_json::from_str(&p.arguments) {
                    Ok(v) => v,
                    Err(e) => {
                        self.bad_call = Some(format!(
                            "the arguments of tool call {index} ({}) are not JSON ({e}): {}",
                            p.name,
                            clip(&p.arguments, 200)
                        ));
                        return;
                    }
                }
            };
            let id = if p.id.is_empty() {
                format!("call_{index}")
            } else {
                p.id
            };
            calls.push(ToolCall {
                id,
                name: p.name,
                arguments,
            });
        }
        self.called = true;
        out.push_back(Chunk::ToolCalls { calls });
    }

    /// The stream ended: the `Done` chunk, or why the reply is broken.
    pub fn end(&mut self) -> Result<Chunk, String> {
        if let Some(bad) = self.bad_call.take() {
            return Err(bad);
        }
        let Some(reason) = self.finish else {
            return Err("the reply ended before the server said why it finished".into());
        };
        let finish = if !self.refusal.is_empty() {
            Finish::Refusal(std::mem::take(&mut self.refusal))
        } else {
            match reason {
                FinishReason::Stop if self.called => Finish::ToolCalls,
                FinishReason::Stop => Finish::Stop,
                FinishReason::Length => Finish::Length,
                FinishReason::ToolCalls => Finish::ToolCalls,
                FinishReason::ContentFilter => Finish::ContentFilter,
                FinishReason::FunctionCall => Finish::Other("function_call".into()),
            }
        };
        Ok(Chunk::Done {
            finish,
            usage: self.usage,
        })
    }
}

#[cfg(test)]
#[path = "openai_tests.rs"]
mod tests;
