//! tocsin: a terminal console for Security Operations Center analysts.
//!
//! Layers, bottom up: [`domain`] (plain types) -> [`normalize`] (raw input to events) ->
//! [`store`] (SQLite) -> [`ingest`] (files and streams through normalisers into the store) ->
//! [`daemon`] (Redis Streams consumer groups and webhooks, headless) -> [`cli`] (the `tocsin`
//! command line). [`config`] is read once at the edge and passed down.
//! [`detect`] (Sigma rules) runs inside ingest; [`attack`] is the ATT&CK catalogue, roll-up and
//! Navigator layers. [`index`] is the full-text index of events beside the store (`tocsin search`).

pub mod attack;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod detect;
pub mod domain;
pub mod index;
pub mod ingest;
pub mod logging;
pub mod normalize;
pub mod store;
pub mod ui;
