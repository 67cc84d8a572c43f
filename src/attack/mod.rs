//! The MITRE ATT&CK Enterprise catalogue (v18.1, embedded): technique and tactic names, tactics
//! of a technique, sub-technique parents, and what revoked or deprecated ids became; plus the
//! technique roll-up ([`rollup`]) and Navigator layer export ([`layer`]).

pub mod layer;
pub mod rollup;

use std::collections::HashMap;
use std::sync::OnceLock;

const TECHNIQUES: &str = include_str!("../../data/attack/techniques.tsv");
const TACTICS: &str = include_str!("../../data/attack/tactics.tsv");

/// The ATT&CK version the embedded tables hold.
pub const ATTACK_VERSION: &str = "18";

/// The ATT&CK release the embedded tables hold, minor version included.
pub const ATTACK_RELEASE: &str = "18.1";

/// MITRE's attribution, shown wherever the catalogue is exported.
pub const ATTRIBUTION: &str = "\u{a9} 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.";

/// Why an ATT&CK lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("bad ATT&CK table line {line}: {reason}")]
    Table { line: usize, reason: String },
}

/// One ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
    /// Tactic shortnames (`credential-access`), in the table's order.
    pub tactics: Vec<String>,
    pub is_subtechnique: bool,
    pub deprecated: bool,
    pub revoked: bool,
    /// For a revoked technique, the one that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_by: Option<String>,
}

/// One ATT&CK tactic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tactic {
    pub id: String,
    pub shortname: String,
    pub name: String,
}

/// The technique and tactic tables.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    techniques: HashMap<String, Technique>,
    /// Tactics in matrix order.
    pub tactics: Vec<Tactic>,
}

impl Catalogue {
    /// The embedded ATT&CK v18.1 catalogue, parsed once.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| match Catalogue::parse(TECHNIQUES, TACTICS) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "embedded ATT&CK tables are broken");
                Catalogue::default()
            }
        })
    }

    /// Parses the two TSV tables (with their header lines).
    pub fn parse(techniques: &str, tactics: &str) -> Result<Catalogue, AttackError> {
        let mut c = Catalogue::default();
        for (i, line) in techniques.lines().enumerate().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [id, name, tactics, sub, deprecated, revoked, revoked_by] = cols[..] else {
                return Err(AttackError::Table {
                    line: i + 1,
                    reason: format!("{} columns, want 7", cols.len()),
                });
            };
            c.techniques.insert(
                id.to_string(),
                Technique {
                    id: id.to_string(),
                    name: name.to_string(),
                    tactics: tactics
                        .split(',')
                        .filter(|t| !t.is_empty())
                        .map(str::to_string)
                        .collect(),
                    is_subtechnique: sub == "true",
                    deprecated: deprecated == "true",
                    revoked: revoked == "true",
                    revoked_by: (!revoked_by.is_empty()).then(|| revoked_by.to_string()),
                },
            );
        }
        for (i, line) in tactics.lines().enumerate().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [_, id, shortname, name, ..] = cols[..] else {
                return Err(AttackError::Table {
                    line: i + 1,
                    reason: format!("{} columns, want 6", cols.len()),
                });
            };
            c.tactics.push(Tactic {
                id: id.to_string(),
                shortname: shortname.to_string(),
                name: name.to_string(),
            });
        }
        Ok(c)
    }

    /// A technique by id (`T1059`, `t1059.001`), as stored: revoked ones included.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.get(&id.to_ascii_uppercase())
    }

    /// The id to count a technique under: revoked ids follow `revoked_by`; unknown ids and
    /// deprecated ones stay as they are.
    pub fn current_id(&self, id: &str) -> String {
        let id = id.to_ascii_uppercase();
        let mut cur = id.clone();
        for _ in 0..4 {
            match self
                .techniques
                .get(&cur)
                .and_then(|t| t.revoked_by.as_ref())
            {
                Some(next) => cur = next.clone(),
                None => break,
            }
        }
        cur
    }

    /// A tactic by shortname.
    pub fn tactic(&self, shortname: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.shortname == shortname)
    }

    /// `T1110.001 Password Guessing (credential-access)`, or the bare id when unknown, with a
    /// note for revoked and deprecated ids.
    pub fn describe(&self, id: &str) -> String {
        let Some(t) = self.technique(id) else {
            return format!("{id} (not in ATT&CK v{ATTACK_VERSION})");
        };
        let mut out = format!("{} {}", t.id, self.full_name(&t.id));
        if !t.tactics.is_empty() {
            out.push_str(&format!(" ({})", t.tactics.join(", ")));
        }
        if t.revoked {
            match &t.revoked_by {
                Some(n) => out.push_str(&format!(" [revoked: now {n}]")),
                None => out.push_str(" [revoked]"),
            }
        } else if t.deprecated {
            out.push_str(" [deprecated]");
        }
        out
    }

    /// A sub-technique's name with its parent's (`Brute Force: Password Guessing`).
    pub fn full_name(&self, id: &str) -> String {
        let Some(t) = self.technique(id) else {
            return String::new();
        };
        match t.id.split_once('.') {
            Some((parent, _)) => match self.techniques.get(parent) {
                Some(p) => format!("{}: {}", p.name, t.name),
                None => t.name.clone(),
            },
            None => t.name.clone(),
        }
    }
}

/// Technique ids from Sigma tags (`attack.t1059.001` -> `T1059.001`), revoked ids replaced,
/// deduplicated in order.
pub fn techniques_from_tags<S: AsRef<str>>(tags: &[S]) -> Vec<String> {
    let cat = Catalogue::get();
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.as_ref().trim();
        let Some(rest) = tag
            .strip_prefix("attack.")
            .filter(|r| r.len() > 1 && r.as_bytes()[0].eq_ignore_ascii_case(&b't'))
        else {
            continue;
        };
        let digits = &rest[1..];
        let valid = match digits.split_once('.') {
            Some((a, b)) => is_digits(a, 4) && is_digits(b, 3),
            None => is_digits(digits, 4),
        };
        if valid {
            let id = cat.current_id(rest);
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_counts_match_the_tables() {
        let c = Catalogue::get();
        assert_eq!(c.techniques.len(), 835);
        assert_eq!(c.techniques.values().filter(|t| t.revoked).count(), 132);
        assert_eq!(c.techniques.values().filter(|t| t.deprecated).count(), 12);
        assert_eq!(c.tactics.len(), 14);
        assert_eq!(c.tactics[0].id, "TA0043");
    }

    #[test]
    fn names_tactics_sub_techniques_and_revoked_ids() {
        let c = Catalogue::get();
        assert_eq!(c.full_name("T1110.001"), "Brute Force: Password Guessing");
        assert!(c.describe("t1110").contains("credential-access"));
        let revoked = c
            .techniques
            .values()
            .find(|t| t.revoked && t.revoked_by.is_some())
            .unwrap();
        assert_ne!(c.current_id(&revoked.id), revoked.id);
        assert!(c.describe(&revoked.id).contains("revoked"));
        assert!(c.describe("T9999").contains("not in ATT&CK"));
    }

    #[test]
    fn sigma_tags_become_technique_ids() {
        let tags = [
            "attack.execution",
            "attack.t1059.001",
            "attack.T1059.001",
            "attack.t1110",
            "attack.g0016",
            "cve.2021-44228",
        ];
        assert_eq!(techniques_from_tags(&tags), vec!["T1059.001", "T1110"]);
    }
}
