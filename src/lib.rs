//! tocsin: a terminal console for Security Operations Center analysts.
//!
//! Layers, bottom up: [`domain`] (plain types) -> [`normalize`] (raw input to events) ->
//! [`store`] (SQLite) -> [`ingest`] (files and streams through normalisers into the store) ->
//! [`cli`] (the `tocsin` command line). [`config`] is read once at the edge and passed down.

pub mod cli;
pub mod config;
pub mod domain;
pub mod ingest;
pub mod logging;
pub mod normalize;
pub mod store;
