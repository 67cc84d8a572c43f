//! The SOC domain: events, alerts, cases and what hangs off them, as plain serde types.
//!
//! Nothing here does I/O. The store persists these types, the normalisers produce them, the
//! console and the CLI show them. Field names are the stable JSON vocabulary of `--json` output.

mod alert;
mod case;
mod event;
mod id;
mod severity;

pub use alert::{AiAssessment, Alert, AlertSource, AlertStatus, Entities, RuleRef, Verdict};
pub use case::{Activity, ActivityKind, Case, CaseStatus, Observable, ObservableKind, Priority};
pub use event::{Event, Outcome};
pub use id::{content_id, derived_id, short_id};
pub use severity::Severity;

/// A value the domain could not parse from text (a CLI flag, a stored column).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {what} `{value}` (expected one of: {expected})")]
pub struct ParseDomainError {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// Implements `as_str`, `Display` and `FromStr` for a unit enum from one table of names, so the
/// serde names, the CLI values and the stored column values can never drift apart.
macro_rules! named_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stable snake_case name (serde, CLI and store all use it).
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::domain::ParseDomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase().replace('-', "_");
                match lower.as_str() {
                    $($name => Ok($ty::$variant),)+
                    _ => Err($crate::domain::ParseDomainError {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($($name, " "),+),
                    }),
                }
            }
        }
    };
}
pub(crate) use named_enum;
