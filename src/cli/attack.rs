//! `tocsin attack` (technique look-up and roll-up) and `tocsin export-layer` (ATT&CK Navigator
//! layer of a case or a time window).

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{Env, output, parse_time};
use crate::attack::layer::{Scope, layer};
use crate::attack::rollup::{TechniqueRollup, rollup};
use crate::attack::{ATTRIBUTION, Catalogue};
use crate::domain::Alert;
use crate::store::AlertFilter;

#[derive(Debug, Subcommand)]
pub enum AttackCommand {
    /// Techniques seen in alerts: counts, first and last seen, alerts.
    Rollup(ScopeArgs),
    /// Show ATT&CK techniques by id (name, tactics, revoked or deprecated).
    Show {
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Which alerts: those of a case, or those seen since a time.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Alerts seen since (2026-11-20, 2026-11-20T08:00:00Z, 24h, 7d).
    #[arg(long, conflicts_with = "case")]
    pub since: Option<String>,
    /// Alerts of one case.
    #[arg(long)]
    pub case: Option<String>,
}

fn scoped_alerts(env: &Env, scope: &ScopeArgs) -> anyhow::Result<(Vec<Alert>, Scope)> {
    let store = env.open_store()?;
    let mut s = Scope {
        since: scope.since.clone(),
        generated_at: jiff::Timestamp::now().to_string(),
        ..Scope::default()
    };
    let mut filter = AlertFilter {
        limit: usize::MAX >> 2,
        ..AlertFilter::default()
    };
    if let Some(case) = &scope.case {
        let detail = store.case(case).with_context(|| format!("case {case}"))?;
        filter.case_id = Some(detail.case.id.clone());
        s.case_id = Some(detail.case.id.clone());
        s.case_title = Some(detail.case.title.clone());
    }
    if let Some(since) = &scope.since {
        filter.since = Some(parse_time(since)?);
    }
    Ok((store.alerts(&filter)?, s))
}

pub fn run(env: &Env, cmd: AttackCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AttackCommand::Rollup(scope) => {
            let (alerts, _) = scoped_alerts(env, &scope)?;
            let r = rollup(&alerts);
            if env.json {
                output::json(&r)?;
            } else {
                rollup_table(&r);
            }
        }
        AttackCommand::Show { ids } => {
            let cat = Catalogue::get();
            if env.json {
                let found: Vec<_> = ids.iter().map(|i| cat.technique(i)).collect();
                output::json(&found)?;
            } else {
                for id in &ids {
                    println!("{}", cat.describe(id));
                }
                println!("\n{ATTRIBUTION}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn rollup_table(rows: &[TechniqueRollup]) {
    if rows.is_empty() {
        println!("no techniques in these alerts");
        return;
    }
    println!(
        "{:<11} {:>6} {:>6}  {:<20} {:<20} name (tactics)",
        "technique", "events", "alerts", "first seen", "last seen"
    );
    for r in rows {
        println!(
            "{:<11} {:>6} {:>6}  {:<20} {:<20} {} ({})",
            r.technique,
            r.count,
            r.alerts,
            r.first_seen.strftime("%Y-%m-%d %H:%M:%S"),
            r.last_seen.strftime("%Y-%m-%d %H:%M:%S"),
            if r.name.is_empty() { "?" } else { &r.name },
            r.tactics.join(", ")
        );
    }
}

/// `tocsin export-layer`: writes the layer JSON to stdout.
pub fn export_layer(env: &Env, scope: ScopeArgs) -> anyhow::Result<ExitCode> {
    let (alerts, s) = scoped_alerts(env, &scope)?;
    let l = layer(&rollup(&alerts), &s);
    output::json(&l)?;
    Ok(ExitCode::SUCCESS)
}
