//! One question answered to the end without a terminal (`tocsin ask`, and the console's chat
//! worker): the conversation's outputs carried out against a provider, read tools run, write
//! tools collected as proposals and never applied, citations checked against the data given.

use std::collections::VecDeque;

use futures_util::StreamExt;
use serde::Serialize;

use super::grounding::{Citation, Grounding, citations, ids_in_result};
use super::tools::{self, Context};
use super::turns::{Body, Conversation, Input, Output};
use crate::llm::{ChatRequest, Finish, LlmError, Message, Provider, ToolCall, Usage};

/// What one question came to.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub answer: String,
    pub finish: Option<Finish>,
    pub usage: Usage,
    pub citations: Vec<Citation>,
    /// Changes the model proposed: shown, never applied here.
    pub proposals: Vec<ToolCall>,
    /// Read tools the model ran, with what they returned (or their error).
    pub tools: Vec<ToolRun>,
    pub provider: &'static str,
    pub model: String,
    /// Where the data went.
    pub endpoint: String,
}

/// A read tool's call and outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ToolRun {
    pub call: ToolCall,
    pub ok: bool,
    pub chars: usize,
}

/// The request for the conversation so far: rules and grounding as the system message.
pub fn request(
    grounding: &Grounding,
    messages: Vec<Message>,
    max_tokens: Option<u32>,
) -> ChatRequest {
    let mut all = vec![Message::system(grounding.system_prompt())];
    all.extend(messages);
    ChatRequest {
        messages: all,
        tools: tools::specs(),
        max_tokens,
        temperature: Some(0.0),
    }
}

/// Asks `question` and carries the conversation to its end.
pub async fn ask(
    provider: &dyn Provider,
    grounding: &Grounding,
    question: &str,
    cx: &Context<'_>,
    max_tokens: Option<u32>,
) -> Result<Answer, LlmError> {
    let mut conv = Conversation::new();
    let mut todo: VecDeque<Output> = conv
        .handle(Input::Ask(question.into()), tools::class)
        .into();
    let mut usage = Usage::default();
    let mut runs = Vec::new();
    let mut known = grounding.ids();
    while let Some(out) = todo.pop_front() {
        match out {
            Output::Send { turn, messages } => {
                let mut stream = provider.chat(request(grounding, messages, max_tokens));
                while let Some(item) = stream.next().await {
                    let chunk = item?;
                    if let crate::llm::Chunk::Done { usage: Some(u), .. } = &chunk {
                        usage.prompt_tokens += u.prompt_tokens;
                        usage.completion_tokens += u.completion_tokens;
                    }
                    todo.extend(conv.handle(Input::Chunk { turn, chunk }, tools::class));
                }
            }
            Output::RunTool { turn, call } => {
                let result = tools::run_read(cx, &call);
                if let Ok(text) = &result {
                    ids_in_result(text, &mut known);
                }
                runs.push(ToolRun {
                    call: call.clone(),
                    ok: result.is_ok(),
                    chars: result.as_ref().map_or(0, String::len),
                });
                todo.extend(conv.handle(
                    Input::ToolResult {
                        turn,
                        call_id: call.id.clone(),
                        result,
                    },
                    tools::class,
                ));
            }
            // Nothing is applied or stopped headless: proposals are reported below.
            Output::Apply { .. } | Output::Rejected { .. } | Output::Stop { .. } => {}
        }
    }
    let mut answer = String::new();
    let mut finish = None;
    let mut proposals = Vec::new();
    for e in &conv.entries {
        match &e.body {
            Body::Answer {
                text, finish: f, ..
            } => {
                if !text.is_empty() {
                    if !answer.is_empty() {
                        answer.push('\n');
                    }
                    answer.push_str(text);
                }
                finish = f.clone().or(finish);
            }
            Body::Proposal { call, .. } => proposals.push(call.clone()),
            Body::Error { text } => {
                return Err(LlmError::Protocol {
                    url: provider.endpoint(),
                    reason: text.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(Answer {
        citations: citations(&answer, &known),
        answer,
        finish,
        usage,
        proposals,
        tools: runs,
        provider: provider.kind(),
        model: provider.model().to_string(),
        endpoint: provider.endpoint(),
    })
}
