//! The chat-model providers against a server on 127.0.0.1 that replays recorded Ollama NDJSON
//! and OpenAI SSE bodies (tests/fixtures/llm-api) and records what tocsin sent.

mod ollama;
mod openai;
mod select;
mod server;
