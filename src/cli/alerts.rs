//! `tocsin alerts`: list with filters, show one with its events and history, and triage.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{Env, output, parse_time};
use crate::domain::{Alert, AlertSource, AlertStatus, Event, Severity, Verdict};
use crate::store::{AlertChange, AlertFilter, AlertSort, AuditEntry};

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// List alerts, newest activity first.
    List(ListArgs),
    /// Show one alert (id or unique prefix): entities, techniques, events, history.
    Show {
        id: String,
        /// How many of its events to include.
        #[arg(long, default_value_t = 20)]
        events: usize,
    },
    /// Acknowledge alerts (status `acknowledged`).
    Ack { ids: Vec<String> },
    /// Assign alerts to someone (`--me` for yourself, `--none` to unassign).
    Assign {
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, conflicts_with_all = ["me", "none"])]
        to: Option<String>,
        #[arg(long)]
        me: bool,
        #[arg(long)]
        none: bool,
    },
    /// Close alerts with a verdict: true_positive, false_positive, benign, duplicate.
    Verdict {
        verdict: Verdict,
        #[arg(required = true)]
        ids: Vec<String>,
        /// Why (kept with the verdict and in the audit log).
        #[arg(long, required = true)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// At least this severe: info, low, medium, high, critical.
    #[arg(long)]
    severity: Option<Severity>,
    /// Only these statuses (repeatable): new, acknowledged, in_progress, escalated, closed.
    #[arg(long)]
    status: Vec<AlertStatus>,
    /// Only alerts of this rule source: sigma, wazuh, splunk, kibana, suricata, zeek, windows.
    #[arg(long)]
    source: Option<AlertSource>,
    /// ATT&CK technique (T1110 also matches T1110.001).
    #[arg(long)]
    technique: Option<String>,
    /// Assigned to this analyst.
    #[arg(long, conflicts_with = "unassigned")]
    assignee: Option<String>,
    /// Only unassigned alerts.
    #[arg(long)]
    unassigned: bool,
    /// Seen at or after: RFC 3339, a date, or an age like 24h or 7d.
    #[arg(long)]
    since: Option<String>,
    /// First seen before this time.
    #[arg(long)]
    until: Option<String>,
    /// Alerts naming this host, user, IP, process, hash or domain.
    #[arg(long)]
    entity: Option<String>,
    /// Text in rule name, summary, host, user or source address.
    #[arg(long)]
    text: Option<String>,
    /// Alerts of this case.
    #[arg(long)]
    case: Option<String>,
    /// Sort by: time (last_seen), severity, rule, host, user, source, techniques, status,
    /// assignee, count, first_seen.
    #[arg(long, default_value = "last_seen")]
    sort: String,
    /// Ascending order.
    #[arg(long)]
    asc: bool,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print only how many alerts match.
    #[arg(long)]
    count: bool,
}

impl ListArgs {
    fn filter(&self) -> anyhow::Result<AlertFilter> {
        let sort: AlertSort = self
            .sort
            .parse()
            .map_err(|e| anyhow::anyhow!("--sort {}: {e}", self.sort))?;
        Ok(AlertFilter {
            min_severity: self.severity,
            statuses: self.status.clone(),
            source: self.source,
            technique: self.technique.clone(),
            assignee: if self.unassigned {
                Some(String::new())
            } else {
                self.assignee.clone()
            },
            since: self.since.as_deref().map(parse_time).transpose()?,
            until: self.until.as_deref().map(parse_time).transpose()?,
            entity: self.entity.clone(),
            text: self.text.clone(),
            case_id: self.case.as_ref().map(|c| c.to_ascii_uppercase()),
            group: None,
            like: None,
            ids: None,
            sort,
            ascending: self.asc,
            limit: self.limit,
            offset: self.offset,
        })
    }
}

/// `alerts show --json`: the alert with its events and history.
#[derive(Serialize)]
pub struct AlertDetail {
    #[serde(flatten)]
    pub alert: Alert,
    pub events: Vec<Event>,
    pub history: Vec<AuditEntry>,
}

pub fn run(env: &Env, cmd: AlertsCommand) -> anyhow::Result<ExitCode> {
    let mut store = env.open_store()?;
    match cmd {
        AlertsCommand::List(args) => {
            let filter = args.filter()?;
            if args.count {
                let n = store.count_alerts(&filter)?;
                if env.json {
                    output::json(&serde_json::json!({ "count": n }))?;
                } else {
                    println!("{n}");
                }
            } else {
                let alerts = store.alerts(&filter)?;
                if env.json {
                    output::json(&alerts)?;
                } else {
                    let total = store.count_alerts(&filter)?;
                    output::alerts_table(&alerts, total);
                }
            }
        }
        AlertsCommand::Show { id, events } => {
            let alert = store.alert(&id)?;
            let detail = AlertDetail {
                events: store.alert_events(&alert.id, events)?,
                history: store.audit_for("alert", &alert.id)?,
                alert,
            };
            if env.json {
                output::json(&detail)?;
            } else {
                output::alert_detail(&detail.alert, &detail.events, &detail.history);
            }
        }
        AlertsCommand::Ack { ids } => {
            let change = AlertChange {
                status: Some(AlertStatus::Acknowledged),
                ..Default::default()
            };
            apply(env, &mut store, &ids, &change)?;
        }
        AlertsCommand::Assign { ids, to, me, none } => {
            let who = if none {
                None
            } else if me {
                Some(env.actor().to_string())
            } else {
                match to {
                    Some(t) => Some(t),
                    None => anyhow::bail!("say who: --to NAME, --me or --none"),
                }
            };
            let change = AlertChange {
                assignee: Some(who),
                ..Default::default()
            };
            apply(env, &mut store, &ids, &change)?;
        }
        AlertsCommand::Verdict {
            verdict,
            ids,
            reason,
        } => {
            let change = AlertChange {
                verdict: Some((verdict, reason)),
                ..Default::default()
            };
            apply(env, &mut store, &ids, &change)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn apply(
    env: &Env,
    store: &mut crate::store::Store,
    ids: &[String],
    change: &AlertChange,
) -> anyhow::Result<()> {
    let mut changed = Vec::new();
    for id in ids {
        changed.push(store.update_alert(id, change, env.actor())?);
    }
    if env.json {
        output::json(&changed)?;
    } else {
        for a in &changed {
            println!(
                "{} {} {}",
                crate::domain::short_id(&a.id),
                a.status,
                a.rule.name
            );
        }
    }
    Ok(())
}
