//! Unit tests of the Ollama NDJSON decoder and request body (the HTTP side is in tests/it/llm).

use std::collections::VecDeque;

use serde_json::json;

use super::*;

fn decode(pieces: &[&[u8]]) -> Vec<Result<Chunk, String>> {
    let mut d = Decoder::default();
    let mut out = VecDeque::new();
    for p in pieces {
        d.feed(p, &mut out);
    }
    d.finish(&mut out);
    out.into_iter().collect()
}

#[test]
fn text_split_inside_a_character_survives() {
    let body = "{\"message\":{\"role\":\"assistant\",\"content\":\"11°C\"},\"done\":false}\n\
                {\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\
                \"done_reason\":\"stop\",\"prompt_eval_count\":94,\"eval_count\":11}\n";
    let bytes = body.as_bytes();
    let cut = body.find('°').map(|i| i + 1).unwrap_or(0);
    assert!(cut > 0);
    let out = decode(&[&bytes[..cut], &bytes[cut..]]);
    assert_eq!(
        out,
        vec![
            Ok(Chunk::Text {
                text: "11°C".into()
            }),
            Ok(Chunk::Done {
                finish: Finish::Stop,
                usage: Some(Usage {
                    prompt_tokens: 94,
                    completion_tokens: 11
                })
            })
        ]
    );
}

#[test]
fn tool_calls_get_numbered_ids_and_end_as_tool_calls() {
    let out = decode(&[
        br#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"a","arguments":{"x":1}}}]},"done":false}
{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"b","arguments":"{\"y\":2}"}}]},"done":false}
{"message":{"role":"assistant","content":""},"done_reason":"stop","done":true}"#,
    ]);
    let Some(Ok(Chunk::ToolCalls { calls })) = out.first() else {
        panic!("{out:?}");
    };
    let ids: Vec<_> = calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(ids, [("call_0", "a"), ("call_1", "b")]);
    assert_eq!(calls[1].arguments, json!({"y": 2}));
    assert_eq!(
        out.get(1),
        Some(&Ok(Chunk::Done {
            finish: Finish::ToolCalls,
            usage: None
        }))
    );
}

#[test]
fn length_and_other_reasons() {
    let out = decode(&[
        br#"{"message":{"content":"x"},"done":true,"done_reason":"length","eval_count":1}"#,
    ]);
    assert!(matches!(
        out.last(),
        Some(Ok(Chunk::Done {
            finish: Finish::Length,
            ..
        }))
    ));
    let out = decode(&[br#"{"done":true,"done_reason":"load"}"#]);
    assert_eq!(
        out,
        vec![Ok(Chunk::Done {
            finish: Finish::Other("load".into()),
            usage: None
        })]
    );
}

#[test]
fn an_error_line_stops_the_reply_with_its_message() {
    let out = decode(&[
        b"{\"message\":{\"content\":\"Yes\"},\"done\":false}\n",
        b"{\"error\":\"an error was encountered while running the model\"}\n",
        b"{\"message\":{\"content\":\"never\"},\"done\":false}\n",
    ]);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(matches!(&out[1], Err(e) if e.contains("an error was encountered")));
}

#[test]
fn a_reply_without_done_is_an_error() {
    let out = decode(&[b"{\"message\":{\"content\":\"The\"},\"done\":false}\n"]);
    assert!(matches!(out.last(), Some(Err(e)) if e.contains("ended before")));
    let out = decode(&[b"not json\n"]);
    assert!(matches!(out.last(), Some(Err(e)) if e.contains("not json")));
}

#[test]
fn tool_results_carry_the_tool_name_and_options_are_set() {
    let call = ToolCall {
        id: "call_0".into(),
        name: "get_weather".into(),
        arguments: json!({"city": "Tokyo"}),
    };
    let mut assistant = Message::assistant("");
    assistant.tool_calls.push(call);
    let request = ChatRequest {
        messages: vec![
            Message::user("weather?"),
            assistant,
            Message::tool("call_0", "22°C"),
        ],
        tools: Vec::new(),
        max_tokens: Some(64),
        temperature: Some(0.0),
    };
    let body = serde_json::to_value(wire_request("llama3.2", &request)).unwrap();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(
        body["options"],
        json!({"temperature": 0.0, "num_predict": 64})
    );
    assert_eq!(body["messages"][2]["tool_name"], json!("get_weather"));
    assert_eq!(
        body["messages"][1]["tool_calls"][0]["function"]["arguments"],
        json!({"city": "Tokyo"})
    );
    assert!(body.get("tools").is_none());
}
