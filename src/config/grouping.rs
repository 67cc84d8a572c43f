//! `[cases]` grouping: checking `cases.group_window`, `cases.group_by` and
//! `cases.group_rules` at load, and picking the grouping for a rule when an alert is escalated.

use jiff::SignedDuration;

use super::{CasesConfig, ConfigError, Loaded};
use crate::store::GroupRule;

impl Loaded {
    /// How escalated alerts of a rule group into cases: the first `cases.group_rules` entry
    /// whose pattern matches the rule's id or name, else the `[cases]` defaults.
    pub fn group_rule(&self, rule_id: &str, rule_name: &str) -> GroupRule {
        self.resolved
            .case_group_rules
            .iter()
            .find(|(pattern, _)| glob_match(pattern, rule_id) || glob_match(pattern, rule_name))
            .map(|(_, rule)| rule.clone())
            .unwrap_or_else(|| self.resolved.case_group.clone())
    }
}

/// Whether `text` matches `pattern` as a whole, `*` matching any run of characters.
fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(head) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(head) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((tail, middle)) = parts.split_last() else {
        // No `*`: the head is the whole pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= tail.len() && rest.ends_with(tail)
}

/// `[cases]` resolved: the window, the default grouping, the per-rule groupings.
pub(super) type CaseGrouping = (SignedDuration, GroupRule, Vec<(String, GroupRule)>);

/// Checks `[cases]` and resolves its groupings.
pub(super) fn validate_cases(cases: &CasesConfig) -> Result<CaseGrouping, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        origin: "configuration".into(),
        key: key.into(),
        message,
    };
    let window = |key: &str, value: &str| -> Result<SignedDuration, ConfigError> {
        let d: SignedDuration = value.trim().parse().map_err(|e| {
            invalid(
                key,
                format!("`{value}` is not a duration like `90m`, `24h` or `0s` ({e})"),
            )
        })?;
        if d.is_negative() {
            return Err(invalid(key, "must not be negative".into()));
        }
        Ok(d)
    };
    let kinds = |key: &str, by: &[String]| -> Result<Vec<String>, ConfigError> {
        by.iter()
            .map(|k| {
                let kind = k.trim().to_ascii_lowercase();
                if crate::domain::Entities::KINDS.contains(&kind.as_str()) {
                    Ok(kind)
                } else {
                    Err(invalid(
                        key,
                        format!(
                            "`{k}` is not an entity kind (expected one of: {})",
                            crate::domain::Entities::KINDS.join(", ")
                        ),
                    ))
                }
            })
            .collect()
    };
    let group_window = window("cases.group_window", &cases.group_window)?;
    let default = GroupRule {
        window: group_window,
        by: kinds("cases.group_by", &cases.group_by)?,
    };
    let mut rules = Vec::with_capacity(cases.group_rules.len());
    for (i, r) in cases.group_rules.iter().enumerate() {
        let key = |field: &str| format!("cases.group_rules[{i}].{field}");
        let pattern = r.rule.trim();
        if pattern.is_empty() {
            return Err(invalid(
                &key("rule"),
                "must name a rule id or name (`*` matches any run of characters)".into(),
            ));
        }
        let rule = GroupRule {
            window: if r.window.trim().is_empty() {
                default.window
            } else {
                window(&key("window"), &r.window)?
            },
            by: if r.by.is_empty() {
                default.by.clone()
            } else {
                kinds(&key("by"), &r.by)?
            },
        };
        rules.push((pattern.to_string(), rule));
    }
    Ok((group_window, default, rules))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Overrides, load_with_env};

    fn overrides_with(file: &Path) -> Overrides {
        Overrides {
            config_file: Some(file.to_path_buf()),
            no_user_config: true,
            ..Default::default()
        }
    }

    #[test]
    fn cases_section_is_checked_and_names_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        let cases = [
            ("[cases]\ngroup_window = \"a day\"\n", "cases.group_window"),
            ("[cases]\ngroup_window = \"-1h\"\n", "cases.group_window"),
            (
                "[cases]\ngroup_by = [\"host\", \"planet\"]\n",
                "cases.group_by",
            ),
            (
                "[[cases.group_rules]]\nrule = \"  \"\n",
                "cases.group_rules[0].rule",
            ),
            (
                "[[cases.group_rules]]\nrule = \"a\"\n[[cases.group_rules]]\nrule = \"b\"\nwindow = \"soon\"\n",
                "cases.group_rules[1].window",
            ),
            (
                "[[cases.group_rules]]\nrule = \"a\"\nby = [\"mac\"]\n",
                "cases.group_rules[0].by",
            ),
        ];
        for (text, key) in cases {
            std::fs::write(&file, text).unwrap();
            let err = load_with_env(&overrides_with(&file), [])
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("key `{key}`")), "{text}: {err}");
        }
    }

    #[test]
    fn group_rules_resolve_first_match_with_section_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            r#"
[cases]
group_window = "12h"
group_by = ["host", "User"]

[[cases.group_rules]]
rule = "wazuh:57*"
window = "0s"

[[cases.group_rules]]
rule = "*Brute*"
by = ["ip"]

[[cases.group_rules]]
rule = "*"
window = "1h"
by = []
"#,
        )
        .unwrap();
        let l = load_with_env(&overrides_with(&file), []).unwrap();
        assert_eq!(l.resolved.case_group_window, SignedDuration::from_hours(12));
        let rule = l.group_rule("wazuh:5710", "sshd: attempt to login");
        assert_eq!(rule.window, SignedDuration::ZERO);
        assert_eq!(rule.by, vec!["host".to_string(), "user".to_string()]);
        let rule = l.group_rule("0a1b", "SSH Brute force");
        assert_eq!(rule.window, SignedDuration::from_hours(12));
        assert_eq!(rule.by, vec!["ip".to_string()]);
        let rule = l.group_rule("wazuh:6000", "other");
        assert_eq!(rule.window, SignedDuration::from_hours(1));
        // No rules at all: the section's defaults.
        let l = load_with_env(
            &Overrides {
                no_user_config: true,
                ..Default::default()
            },
            [],
        )
        .unwrap();
        let rule = l.group_rule("x", "y");
        assert_eq!(rule.window, SignedDuration::from_hours(24));
        assert_eq!(rule.by, vec!["host".to_string()]);
    }

    #[test]
    fn glob_matches_whole_strings() {
        for (p, t, want) in [
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("*b*", "abc", true),
            ("a*c", "ac", true),
            ("a*bc", "abc", true),
            ("a*b*b", "ab", false),
            ("a*c*e", "abcde", true),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("ab*ba", "aba", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} ~ {t}");
        }
    }
}
