//! A conversation as a pure state machine: the analyst's questions, the model's streamed
//! answers, the tools it calls (read tools run at once, write tools wait as proposals for the
//! analyst's yes or no), cancellation, and stale replies ignored by turn id. Inputs in,
//! outputs (what to send, run, apply or stop) out; no I/O here.

use serde::Serialize;

use crate::llm::{Chunk, Finish, Message, Role, ToolCall, Usage};

/// Numbers each question and everything it causes; a chunk of an older turn is ignored.
pub type TurnId = u64;

/// How many times one question may go back to the model with tool results.
pub const MAX_TOOL_ROUNDS: u32 = 4;

/// What a tool does to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolClass {
    /// Only reads: runs as soon as the model asks.
    Read,
    /// Changes alerts or cases: shown as a proposal; only the analyst's accept applies it.
    Write,
}

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum ProposalState {
    Pending,
    /// Accepted by the analyst; being applied.
    Accepted,
    Applied(String),
    Failed(String),
    /// Rejected by the analyst, with the reason.
    Rejected(String),
}

/// One thing shown in the conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Body {
    Question {
        text: String,
    },
    Answer {
        text: String,
        /// None while it streams.
        finish: Option<Finish>,
        usage: Option<Usage>,
    },
    /// A read tool's call and (once back) its result: shown folded.
    ToolRun {
        call: ToolCall,
        result: Option<Result<String, String>>,
    },
    Proposal {
        call: ToolCall,
        state: ProposalState,
    },
    Error {
        text: String,
    },
    Cancelled,
}

/// A shown item and the turn it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub turn: TurnId,
    pub body: Body,
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The analyst asked something.
    Ask(String),
    /// A piece of the model's reply for `turn`.
    Chunk { turn: TurnId, chunk: Chunk },
    /// The model's reply failed.
    Failed { turn: TurnId, error: String },
    /// A read tool finished.
    ToolResult {
        turn: TurnId,
        call_id: String,
        result: Result<String, String>,
    },
    /// The analyst cancelled the reply in flight.
    Cancel,
    /// The analyst accepted a proposal.
    Accept { call_id: String },
    /// The analyst rejected a proposal, with a reason.
    Reject { call_id: String, reason: String },
    /// An accepted proposal was applied (or failed).
    Applied {
        call_id: String,
        result: Result<String, String>,
    },
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Ask the model: the conversation so far (the caller adds the system prompt, grounding
    /// and tools).
    Send {
        turn: TurnId,
        messages: Vec<Message>,
    },
    /// Run a read tool and report back with `Input::ToolResult`.
    RunTool { turn: TurnId, call: ToolCall },
    /// The analyst accepted: apply the write tool (audited), report with `Input::Applied`.
    Apply { call: ToolCall },
    /// The analyst rejected: record it (audited).
    Rejected { call: ToolCall, reason: String },
    /// Drop the reply stream of `turn`.
    Stop { turn: TurnId },
}

/// One conversation (a case's, or the scratch one).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conversation {
    pub entries: Vec<Entry>,
    /// What the model has seen, in order.
    pub history: Vec<Message>,
    /// The turn in flight, if any.
    pub active: Option<TurnId>,
    next: TurnId,
    /// Read tools of the active turn still running.
    running: usize,
    /// The active reply ended asking for tools.
    awaiting_tools: bool,
    rounds: u32,
}

impl Conversation {
    pub fn new() -> Conversation {
        Conversation::default()
    }

    /// A conversation reloaded from what was saved: its entries and history, nothing in flight.
    pub fn restore(entries: Vec<Entry>, history: Vec<Message>) -> Conversation {
        let next = entries.iter().map(|e| e.turn).max().map_or(0, |t| t + 1);
        Conversation {
            entries,
            history,
            next,
            ..Conversation::default()
        }
    }

    pub fn is_streaming(&self) -> bool {
        self.active.is_some()
    }

    /// Proposals waiting for the analyst, oldest first.
    pub fn pending_proposals(&self) -> Vec<&ToolCall> {
        self.entries
            .iter()
            .filter_map(|e| match &e.body {
                Body::Proposal {
                    call,
                    state: ProposalState::Pending,
                } => Some(call),
                _ => None,
            })
            .collect()
    }

    /// Handles one input; `classify` says what a tool does (None: no such tool).
    pub fn handle(
        &mut self,
        input: Input,
        classify: impl Fn(&str) -> Option<ToolClass>,
    ) -> Vec<Output> {
        match input {
            Input::Ask(text) => self.ask(text),
            Input::Chunk { turn, chunk } if Some(turn) == self.active => {
                self.chunk(turn, chunk, &classify)
            }
            Input::Failed { turn, error } if Some(turn) == self.active => {
                self.push(turn, Body::Error { text: error });
                self.end_turn();
                Vec::new()
            }
            Input::ToolResult {
                turn,
                call_id,
                result,
            } if Some(turn) == self.active => self.tool_result(turn, &call_id, result),
            Input::Cancel => match self.active {
                Some(turn) => {
                    self.push(turn, Body::Cancelled);
                    self.end_turn();
                    vec![Output::Stop { turn }]
                }
                None => Vec::new(),
            },
            Input::Accept { call_id } => match self.proposal(&call_id) {
                Some(state) if *state == ProposalState::Pending => {
                    *state = ProposalState::Accepted;
                    self.call(&call_id)
                        .map(|call| vec![Output::Apply { call }])
                        .unwrap_or_default()
                }
                _ => Vec::new(),
            },
            Input::Reject { call_id, reason } => match self.proposal(&call_id) {
                Some(state) if *state == ProposalState::Pending => {
                    *state = ProposalState::Rejected(reason.clone());
                    self.call(&call_id)
                        .map(|call| vec![Output::Rejected { call, reason }])
                        .unwrap_or_default()
                }
                _ => Vec::new(),
            },
            Input::Applied { call_id, result } => {
                if let Some(state) = self.proposal(&call_id)
                    && *state == ProposalState::Accepted
                {
                    *state = match result {
                        Ok(done) => ProposalState::Applied(done),
                        Err(e) => ProposalState::Failed(e),
                    };
                }
                Vec::new()
            }
            // A stale chunk, result or failure: its turn was cancelled or replaced.
            Input::Chunk { .. } | Input::Failed { .. } | Input::ToolResult { .. } => Vec::new(),
        }
    }

    fn ask(&mut self, text: String) -> Vec<Output> {
        let mut out = Vec::new();
        // A new question replaces a reply still streaming.
        if let Some(turn) = self.active {
            self.push(turn, Body::Cancelled);
            out.push(Output::Stop { turn });
        }
        let turn = self.next;
        self.next += 1;
        self.active = Some(turn);
        self.running = 0;
        self.awaiting_tools = false;
        self.rounds = 0;
        self.push(turn, Body::Question { text: text.clone() });
        self.history.push(Message::user(text));
        self.open_answer(turn);
        out.push(Output::Send {
            turn,
            messages: self.history.clone(),
        });
        out
    }

    fn chunk(
        &mut self,
        turn: TurnId,
        chunk: Chunk,
        classify: &impl Fn(&str) -> Option<ToolClass>,
    ) -> Vec<Output> {
        match chunk {
            Chunk::Text { text } => {
                if let Some(Body::Answer { text: t, .. }) = self.answer_mut(turn) {
                    t.push_str(&text);
                }
                Vec::new()
            }
            Chunk::ToolCalls { calls } => {
                let said = self.answer_text(turn);
                self.history.push(Message {
                    tool_calls: calls.clone(),
                    ..Message::assistant(said)
                });
                let mut out = Vec::new();
                for call in calls {
                    match classify(&call.name) {
                        Some(ToolClass::Read) => {
                            self.running += 1;
                            self.push(
                                turn,
                                Body::ToolRun {
                                    call: call.clone(),
                                    result: None,
                                },
                            );
                            out.push(Output::RunTool { turn, call });
                        }
                        Some(ToolClass::Write) => {
                            self.history.push(Message::tool(
                                &call.id,
                                "Proposed to the analyst, who will accept or reject it. It has \
                                 NOT been applied; do not say that it was.",
                            ));
                            self.push(
                                turn,
                                Body::Proposal {
                                    call,
                                    state: ProposalState::Pending,
                                },
                            );
                        }
                        None => {
                            let error = format!("no tool named `{}`", call.name);
                            self.history.push(Message::tool(&call.id, &error));
                            self.push(
                                turn,
                                Body::ToolRun {
                                    call,
                                    result: Some(Err(error)),
                                },
                            );
                        }
                    }
                }
                out
            }
            Chunk::Done { finish, usage } => {
                let tools = finish == Finish::ToolCalls;
                if let Some(Body::Answer {
                    finish: f,
                    usage: u,
                    ..
                }) = self.answer_mut(turn)
                {
                    *f = Some(finish);
                    *u = usage;
                }
                if tools {
                    self.awaiting_tools = true;
                    return self.maybe_continue(turn);
                }
                let said = self.answer_text(turn);
                self.history.push(Message::assistant(said));
                self.end_turn();
                Vec::new()
            }
        }
    }

    fn tool_result(
        &mut self,
        turn: TurnId,
        call_id: &str,
        result: Result<String, String>,
    ) -> Vec<Output> {
        let mut found = false;
        for e in self.entries.iter_mut().rev() {
            if let Body::ToolRun { call, result: r } = &mut e.body
                && call.id == call_id
                && r.is_none()
            {
                *r = Some(result.clone());
                found = true;
                break;
            }
        }
        if !found {
            return Vec::new();
        }
        self.running = self.running.saturating_sub(1);
        let content = match result {
            Ok(data) => data,
            Err(e) => format!("error: {e}"),
        };
        self.history.push(Message::tool(call_id, content));
        self.maybe_continue(turn)
    }

    /// After a reply that called tools: once every read tool is back, ask the model again
    /// (with their results), a bounded number of times.
    fn maybe_continue(&mut self, turn: TurnId) -> Vec<Output> {
        if !self.awaiting_tools || self.running > 0 {
            return Vec::new();
        }
        self.awaiting_tools = false;
        self.rounds += 1;
        if self.rounds > MAX_TOOL_ROUNDS {
            self.push(
                turn,
                Body::Error {
                    text: format!("stopped after {MAX_TOOL_ROUNDS} rounds of tool calls"),
                },
            );
            self.end_turn();
            return Vec::new();
        }
        self.open_answer(turn);
        vec![Output::Send {
            turn,
            messages: self.history.clone(),
        }]
    }

    fn open_answer(&mut self, turn: TurnId) {
        self.push(
            turn,
            Body::Answer {
                text: String::new(),
                finish: None,
                usage: None,
            },
        );
    }

    fn end_turn(&mut self) {
        self.active = None;
        self.running = 0;
        self.awaiting_tools = false;
    }

    fn push(&mut self, turn: TurnId, body: Body) {
        self.entries.push(Entry { turn, body });
    }

    /// The open (last) answer of `turn`.
    fn answer_mut(&mut self, turn: TurnId) -> Option<&mut Body> {
        self.entries
            .iter_mut()
            .rev()
            .find(|e| e.turn == turn && matches!(e.body, Body::Answer { .. }))
            .map(|e| &mut e.body)
    }

    fn answer_text(&mut self, turn: TurnId) -> String {
        match self.answer_mut(turn) {
            Some(Body::Answer { text, .. }) => text.clone(),
            _ => String::new(),
        }
    }

    fn proposal(&mut self, call_id: &str) -> Option<&mut ProposalState> {
        self.entries.iter_mut().find_map(|e| match &mut e.body {
            Body::Proposal { call, state } if call.id == call_id => Some(state),
            _ => None,
        })
    }

    fn call(&self, call_id: &str) -> Option<ToolCall> {
        self.entries.iter().find_map(|e| match &e.body {
            Body::Proposal { call, .. } if call.id == call_id => Some(call.clone()),
            _ => None,
        })
    }
}

/// Whether a message came from the model or the analyst (for transcripts).
pub fn speaker(m: &Message) -> &'static str {
    match m.role {
        Role::System => "system",
        Role::User => "analyst",
        Role::Assistant => "model",
        Role::Tool => "tool",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn classify(name: &str) -> Option<ToolClass> {
        match name {
            "search_logs" | "get_alert" => Some(ToolClass::Read),
            "close_case" | "set_alert_verdict" => Some(ToolClass::Write),
            _ => None,
        }
    }

    fn text(turn: TurnId, t: &str) -> Input {
        Input::Chunk {
            turn,
            chunk: Chunk::Text { text: t.into() },
        }
    }

    fn done(turn: TurnId, finish: Finish) -> Input {
        Input::Chunk {
            turn,
            chunk: Chunk::Done {
                finish,
                usage: None,
            },
        }
    }

    fn call(id: &str, name: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: json!({}),
        }
    }

    fn answers(c: &Conversation) -> Vec<String> {
        c.entries
            .iter()
            .filter_map(|e| match &e.body {
                Body::Answer { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_streamed_answer_assembles_and_ends_the_turn() {
        let mut c = Conversation::new();
        let out = c.handle(Input::Ask("who failed to log in?".into()), classify);
        assert!(matches!(&out[..], [Output::Send { turn: 0, messages }] if messages.len() == 1));
        c.handle(text(0, "203.0."), classify);
        c.handle(text(0, "113.45"), classify);
        assert!(c.is_streaming());
        c.handle(done(0, Finish::Stop), classify);
        assert!(!c.is_streaming());
        assert_eq!(answers(&c), vec!["203.0.113.45"]);
        assert_eq!(c.history.last().unwrap().content, "203.0.113.45");
    }

    #[test]
    fn cancel_stops_the_stream_and_stale_chunks_are_ignored() {
        let mut c = Conversation::new();
        c.handle(Input::Ask("q1".into()), classify);
        c.handle(text(0, "partial"), classify);
        assert_eq!(
            c.handle(Input::Cancel, classify),
            vec![Output::Stop { turn: 0 }]
        );
        // The cancelled turn's late chunks change nothing.
        c.handle(text(0, " more"), classify);
        c.handle(done(0, Finish::Stop), classify);
        assert_eq!(answers(&c), vec!["partial"]);
        assert!(c.entries.iter().any(|e| e.body == Body::Cancelled));
        // A new question while one streams replaces it.
        c.handle(Input::Ask("q2".into()), classify);
        let out = c.handle(Input::Ask("q3".into()), classify);
        assert_eq!(out[0], Output::Stop { turn: 1 });
        c.handle(text(1, "stale"), classify);
        c.handle(text(2, "fresh"), classify);
        assert_eq!(answers(&c), vec!["partial", "", "fresh"]);
    }

    #[test]
    fn read_tools_run_then_the_model_is_asked_again_with_their_results() {
        let mut c = Conversation::new();
        c.handle(Input::Ask("what happened on web-01?".into()), classify);
        let out = c.handle(
            Input::Chunk {
                turn: 0,
                chunk: Chunk::ToolCalls {
                    calls: vec![call("a", "search_logs"), call("b", "get_alert")],
                },
            },
            classify,
        );
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[0], Output::RunTool { call, .. } if call.id == "a"));
        assert!(c.handle(done(0, Finish::ToolCalls), classify).is_empty());
        let ok = |id: &str| Input::ToolResult {
            turn: 0,
            call_id: id.into(),
            result: Ok(format!("result {id}")),
        };
        assert!(c.handle(ok("a"), classify).is_empty(), "waits for b");
        let out = c.handle(ok("b"), classify);
        let Some(Output::Send { messages, .. }) = out.first() else {
            panic!("{out:?}")
        };
        // user, assistant (with the calls), two tool results.
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[1].tool_calls.len(), 2);
        assert_eq!(messages[3].tool_call_id.as_deref(), Some("b"));
        c.handle(text(0, "web-01 was brute-forced"), classify);
        c.handle(done(0, Finish::Stop), classify);
        assert!(!c.is_streaming());
    }

    #[test]
    fn write_tools_wait_for_the_analyst() {
        let mut c = Conversation::new();
        c.handle(Input::Ask("clean up".into()), classify);
        let out = c.handle(
            Input::Chunk {
                turn: 0,
                chunk: Chunk::ToolCalls {
                    calls: vec![call("x", "close_case"), call("y", "set_alert_verdict")],
                },
            },
            classify,
        );
        assert!(out.is_empty(), "nothing runs by itself: {out:?}");
        // The model hears that nothing was applied, and may finish its answer.
        let out = c.handle(done(0, Finish::ToolCalls), classify);
        assert!(matches!(&out[..], [Output::Send { .. }]));
        assert!(
            c.history
                .iter()
                .any(|m| m.content.contains("NOT been applied"))
        );
        assert_eq!(c.pending_proposals().len(), 2);
        // Only the analyst's accept applies; a reject is recorded with its reason.
        assert_eq!(
            c.handle(
                Input::Accept {
                    call_id: "x".into()
                },
                classify
            ),
            vec![Output::Apply {
                call: call("x", "close_case")
            }]
        );
        assert!(
            c.handle(
                Input::Accept {
                    call_id: "x".into()
                },
                classify
            )
            .is_empty()
        );
        let out = c.handle(
            Input::Reject {
                call_id: "y".into(),
                reason: "still investigating".into(),
            },
            classify,
        );
        assert!(
            matches!(&out[..], [Output::Rejected { reason, .. }] if reason == "still investigating")
        );
        c.handle(
            Input::Applied {
                call_id: "x".into(),
                result: Ok("case closed".into()),
            },
            classify,
        );
        assert!(c.pending_proposals().is_empty());
        assert!(c.entries.iter().any(|e| matches!(
            &e.body,
            Body::Proposal { state: ProposalState::Applied(s), .. } if s == "case closed"
        )));
    }

    #[test]
    fn unknown_tools_and_endless_tool_loops_are_contained() {
        let mut c = Conversation::new();
        c.handle(Input::Ask("loop".into()), classify);
        let mut sends = 0;
        for round in 0..10 {
            c.handle(
                Input::Chunk {
                    turn: 0,
                    chunk: Chunk::ToolCalls {
                        calls: vec![call(&format!("n{round}"), "no_such_tool")],
                    },
                },
                classify,
            );
            let out = c.handle(done(0, Finish::ToolCalls), classify);
            sends += out.len();
            if !c.is_streaming() {
                break;
            }
        }
        assert_eq!(sends as u32, MAX_TOOL_ROUNDS);
        assert!(!c.is_streaming());
        assert!(
            c.entries
                .iter()
                .any(|e| matches!(&e.body, Body::Error { text } if text.contains("rounds")))
        );
        assert!(
            c.history
                .iter()
                .any(|m| m.content.contains("no tool named"))
        );
    }

    #[test]
    fn restore_continues_turn_numbers() {
        let mut c = Conversation::new();
        c.handle(Input::Ask("a".into()), classify);
        c.handle(done(0, Finish::Stop), classify);
        let mut r = Conversation::restore(c.entries.clone(), c.history.clone());
        let out = r.handle(Input::Ask("b".into()), classify);
        assert!(matches!(&out[..], [Output::Send { turn: 1, messages }] if messages.len() == 3));
    }
}
