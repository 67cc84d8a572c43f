//! Rule loading: Sigma YAML files from folders (SigmaHQ layout) and tocsin's own built-in
//! rules, every file either loaded or refused with its path and reason.

use std::path::{Path, PathBuf};

use rsigma_parser::{CorrelationRule, FilterRule, SigmaRule, parse_sigma_yaml};
use serde::Serialize;

/// tocsin's own rules, embedded so they work wherever the binary runs (`data/rules/`).
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "builtin:linux/sshd_failed_password.yml",
        include_str!("../../data/rules/linux/sshd_failed_password.yml"),
    ),
    (
        "builtin:linux/sshd_brute_force.yml",
        include_str!("../../data/rules/linux/sshd_brute_force.yml"),
    ),
    (
        "builtin:linux/sshd_accepted_after_failures.yml",
        include_str!("../../data/rules/linux/sshd_accepted_after_failures.yml"),
    ),
];

/// A detection rule and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub rule: SigmaRule,
    pub path: String,
}

/// A correlation rule and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedCorrelation {
    pub rule: CorrelationRule,
    pub path: String,
}

/// A file, or one document in it, that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub path: String,
    pub reason: String,
}

/// Every rule read from a set of folders.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Loaded>,
    pub correlations: Vec<LoadedCorrelation>,
    pub filters: Vec<FilterRule>,
    pub refused: Vec<Refusal>,
    /// Rule files read (YAML files under the folders, plus the built-in ones).
    pub files: usize,
}

impl RuleSet {
    /// Reads the built-in rules (when `builtin`) and every `.yml`/`.yaml` under `dirs` (a path
    /// may also name a single file). Nothing here aborts: a bad file becomes a [`Refusal`].
    pub fn load(dirs: &[PathBuf], builtin: bool) -> RuleSet {
        let mut set = RuleSet::default();
        if builtin {
            for (name, text) in BUILTIN_RULES {
                set.add_text(name, text);
            }
        }
        for dir in dirs {
            if !dir.exists() {
                set.refused.push(Refusal {
                    path: dir.display().to_string(),
                    reason: "no such file or folder".into(),
                });
                continue;
            }
            let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
                .follow_links(true)
                .into_iter()
                .filter_map(|entry| match entry {
                    Ok(e) => Some(e),
                    Err(e) => {
                        set.refused.push(Refusal {
                            path: e.path().map_or_else(
                                || dir.display().to_string(),
                                |p| p.display().to_string(),
                            ),
                            reason: e.to_string(),
                        });
                        None
                    }
                })
                .filter(|e| e.file_type().is_file() && is_rule_file(e.path()))
                .map(walkdir::DirEntry::into_path)
                .collect();
            files.sort();
            for f in files {
                match std::fs::read_to_string(&f) {
                    Ok(text) => set.add_text(&f.display().to_string(), &text),
                    Err(e) => {
                        set.files += 1;
                        set.refused.push(Refusal {
                            path: f.display().to_string(),
                            reason: e.to_string(),
                        });
                    }
                }
            }
        }
        set
    }

    /// Parses one file's text into the set.
    pub fn add_text(&mut self, path: &str, text: &str) {
        self.files += 1;
        match parse_sigma_yaml(text) {
            Ok(collection) => {
                if collection.rules.is_empty()
                    && collection.correlations.is_empty()
                    && collection.filters.is_empty()
                    && collection.errors.is_empty()
                {
                    self.refused.push(Refusal {
                        path: path.to_string(),
                        reason: "no Sigma rule in the file".into(),
                    });
                }
                for reason in collection.errors {
                    self.refused.push(Refusal {
                        path: path.to_string(),
                        reason: one_line(&reason),
                    });
                }
                self.rules
                    .extend(collection.rules.into_iter().map(|rule| Loaded {
                        rule,
                        path: path.to_string(),
                    }));
                self.correlations
                    .extend(
                        collection
                            .correlations
                            .into_iter()
                            .map(|rule| LoadedCorrelation {
                                rule,
                                path: path.to_string(),
                            }),
                    );
                self.filters.extend(collection.filters);
            }
            Err(e) => self.refused.push(Refusal {
                path: path.to_string(),
                reason: one_line(&e.to_string()),
            }),
        }
    }
}

/// A parser message on one line (the condition parser draws a multi-line caret diagram).
fn one_line(reason: &str) -> String {
    let mut parts: Vec<&str> = reason
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("-->")
                && *l != "|"
                && !l.chars().all(|c| "|^- ".contains(c))
        })
        .collect();
    parts.dedup();
    parts.join(" ").replace("| ", "")
}

fn is_rule_file(p: &Path) -> bool {
    let hidden = p
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    !hidden
        && p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_rules_all_load() {
        let set = RuleSet::load(&[], true);
        assert!(set.refused.is_empty(), "{:?}", set.refused);
        assert_eq!(set.files, BUILTIN_RULES.len());
        assert_eq!(set.correlations.len(), 2);
    }

    #[test]
    fn a_bad_file_is_refused_with_its_reason_and_the_rest_loads() {
        let mut set = RuleSet::default();
        set.add_text("bad.yml", "title: [unclosed");
        set.add_text(
            "good.yml",
            "title: t\nid: 11111111-1111-1111-1111-111111111111\nlogsource: {product: linux}\n\
             detection: {keywords: ['x'], condition: keywords}\n",
        );
        assert_eq!(set.files, 2);
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.refused.len(), 1);
        assert_eq!(set.refused[0].path, "bad.yml");
        let missing = RuleSet::load(&[PathBuf::from("/nonexistent/rules")], false);
        assert_eq!(missing.refused.len(), 1);
    }
}
