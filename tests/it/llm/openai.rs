//! The OpenAI-compatible provider on recorded chat-completion SSE streams: text, parallel tool
//! calls joined by index, length, refusal, usage, the API key, errors, retries and
//! cancellation.

use serde_json::json;
use tocsin::llm::{
    ChatRequest, Chunk, Finish, LlmError, Message, Provider, ToolCall, ToolSpec, Usage,
    provider_from_config,
};

use super::server::{After, Reply, Server, chunks, collect, config, fixture, sse, text};

fn provider(server: &Server, model: &str) -> Box<dyn Provider> {
    let url = format!("{}/v1", server.url);
    match provider_from_config(&config("openai", &url, model)) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    }
}

fn ask(question: &str) -> ChatRequest {
    ChatRequest {
        messages: vec![Message::user(question)],
        ..Default::default()
    }
}

#[tokio::test]
async fn openai_streams_text_with_usage_and_sends_a_streamed_request() {
    let server = Server::start(vec![sse("openai/e2aad469b71d1d48.sse")]).await;
    let p = provider(&server, "gpt-4o-2024-08-06");
    assert_eq!(p.kind(), "openai");
    assert_eq!(p.endpoint(), format!("{}/v1", server.url));
    let mut request = ask("What's the weather like in SF?");
    request.max_tokens = Some(64);
    let items = collect(p.chat(request)).await;
    assert_eq!(
        text(&items),
        "I'm unable to provide real-time weather updates. To get the current weather in San \
         Francisco, I recommend checking a reliable weather website or a weather app."
    );
    let items = chunks(items);
    assert_eq!(items.len(), 31, "one chunk per content delta, then Done");
    assert_eq!(
        items.last(),
        Some(&Chunk::Done {
            finish: Finish::Stop,
            usage: Some(Usage {
                prompt_tokens: 14,
                completion_tokens: 30
            })
        })
    );
    let sent = server.request();
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(sent.body["model"], json!("gpt-4o-2024-08-06"));
    assert_eq!(sent.body["stream"], json!(true));
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent.body["max_tokens"], json!(64));
    assert_eq!(
        sent.body["messages"],
        json!([{"role": "user", "content": "What's the weather like in SF?"}])
    );
    assert!(sent.body.get("tools").is_none());
    assert_eq!(sent.header("authorization"), None, "no key, no header");
}

#[tokio::test]
async fn openai_parallel_tool_calls_are_joined_by_index() {
    let server = Server::start(vec![sse("openai/f82268f2fefd5cfb.sse")]).await;
    let tools = vec![
        ToolSpec {
            name: "GetWeatherArgs".into(),
            description: "weather".into(),
            parameters: json!({"type": "object", "properties": {"city": {"type": "string"}}}),
        },
        ToolSpec {
            name: "get_stock_price".into(),
            description: "a stock's price".into(),
            parameters: json!({"type": "object", "properties": {"ticker": {"type": "string"}}}),
        },
    ];
    let request = ChatRequest {
        tools: tools.clone(),
        ..ask("What's the weather like in Edinburgh? And AAPL?")
    };
    let items = chunks(collect(provider(&server, "gpt-4o-2024-08-06").chat(request)).await);
    assert_eq!(
        items,
        vec![
            Chunk::ToolCalls {
                calls: vec![
                    ToolCall {
                        id: "call_JMW1whyEaYG438VE1OIflxA2".into(),
                        name: "GetWeatherArgs".into(),
                        arguments: json!({"city": "Edinburgh", "country": "GB", "units": "c"}),
                    },
                    ToolCall {
                        id: "call_DNYTawLBoN8fj3KN6qU9N1Ou".into(),
                        name: "get_stock_price".into(),
                        arguments: json!({"ticker": "AAPL", "exchange": "NASDAQ"}),
                    },
                ]
            },
            Chunk::Done {
                finish: Finish::ToolCalls,
                usage: Some(Usage {
                    prompt_tokens: 149,
                    completion_tokens: 60
                })
            }
        ]
    );
    let sent = server.request();
    assert_eq!(sent.body["tools"][1]["type"], json!("function"));
    assert_eq!(
        sent.body["tools"][1]["function"]["name"],
        json!("get_stock_price")
    );
    assert_eq!(
        sent.body["tools"][0]["function"]["parameters"],
        tools[0].parameters
    );
}

#[tokio::test]
async fn openai_length_cut_off() {
    let server = Server::start(vec![sse("openai/4cc50a6135d25457.sse")]).await;
    let items = chunks(collect(provider(&server, "gpt-4o").chat(ask("weather?"))).await);
    assert_eq!(
        items,
        vec![
            Chunk::Text { text: "{\"".into() },
            Chunk::Done {
                finish: Finish::Length,
                usage: Some(Usage {
                    prompt_tokens: 79,
                    completion_tokens: 1
                })
            }
        ]
    );
}

#[tokio::test]
async fn openai_refusal_ends_as_refusal_with_its_text() {
    let server = Server::start(vec![sse("openai/173417d553406f03.sse")]).await;
    let items = chunks(collect(provider(&server, "gpt-4o").chat(ask("how to make a bomb"))).await);
    assert_eq!(
        items,
        vec![Chunk::Done {
            finish: Finish::Refusal("I'm sorry, I can't assist with that request.".into()),
            usage: Some(Usage {
                prompt_tokens: 79,
                completion_tokens: 11
            })
        }]
    );
}

#[tokio::test]
async fn openai_sends_the_key_from_the_named_variable() {
    // A variable cargo sets for every test run: no need to change the environment.
    let key = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    assert!(!key.is_empty());
    let server = Server::start(vec![sse("openai/4cc50a6135d25457.sse")]).await;
    let mut c = config("openai", &format!("{}/v1", server.url), "gpt-4o");
    c.api_key_env = "CARGO_MANIFEST_DIR".into();
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ask("hi"))).await;
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(
        server.request().header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
}

#[tokio::test]
async fn openai_missing_model_is_model_missing_with_a_hint() {
    let body = String::from_utf8(fixture("openai/error-model-not-found.json")).unwrap_or_default();
    let server = Server::start(vec![Reply::Status { status: 404, body }]).await;
    let items = collect(provider(&server, "nope").chat(ask("hi"))).await;
    assert_eq!(items.len(), 1);
    match &items[0] {
        Err(LlmError::ModelMissing { model, url, hint }) => {
            assert_eq!(model, "nope");
            assert_eq!(*url, format!("{}/v1", server.url));
            assert!(hint.contains("/v1/models"), "{hint}");
        }
        other => panic!("{other:?}"),
    }
    // Other errors keep their status and message, whatever the body's shape.
    let server = Server::start(vec![Reply::Status {
        status: 400,
        body:
            r#"{"error":{"code":400,"message":"context too long","type":"invalid_request_error"}}"#
                .into(),
    }])
    .await;
    let items = collect(provider(&server, "m").chat(ask("hi"))).await;
    assert!(
        matches!(&items[..], [Err(LlmError::Status { status: 400, body, .. })] if body == "context too long"),
        "{items:?}"
    );
}

#[tokio::test]
async fn openai_retries_a_5xx_before_the_reply_but_never_mid_stream() {
    let server = Server::start(vec![
        Reply::Status {
            status: 502,
            body: "Bad Gateway".into(),
        },
        sse("openai/4cc50a6135d25457.sse"),
    ])
    .await;
    let mut c = config("openai", &format!("{}/v1", server.url), "gpt-4o");
    c.retries = 1;
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ask("hi"))).await;
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    assert_eq!(server.requests().len(), 2);

    let Reply::Stream { chunks, .. } = sse("openai/e2aad469b71d1d48.sse") else {
        panic!("not a stream");
    };
    let server = Server::start(vec![
        Reply::Stream {
            content_type: "text/event-stream",
            chunks: chunks[..3].to_vec(),
            after: After::Cut,
        },
        sse("openai/e2aad469b71d1d48.sse"),
    ])
    .await;
    let mut c = config("openai", &format!("{}/v1", server.url), "gpt-4o");
    c.retries = 2;
    let p = provider_from_config(&c).unwrap_or_else(|e| panic!("{e}"));
    let items = collect(p.chat(ask("hi"))).await;
    assert_eq!(text(&items), "I'm unable");
    assert!(matches!(items.last(), Some(Err(_))), "{items:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn openai_dropping_the_reply_closes_the_connection() {
    let Reply::Stream { chunks, .. } = sse("openai/e2aad469b71d1d48.sse") else {
        panic!("not a stream");
    };
    let mut server = Server::start(vec![Reply::Stream {
        content_type: "text/event-stream",
        chunks: chunks[..2].to_vec(),
        after: After::Hold,
    }])
    .await;
    // The provider (and its HTTP client) outlives the reply: only the reply is dropped.
    let p = provider(&server, "gpt-4o");
    let mut reply = p.chat(ask("hi"));
    let first = futures_util::StreamExt::next(&mut reply).await;
    assert!(
        matches!(&first, Some(Ok(Chunk::Text { text })) if text == "I'm"),
        "{first:?}"
    );
    drop(reply);
    assert!(
        server.client_closed().await,
        "the server never saw the close"
    );
    drop(p);
}
