//! `tocsin cases`: create, list, show, note, close and link alerts.

use std::io::Read;
use std::process::ExitCode;

use clap::Subcommand;

use super::{Env, output};
use crate::domain::{CaseStatus, Priority, Severity};
use crate::store::{CaseFilter, NewCase};

#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Open a new case, optionally with alerts.
    Create {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// p1 (highest) .. p4.
        #[arg(long, default_value = "p3")]
        priority: Priority,
        /// Default: the highest severity among its alerts.
        #[arg(long)]
        severity: Option<Severity>,
        #[arg(long)]
        assignee: Option<String>,
        /// Repeatable.
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Alert ids (or unique prefixes) to link; repeatable.
        #[arg(long = "alert")]
        alerts: Vec<String>,
    },
    /// List cases, most recently updated first.
    List {
        /// Repeatable: open, in_progress, on_hold, resolved, closed.
        #[arg(long)]
        status: Vec<CaseStatus>,
        #[arg(long)]
        assignee: Option<String>,
        /// Text in title or description.
        #[arg(long)]
        text: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show a case with its alerts, observables and timeline.
    Show { id: String },
    /// Add a note to a case's timeline (`-` reads the note from stdin).
    Note { id: String, text: String },
    /// Close (or resolve) a case.
    Close {
        id: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// `closed` or `resolved`.
        #[arg(long, default_value = "closed")]
        status: CaseStatus,
    },
    /// Change a case's status (open, in_progress, on_hold, resolved, closed).
    Status {
        id: String,
        status: CaseStatus,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Link alerts to a case.
    AddAlerts {
        id: String,
        #[arg(required = true)]
        alerts: Vec<String>,
    },
}

pub fn run(env: &Env, cmd: CasesCommand) -> anyhow::Result<ExitCode> {
    let mut store = env.open_store()?;
    let actor = env.actor().to_string();
    match cmd {
        CasesCommand::Create {
            title,
            description,
            priority,
            severity,
            assignee,
            tags,
            alerts,
        } => {
            let case = store.create_case(
                &NewCase {
                    title,
                    description,
                    priority,
                    severity,
                    assignee,
                    tags,
                    alert_ids: alerts,
                },
                &actor,
            )?;
            if env.json {
                output::json(&case)?;
            } else {
                println!("{} {}", case.id, case.title);
            }
        }
        CasesCommand::List {
            status,
            assignee,
            text,
            limit,
        } => {
            let cases = store.cases(&CaseFilter {
                statuses: status,
                assignee,
                text,
                limit,
            })?;
            if env.json {
                output::json(&cases)?;
            } else {
                output::cases_table(&cases);
            }
        }
        CasesCommand::Show { id } => {
            let detail = store.case(&id)?;
            if env.json {
                output::json(&detail)?;
            } else {
                output::case_detail(&detail);
            }
        }
        CasesCommand::Note { id, text } => {
            let text = if text == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s
            } else {
                text
            };
            let note = store.add_note(&id, &text, &actor)?;
            if env.json {
                output::json(&note)?;
            } else {
                println!("note {} added to {}", note.id, note.case_id);
            }
        }
        CasesCommand::Close { id, reason, status } => {
            if !matches!(status, CaseStatus::Closed | CaseStatus::Resolved) {
                anyhow::bail!(
                    "--status {status}: close takes `closed` or `resolved` (use `cases status` otherwise)"
                );
            }
            let case = store.set_case_status(&id, status, &reason, &actor)?;
            print_case(env, &case)?;
        }
        CasesCommand::Status { id, status, reason } => {
            let case = store.set_case_status(&id, status, &reason, &actor)?;
            print_case(env, &case)?;
        }
        CasesCommand::AddAlerts { id, alerts } => {
            let case = store.add_alerts_to_case(&id, &alerts, &actor)?;
            print_case(env, &case)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_case(env: &Env, case: &crate::domain::Case) -> anyhow::Result<()> {
    if env.json {
        output::json(case)?;
    } else {
        println!(
            "{} {} ({} alerts) {}",
            case.id,
            case.status,
            case.alert_ids.len(),
            case.title
        );
    }
    Ok(())
}
