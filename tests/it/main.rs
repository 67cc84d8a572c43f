//! Integration tests, one binary: the `tocsin` command line end to end on real data, the store
//! under concurrent processes, and the store's own guarantees.

mod cli;
mod common;
mod concurrency;
mod console;
mod daemon;
mod detect;
mod embed;
mod llm;
mod search;
mod similar;
mod store;
