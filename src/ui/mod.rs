//! The interactive console: keypress -> keymap -> [`Action`] -> update -> effects -> background
//! tasks -> messages -> update -> one coalesced draw. Drawing borrows the model and never
//! changes it; no key is named in Rust (they come from `keymaps/*.toml`).
//!
//! [`model`] is the state, [`update`] the only code that changes it, [`view`] draws it,
//! [`worker`] runs store reads and writes on their own threads, [`runtime`] is the loop that
//! ties them, and [`terminal`] owns the real terminal.

pub mod action;
pub mod demo;
pub mod filter;
pub mod hunt;
pub mod keymap;
pub mod keys;
pub mod matrix;
pub mod model;
pub mod msg;
pub mod runtime;
pub mod scope;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod worker;

pub use action::{Action, Class};
pub use scope::{Condition, Pane};
