//! The synthetic store of `tocsin bench ui`: a seeded generator and a plain-SQL fill.

use std::path::Path;

use rusqlite::{Connection, params};

use crate::domain::{Entities, derived_id};

/// A small deterministic generator (splitmix64): the same store every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// In [0, n), skewed towards 0 (the popular rules and noisy hosts).
    fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((self.unit().powf(power) * n as f64) as usize).min(n.saturating_sub(1))
    }
}

const RULES: usize = 200;
const HOSTS: usize = 2_000;
const USERS: usize = 500;
const ANALYSTS: &[&str] = &[
    "amaya", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "jules", "kofi",
    "lena",
];
const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "karl",
    "lara", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "uma",
    "victor", "wendy", "xavier", "yara",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore", "taylor", "lee",
    "white", "harris", "clark", "lewis", "young", "walker", "hall", "allen", "king", "wright",
];
const HOST_KINDS: &[&str] = &["ws", "web", "db", "dc", "app", "mail", "vpn", "fs"];
const RULE_NAMES: &[(&str, &str, &str)] = &[
    (
        "SSH brute force",
        "T1110.001",
        "Failed password for invalid user",
    ),
    (
        "Password spraying against domain accounts",
        "T1110.003",
        "An account failed to log on",
    ),
    (
        "Suspicious encoded PowerShell command",
        "T1059.001",
        "powershell.exe -enc",
    ),
    (
        "Office application spawned a shell",
        "T1204.002",
        "WINWORD.EXE spawned cmd.exe",
    ),
    (
        "LSASS memory access",
        "T1003.001",
        "process accessed lsass.exe",
    ),
    ("Scheduled task created", "T1053.005", "schtasks /create"),
    (
        "Service installed",
        "T1543.003",
        "A service was installed in the system",
    ),
    (
        "Registry run key modified",
        "T1547.001",
        "CurrentVersion\\Run set",
    ),
    (
        "Remote desktop logon from a new source",
        "T1021.001",
        "RDP logon",
    ),
    (
        "WMI remote execution",
        "T1047",
        "wmic /node process call create",
    ),
    (
        "Security log cleared",
        "T1070.001",
        "The audit log was cleared",
    ),
    ("Rundll32 without arguments", "T1218.011", "rundll32.exe"),
    (
        "Outbound connection to a rare domain",
        "T1071.001",
        "HTTP GET to a first-seen domain",
    ),
    (
        "Tool download with certutil",
        "T1105",
        "certutil -urlcache -f",
    ),
    ("Web shell request", "T1190", "POST /uploads/shell.php"),
    (
        "Mass file rename (ransomware)",
        "T1486",
        "files renamed with a new extension",
    ),
    ("UAC bypass via fodhelper", "T1548.002", "fodhelper.exe"),
    ("Kerberoasting", "T1558.003", "TGS request with RC4"),
    ("Account discovery commands", "T1087", "net user /domain"),
    (
        "Network scan from an internal host",
        "T1046",
        "connections to many ports",
    ),
    (
        "New local administrator",
        "T1136.001",
        "A user was added to Administrators",
    ),
    (
        "Archive created before exfiltration",
        "T1560.001",
        "7z a -p",
    ),
    ("PsExec service started", "T1569.002", "PSEXESVC started"),
    (
        "Process injection",
        "T1055",
        "CreateRemoteThread into explorer.exe",
    ),
    (
        "Masqueraded system binary",
        "T1036.005",
        "svchost.exe outside System32",
    ),
];
const SOURCES: &[(&str, f64)] = &[
    ("sigma", 0.60),
    ("wazuh", 0.20),
    ("suricata", 0.15),
    ("tocsin", 0.05),
];

/// What every alert of one rule shares.
struct Rule {
    id: String,
    name: String,
    source: &'static str,
    severity: i64,
    technique: &'static str,
    message: &'static str,
}

fn rules(rng: &mut Rng) -> Vec<Rule> {
    (0..RULES)
        .map(|k| {
            let (name, technique, message) = RULE_NAMES[k % RULE_NAMES.len()];
            let u = rng.unit();
            let mut acc = 0.0;
            let source = SOURCES
                .iter()
                .find(|(_, p)| {
                    acc += p;
                    u < acc
                })
                .map_or("sigma", |(s, _)| s);
            let id = match source {
                "sigma" => {
                    let h = derived_id("bench-rule", &k.to_string());
                    format!(
                        "{}-{}-{}-{}-{}",
                        &h[..8],
                        &h[8..12],
                        &h[12..16],
                        &h[16..20],
                        &h[20..32]
                    )
                }
                "wazuh" => (5_700 + k).to_string(),
                "suricata" => (2_100_000 + k).to_string(),
                _ => format!("tocsin-{k:03}"),
            };
            // Severities skewed low: info 25%, low 35%, medium 25%, high 12%, critical 3%.
            let s = rng.unit();
            let severity = match s {
                s if s < 0.25 => 0,
                s if s < 0.60 => 1,
                s if s < 0.85 => 2,
                s if s < 0.97 => 3,
                _ => 4,
            };
            let variant = k / RULE_NAMES.len();
            Rule {
                id,
                name: if variant == 0 {
                    name.to_string()
                } else {
                    format!("{name} (variant {variant})")
                },
                source,
                severity,
                technique,
                message,
            }
        })
        .collect()
}

fn host_name(h: usize) -> String {
    format!("{}-{h:04}", HOST_KINDS[h % HOST_KINDS.len()])
}

fn user_name(u: usize) -> String {
    format!(
        "{}.{}",
        FIRST[u % FIRST.len()],
        LAST[(u / FIRST.len()) % LAST.len()]
    )
}

/// Per host, this many distinct events that its alerts point at.
const EVENTS_PER_HOST: usize = 8;

/// Fills `n` alerts with their side tables (entities, techniques, one linked event each) in a
/// few large transactions, straight in SQL.
pub(super) fn fill(database: &Path, n: u64) -> anyhow::Result<()> {
    let mut conn = Connection::open(database)?;
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    conn.pragma_update(None, "cache_size", -262_144)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let mut rng = Rng(0x70C5_1AB0_0000_0001);
    let rules = rules(&mut rng);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let span_ms: i64 = 30 * 24 * 3_600 * 1_000;
    let start_ms = now_ms - span_ms;

    // The events alerts point at: a few per host, each host's own.
    let event_id = |h: usize, k: usize| derived_id("bench-event", &format!("{h}/{k}"));
    {
        let tx = conn.transaction()?;
        {
            let mut ev = tx.prepare(
                "INSERT INTO events (id, ts, ingested_at, source, dataset, format, host, user, src_ip,
                   action, outcome, severity, message, techniques, fields, raw)
                 VALUES (?1, ?2, ?2, 'bench', ?3, 'syslog', ?4, ?5, ?6, ?7, ?8, ?9, ?10, '[]', '{}', ?11)",
            )?;
            for h in 0..HOSTS {
                for k in 0..EVENTS_PER_HOST {
                    let rule = &rules[k * 7 % RULES];
                    let host = host_name(h);
                    let user = user_name((h * 31 + k) % USERS);
                    let ip = format!("10.{}.{}.{}", h / 250, h % 250, 10 + k);
                    let ts = start_ms + rng.below(span_ms as usize) as i64;
                    let message = format!("{} user={user} src={ip}", rule.message);
                    let raw = format!("<38>1 {ts} {host} bench - - - {message}");
                    ev.execute(params![
                        event_id(h, k),
                        ts,
                        if k % 2 == 0 {
                            "linux.auth"
                        } else {
                            "windows.security"
                        },
                        host,
                        user,
                        ip,
                        "logon",
                        if k % 3 == 0 { "success" } else { "failure" },
                        rule.severity,
                        message,
                        raw,
                    ])?;
                }
            }
        }
        tx.commit()?;
    }

    const CHUNK: u64 = 50_000;
    let mut done = 0u64;
    while done < n {
        let end = (done + CHUNK).min(n);
        let tx = conn.transaction()?;
        {
            let mut alert = tx.prepare(
                "INSERT INTO alerts (id, rule_id, rule_name, rule_source, severity, status, verdict,
                   verdict_reason, assignee, score, group_key, count, first_seen, last_seen, summary,
                   host, user, src_ip, entities, techniques, created_at, updated_at, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                   ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            let mut entity = tx.prepare(
                "INSERT INTO alert_entities (kind, value, alert_id) VALUES (?1, ?2, ?3)",
            )?;
            let mut technique =
                tx.prepare("INSERT INTO alert_techniques (technique, alert_id) VALUES (?1, ?2)")?;
            let mut link =
                tx.prepare("INSERT INTO alert_events (alert_id, event_id) VALUES (?1, ?2)")?;
            for i in done..end {
                let id = derived_id("bench-alert", &i.to_string());
                let rule = &rules[rng.skewed(RULES, 2.0)];
                let h = rng.skewed(HOSTS, 1.5);
                let host = host_name(h);
                let user = (rng.unit() < 0.7).then(|| user_name(rng.skewed(USERS, 1.5)));
                let ip = (rng.unit() < 0.5).then(|| match rng.below(4) {
                    0 => format!("203.0.113.{}", rng.below(254) + 1),
                    1 => format!("198.51.100.{}", rng.below(254) + 1),
                    _ => format!("10.{}.{}.{}", h / 250, h % 250, rng.below(200) + 10),
                });
                // Spread over 30 days in insertion order (as ingestion writes them), jittered.
                let last_seen = (start_ms
                    + (span_ms as i128 * i as i128 / n.max(1) as i128) as i64
                    - rng.below(60_000) as i64)
                    .min(now_ms);
                let count: i64 = if rng.unit() < 0.8 {
                    1
                } else {
                    2 + rng.below(49) as i64
                };
                let first_seen = last_seen - (count - 1) * rng.below(120_000) as i64;
                let severity = if rng.unit() < 0.05 {
                    (rule.severity + 1).min(4)
                } else {
                    rule.severity
                };
                let s = rng.unit();
                let status = match s {
                    s if s < 0.70 => "new",
                    s if s < 0.78 => "acknowledged",
                    s if s < 0.85 => "in_progress",
                    s if s < 0.88 => "escalated",
                    s if s < 0.98 => "closed",
                    _ => "suppressed",
                };
                let (verdict, reason) = if status == "closed" {
                    match rng.below(20) {
                        0..12 => (Some("false_positive"), Some("known admin activity")),
                        12..17 => (Some("benign"), Some("expected scanner")),
                        17..19 => (Some("true_positive"), Some("contained; see ticket")),
                        _ => (Some("duplicate"), Some("same as an earlier alert")),
                    }
                } else {
                    (None, None)
                };
                let assignee = matches!(status, "acknowledged" | "in_progress" | "closed")
                    .then(|| ANALYSTS[rng.below(ANALYSTS.len())]);
                let score = (rng.unit() < 0.3).then(|| (rng.unit() * 100.0).round());
                let mut entities = Entities::default();
                entities.add_host(&host);
                if let Some(u) = &user {
                    entities.add_user(u);
                }
                if let Some(ip) = &ip {
                    entities.add_ip(ip);
                }
                let group_key = format!("{}:{}|host={host}|{:x}", rule.source, rule.id, i / 3);
                let summary = match &user {
                    Some(u) => format!("{} on {host} ({u})", rule.name),
                    None => format!("{} on {host}", rule.name),
                };
                let triaged = status != "new";
                alert.execute(params![
                    id,
                    rule.id,
                    rule.name,
                    rule.source,
                    severity,
                    status,
                    verdict,
                    reason,
                    assignee,
                    score,
                    group_key,
                    count,
                    first_seen,
                    last_seen,
                    summary,
                    host,
                    user,
                    ip,
                    serde_json::to_string(&entities)?,
                    serde_json::to_string(&[rule.technique])?,
                    first_seen,
                    if triaged {
                        last_seen + 600_000
                    } else {
                        last_seen
                    },
                    if triaged { 2 } else { 1 },
                ])?;
                for (kind, value) in entities.pairs() {
                    entity.execute(params![kind, value, id])?;
                }
                technique.execute(params![rule.technique, id])?;
                link.execute(params![id, event_id(h, rng.below(EVENTS_PER_HOST))])?;
            }
        }
        tx.commit()?;
        done = end;
        if n >= 200_000 && done.is_multiple_of(200_000) && done < n {
            eprintln!("tocsin:   {done} / {n}");
        }
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(())
}
