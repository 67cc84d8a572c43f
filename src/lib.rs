//! tocsin: a terminal console for Security Operations Center analysts.
//!
//! Layers, bottom up: [`domain`] (plain types) -> [`normalize`] (raw input to events) ->
//! [`store`] (SQLite) -> [`ingest`] (files and streams through normalisers into the store) ->
//! [`daemon`] (Redis Streams consumer groups and webhooks, headless) -> [`cli`] (the `tocsin`
//! command line). [`config`] is read once at the edge and passed down.
//! [`detect`] (Sigma rules) runs inside ingest; [`attack`] is the ATT&CK catalogue, roll-up and
//! Navigator layers. [`index`] holds the search indexes beside the store: full text (tantivy) and
//! vectors (usearch) of the sentence embeddings that [`embed`] computes (`tocsin search`,
//! `tocsin similar`). [`llm`] is the chat models' common trait and providers.

pub mod attack;
pub mod chat;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod domain;
pub mod embed;
pub mod index;
pub mod ingest;
pub mod llm;
pub mod logging;
pub mod normalize;
pub mod store;
pub mod ui;
