//! Unit tests of the chat-completions assembler, error shapes and request body (the HTTP
//! side, on the recorded streams, is in tests/it/llm).

use std::collections::VecDeque;

use serde_json::json;

use super::transport::error_object;
use super::*;

fn event(choices: Value, usage: Value) -> CreateChatCompletionStreamResponse {
    let v = json!({
        "id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": choices, "usage": usage,
    });
    serde_json::from_value(v).unwrap()
}

fn delta(d: Value, finish: Option<&str>) -> CreateChatCompletionStreamResponse {
    event(
        json!([{"index": 0, "delta": d, "finish_reason": finish}]),
        Value::Null,
    )
}

fn run(events: Vec<CreateChatCompletionStreamResponse>) -> (Vec<Chunk>, Result<Chunk, String>) {
    let mut a = Assembler::default();
    let mut out = VecDeque::new();
    for e in events {
        a.push(e, &mut out);
    }
    (out.into_iter().collect(), a.end())
}

#[test]
fn fragments_join_by_index_even_interleaved() {
    let (chunks, end) = run(vec![
        delta(
            json!({"tool_calls": [{"index": 1, "id": "b", "function": {"name": "two", "arguments": "{\"k\""}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 0, "function": {"name": "one", "arguments": ""}}]}),
            None,
        ),
        delta(
            json!({"tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}]}),
            None,
        ),
        delta(json!({}), Some("tool_calls")),
    ]);
    let [Chunk::ToolCalls { calls }] = chunks.as_slice() else {
        panic!("{chunks:?}");
    };
    assert_eq!(
        calls,
        &vec![
            ToolCall {
                id: "call_0".into(),
                name: "one".into(),
                arguments: json!({})
            },
            ToolCall {
                id: "b".into(),
                name: "two".into(),
                arguments: json!({"k": 2})
            },
        ]
    );
    assert_eq!(
        end,
        Ok(Chunk::Done {
            finish: Finish::ToolCalls,
            usage: None
        })
    );
}

#[test]
fn broken_arguments_and_missing_finish_are_errors() {
    let (_, end) = run(vec![
        delta(
            json!({"tool_calls": [{"index": 0, "id": "a", "function": {"name": "f", "arguments": "{\"x\":"}}]}),
            None,
        ),
        delta(json!({}), Some("tool_calls")),
    ]);
    assert!(matches!(end, Err(e) if e.contains("not JSON") && e.contains("(f)")));
    let (chunks, end) = run(vec![delta(json!({"content": "Hel"}), None)]);
    assert_eq!(chunks.len(), 1);
    assert!(matches!(end, Err(e) if e.contains("ended before")));
}

#[test]
fn other_choices_are_ignored_and_usage_is_kept() {
    let (chunks, end) = run(vec![
        event(
            json!([{"index": 1, "delta": {"content": "no"}}, {"index": 0, "delta": {"content": "yes"}}]),
            Value::Null,
        ),
        delta(json!({}), Some("content_filter")),
        event(
            json!([]),
            json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
        ),
    ]);
    assert_eq!(chunks, vec![Chunk::Text { text: "yes".into() }]);
    assert_eq!(
        end,
        Ok(Chunk::Done {
            finish: Finish::ContentFilter,
            usage: Some(Usage {
                prompt_tokens: 3,
                completion_tokens: 4
            })
        })
    );
}

#[test]
fn error_bodies_of_every_shape_give_a_message() {
    let openai = error_object(
        r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
    );
    assert_eq!(openai.code.as_deref(), Some("model_not_found"));
    assert!(openai.message.contains("does not exist"));
    let llama_cpp = error_object(
        r#"{"error":{"code":404,"message":"model not found","type":"not_found_error"}}"#,
    );
    assert_eq!(llama_cpp.code.as_deref(), Some("404"));
    assert_eq!(llama_cpp.message, "model not found");
    let vllm =
        error_object(r#"{"object":"error","message":"The model `x` does not exist.","code":404}"#);
    assert!(vllm.message.starts_with("The model"));
    assert_eq!(
        error_object(r#"{"error":"model \"x\" not found"}"#).message,
        "model \"x\" not found"
    );
    assert_eq!(error_object("File Not Found\n").message, "File Not Found");
}

#[test]
fn request_body_streams_with_usage_and_maps_roles() {
    let mut assistant = Message::assistant("");
    assistant.tool_calls.push(ToolCall {
        id: "call_1".into(),
        name: "lookup".into(),
        arguments: json!({"ip": "10.0.0.1"}),
    });
    let request = ChatRequest {
        messages: vec![
            Message::system("be brief"),
            Message::user("who?"),
            assistant,
            Message::tool("call_1", "a printer"),
        ],
        tools: vec![ToolSpec {
            name: "lookup".into(),
            description: "find a host".into(),
            parameters: json!({"type": "object"}),
        }],
        max_tokens: Some(100),
        temperature: None,
    };
    let body = serde_json::to_value(wire_request("m", request).unwrap()).unwrap();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["max_tokens"], json!(100));
    assert!(body.get("temperature").is_none());
    assert_eq!(body["messages"][2]["role"], json!("assistant"));
    assert!(body["messages"][2].get("content").is_none());
    assert_eq!(
        body["messages"][2]["tool_calls"][0]["function"]["arguments"],
        json!("{\"ip\":\"10.0.0.1\"}")
    );
    assert_eq!(body["messages"][3]["tool_call_id"], json!("call_1"));
    assert_eq!(body["tools"][0]["type"], json!("function"));
    let orphan = ChatRequest {
        messages: vec![Message {
            tool_call_id: None,
            ..Message::tool("x", "y")
        }],
        ..Default::default()
    };
    assert!(matches!(
        wire_request("m", orphan),
        Err(LlmError::Config(_))
    ));
}
