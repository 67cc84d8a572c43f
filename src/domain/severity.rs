//! Severity: one five-step scale that every source's own levels map onto.

use serde::{Deserialize, Serialize};

use super::named_enum;

/// How bad a thing is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Info,
    Low,
    Medium,
    High,
    Critical,
}

named_enum!(Severity, "severity", {
    Info => "info",
    Low => "low",
    Medium => "medium",
    High => "high",
    Critical => "critical",
});

impl Severity {
    /// The rank stored in the database (0 = info .. 4 = critical), so SQL can sort and filter.
    pub fn rank(self) -> i64 {
        self as i64
    }

    /// The inverse of [`Severity::rank`]; out-of-range values clamp.
    pub fn from_rank(rank: i64) -> Self {
        match rank {
            i64::MIN..=0 => Severity::Info,
            1 => Severity::Low,
            2 => Severity::Medium,
            3 => Severity::High,
            _ => Severity::Critical,
        }
    }

    /// Wazuh rule levels (0-15), grouped as the Wazuh dashboard groups them:
    /// 0-2 info, 3-6 low, 7-11 medium, 12-14 high, 15+ critical.
    pub fn from_wazuh_level(level: i64) -> Self {
        match level {
            i64::MIN..=2 => Severity::Info,
            3..=6 => Severity::Low,
            7..=11 => Severity::Medium,
            12..=14 => Severity::High,
            _ => Severity::Critical,
        }
    }

    /// Suricata signature severity (1 = most severe .. 3, 4 = informational).
    pub fn from_suricata(severity: i64) -> Self {
        match severity {
            1 => Severity::High,
            2 => Severity::Medium,
            3 => Severity::Low,
            _ => Severity::Info,
        }
    }

    /// Sigma `level` values (informational, low, medium, high, critical).
    pub fn from_sigma_level(level: &str) -> Option<Self> {
        match level.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// Syslog severity (RFC 5424 0 = emergency .. 7 = debug).
    pub fn from_syslog(sev: u8) -> Self {
        match sev {
            0..=2 => Severity::Critical,
            3 => Severity::High,
            4 => Severity::Medium,
            5 => Severity::Low,
            _ => Severity::Info,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), *s);
            assert_eq!(Severity::from_rank(s.rank()), *s);
        }
        assert!(Severity::Critical > Severity::High);
        assert!("bogus".parse::<Severity>().is_err());
    }

    #[test]
    fn wazuh_levels_map_to_dashboard_groups() {
        assert_eq!(Severity::from_wazuh_level(10), Severity::Medium);
        assert_eq!(Severity::from_wazuh_level(12), Severity::High);
        assert_eq!(Severity::from_wazuh_level(15), Severity::Critical);
        assert_eq!(Severity::from_wazuh_level(3), Severity::Low);
    }
}
