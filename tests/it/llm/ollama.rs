//! The Ollama provider on recorded `/api/chat` NDJSON: text, tool calls, the end and its
//! usage, errors, retries, timeouts and cancellation.

use serde_json::json;
use tocsin::llm::{
    ChatRequest, Chunk, Finish, LlmError, Message, Provider, ToolCall, ToolSpec, Usage,
    provider_from_config,
};

use super::server::{After, Reply, Server, chunks, collect, config, fixture, ndjson, text};

fn provider(server: &Server, model: &str) -> Box<dyn Provider> {
    match provider_from_config(&config("ollama", &server.url, model)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn weather_tool() -> ToolSpec {
    ToolSpec {
        name: "get_weather".into(),
        description: "Get the weather in a given city".into(),
        parameters: json!({
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city"}},
            "required": ["city"]
        }),
    }
}

#[tokio::test]
async fn ollama_streams_text_and_sends_model_messages_and_options() {
    let server = Server::start(vec![ndjson("ollama/chat-stream.ndjson")]).await;
    let p = provider(&server, "llama3.2");
    assert_eq!((p.kind(), p.model()), ("ollama", "llama3.2"));
    assert_eq!(p.endpoint(), server.url);
    let request = ChatRequest {
        messages: vec![
            Message::system("You are terse."),
            Message::user("why is the sky blue?"),
        ],
        temperature: Some(0.0),
        ..Default::default()
    };
    let items = chunks(collect(p.chat(request)).await);
    assert_eq!(items.len(), 10, "{items:?}");
    assert_eq!(
        text(&items.iter().cloned().map(Ok).collect::<Vec<_>>()),
        "The sky is blue because of Rayleigh scattering."
    );
    assert_eq!(
        items.last(),
        Some(&Chunk::Done {
            finish: Finish::Stop,
            usage: Some(Usage {
                prompt_tokens: 26,
                completion_tokens: 282
            })
        })
    );
    let sent = server.request();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/api/chat")
    );
    assert_eq!(sent.body["model"], json!("llama3.2"));
    assert_eq!(sent.body["stream"], json!(true));
    assert_eq!(
        sent.body["messages"],
        json!([
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "why is the sky blue?"}
        ])
    );
    assert_eq!(sent.body["options"], json!({"temperature": 0.0}));
    assert!(sent.body.get("tools").is_none(), "{}", sent.body);
}

#[tokio::test]
async fn ollama_tool_call_objects_get_call_ids() {
    let server = Server::start(vec![ndjson("ollama/chat-tools.ndjson")]).await;
    let request = ChatRequest {
        messages: vec![Message::user("what is the weather in tokyo?")],
        tools: vec![weather_tool()],
        ..Default::default()
    };
    let items = chunks(collect(provider(&server, "llama3.2").chat(request)).await);
    assert_eq!(
        items,
        vec![
            Chunk::ToolCalls {
                calls: vec![ToolCall {
                    id: "call_0".into(),
                    name: "get_weather".into(),
                    arguments: json!({"city": "Tokyo"}),
                }]
            },
            Chunk::Done {
                finish: Finish::ToolCalls,
                usage: Some(Usage {
                    prompt_tokens: 169,
                    completion_tokens: 15
                })
            }
        ]
    );
    let sent = server.request();
    assert_eq!(
        sent.body["tools"],
        json!([{"type": "function", "function": {
            "name": "get_weather",
            "description": "Get the weather in a given city",
            "parameters": weather_tool().parameters,
        }}])
    );
}

#[tokio::test]
async fn ollama_parallel_calls_are_numbered_in_order() {
    let server = Server::start(vec![ndjson("ollama/chat-parallel-tools.ndjson")]).await;
    let request = ChatRequest {
        messages: vec![Message::user("weather in New York?")],
        ..Default::default()
    };
    let items = chunks(collect(provider(&server, "llama3.2").chat(request)).await);
    let Some(Chunk::ToolCalls { calls }) = items.first() else {
        panic!("{items:?}");
    };
    let got: Vec<_> = calls
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str(), c.arguments.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("call_0", "get_temperature", json!({"city": "New York"})),
            ("call_1", "get_conditions", json!({"city": "New York"})),
        ]
    );
}

#[tokio::test]
async fn ollama_text_split_inside_a_character_and_tool_results_by_name() {
    // The body cut in the middle of the two bytes of '°'.
    let body = fixture("ollama/chat-unicode.ndjson");
    let cut = body
        .windows(2)
        .position(|w| w == "°".as_bytes())
        .map(|at| at + 1)
        .unwrap_or_else(|| panic!("no ° in the fixture"));
    let server = Server::start(vec![Reply::Stream {
        content_type: "application/x-ndjson",
        chunks: vec![body[..cut].to_vec(), body[cut..].to_vec()],
        after: After::End,
    }])
    .await;
    let mut assistant = Message::assistant("");
    assistant.tool_calls.push(ToolCall {
        id: "call_0".into(),
        name: "get_weather".into(),
        arguments: json!({"city": "Toronto"}),
    });
    let request = ChatRequest {
        messages: vec![
            Message::user("what is the weather in Toronto?"),
            assistant,
            Message::tool("call_0", "11 degrees celsius"),
        ],
        tools: vec![weather_tool()],
        ..Default::default()
    };
    let items = collect(provider(&server, "llama3.2").chat(request)).await;
    assert_eq!(text(&items), "The current temperature in Toronto is 11°C.");
    assert!(matches!(
        items.last(),
        Some(Ok(Chunk::Done {
            finish: Finish::Stop,
            ..
        }))
    ));
    let sent = server.request();
    assert_eq!(
        sent.body["messages"][1],
        json!({"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Toronto"}}}
        ]})
    );
    assert_eq!(
        sent.body["messages"][2],
        json!({"role": "tool", "content": "11 degrees celsius", "tool_name": "get_weather"})
    );
}

#[tokio::test]
async fn ollama_length_cut_off_and_num_predict() {
    let server = Server::start(vec![ndjson("ollama/chat-length.ndjson")]).await;
    let request = ChatRequest {
        messages: vec![Message::user("Ollama is 22 years old")],
        max_tokens: Some(1),
        ..Default::default()
    };
    let items = chunks(collect(provider(&server, "llama3.2").chat(request)).await);
    assert_eq!(
        items,
        vec![
            Chunk::Text { text: "The".into() },
            Chunk::Done {
                finish: Finish::Length,
                usage: Some(Usage {
                    prompt_tokens: 34,
                    completion_tokens: 1
                })
            }
        ]
    );
    assert_eq!(server.request().body["options"], json!({"num_predict": 1}));
}

#[tokio::test]
async fn ollama_missing_model_says_how_to_pull_it() {
    let body = String::from_utf8(fixture("ollama/error-model-not-found.json")).unwrap_or_default();
    let server = Server::start(vec![Reply::Status { status: 404, body }]).await;
    let items = collect(provider(&server, "nope").chat(ChatRequest::default())).await;
    assert_eq!(items.len(), 1);
    match &items[0] {
        Err(LlmError::ModelMissing { model, url, hint }) => {
            assert_eq!(
                (model.as_str(), url.as_str()),
                ("nope", server.url.as_str())
            );
            assert!(hint.contains("ollama pull nope"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn ollama_error_line_mid_stream_ends_the_reply_with_its_message() {
    let server = Server::start(vec![Reply::Stream {
        content_type: "application/x-ndjson",
        chunks: vec![
            b"{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Yes\"},\"done\":false}\n".to_vec(),
            b"{\"error\":\"an error was encountered while running the model\"}\n".to_vec(),
        ],
        after: After::End,
    }])
    .await;
    let items = collect(provider(&server, "llama3.2").chat(ChatRequest::default())).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(text(&items), "Yes");
    assert!(
        matches!(&items[1], Err(LlmError::Protocol { reason, .. }) if reason.contains("an error was encountered")),
        "{items:?}"
    );
}

#[tokio::test]
async fn ollama_retries_a_5xx_before_the_reply_but_never_mid_stream() {
    let server = Server::start(vec![
        Reply::Status {
            status: 503,
            body:
                r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#
                    .into(),
        },
        ndjson("ollama/chat-stream.ndjson"),
    ])
    .await;
    let mut c = config("ollama", &server.url, "llama3.2");
    c.retries = 1;
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ChatRequest::default())).await;
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert_eq!(server.requests().len(), 2);

    // The body breaks off after its first line: an error, and no second request.
    let first_line = ndjson("ollama/chat-stream.ndjson");
    let Reply::Stream { chunks, .. } = first_line else {
        panic!("not a stream");
    };
    let server = Server::start(vec![
        Reply::Stream {
            content_type: "application/x-ndjson",
            chunks: chunks[..1].to_vec(),
            after: After::Cut,
        },
        ndjson("ollama/chat-stream.ndjson"),
    ])
    .await;
    let mut c = config("ollama", &server.url, "llama3.2");
    c.retries = 2;
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ChatRequest::default())).await;
    assert_eq!(text(&items), "The");
    assert!(matches!(items.last(), Some(Err(_))), "{items:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn ollama_gives_up_after_the_timeout_and_hangs_up() {
    let mut server = Server::start(vec![Reply::Silence]).await;
    let mut c = config("ollama", &server.url, "llama3.2");
    c.timeout_secs = 1;
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ChatRequest::default())).await;
    assert!(
        matches!(&items[..], [Err(LlmError::Timeout { seconds: 1, url })] if *url == server.url),
        "{items:?}"
    );
    assert!(server.client_closed().await);
}

#[tokio::test]
async fn ollama_dropping_the_reply_closes_the_connection() {
    let Reply::Stream { chunks, .. } = ndjson("ollama/chat-stream.ndjson") else {
        panic!("not a stream");
    };
    let mut server = Server::start(vec![Reply::Stream {
        content_type: "application/x-ndjson",
        chunks: chunks[..2].to_vec(),
        after: After::Hold,
    }])
    .await;
    // The provider (and its HTTP client) outlives the reply: only the reply is dropped.
    let p = provider(&server, "llama3.2");
    let mut reply = p.chat(ChatRequest::default());
    let first = futures_util::StreamExt::next(&mut reply).await;
    assert!(
        matches!(&first, Some(Ok(Chunk::Text { text })) if text == "The"),
        "{first:?}"
    );
    drop(reply);
    assert!(
        server.client_closed().await,
        "the server never saw the close"
    );
    drop(p);
}
