//! The chat with a language model about the SOC's data: conversations as a pure state machine
//! ([`turns`]) and the tools the model may call ([`tools`]: read tools run, write tools wait for
//! the analyst), shared by the console's chat pane and `tocsin ask`.

pub mod ask;
pub mod grounding;
pub mod tools;
pub mod turns;

pub use turns::{Body, Conversation, Entry, Input, Output, ProposalState, ToolClass, TurnId};
