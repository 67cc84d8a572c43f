//! The console's configuration sections: `[ui]` (keymap, theme, refresh) and `[cases]` (how
//! escalated alerts group into cases).

use serde::{Deserialize, Serialize};

/// `[ui]`: the interactive console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// The shipped keymap that `<config dir>/keymap.toml` is merged over: `default`
    /// (vim-flavoured) or `emacs`.
    pub keymap: String,
    /// `dark`, `light`, `ansi16`, `high-contrast`, or the name of `<config dir>/themes/NAME.toml`.
    pub theme: String,
    /// How often the console looks for changes made by other processes, in milliseconds.
    pub poll_ms: u64,
    /// How long a flash message stays in the status bar, in milliseconds.
    pub flash_ms: u64,
    /// Alerts per page fetched from the store while scrolling.
    pub page_size: usize,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            keymap: "default".into(),
            theme: "dark".into(),
            poll_ms: 500,
            flash_ms: 4_000,
            page_size: 200,
        }
    }
}

/// `[cases]`: escalating an alert joins the open case with the same grouping key (rule id +
/// time bucket + chosen entity values), or opens a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    /// Width of the time bucket (`24h`, `90m`). `0s`: one bucket for all time.
    pub group_window: String,
    /// Entity kinds whose first value joins the key: host, user, ip, process, hash, domain.
    pub group_by: Vec<String>,
    /// Per-rule overrides, first match wins.
    pub group_rules: Vec<GroupRuleConfig>,
}

impl Default for CasesConfig {
    fn default() -> Self {
        CasesConfig {
            group_window: "24h".into(),
            group_by: vec!["host".into()],
            group_rules: Vec::new(),
        }
    }
}

/// `[[cases.group_rules]]`: grouping for the alerts of some rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupRuleConfig {
    /// A rule id or name; `*` matches any run of characters (`wazuh:57*`).
    pub rule: String,
    /// Time bucket width for these rules; empty: `cases.group_window`.
    #[serde(default)]
    pub window: String,
    /// Entity kinds for these rules; empty: `cases.group_by`.
    #[serde(default)]
    pub by: Vec<String>,
}
