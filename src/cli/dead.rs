//! `tocsin dead list|replay|drop`: the dead-letter streams (`<stream>:dead`) of the configured
//! streams. Replay puts an entry back into its stream (after a normaliser fix); drop deletes it.
//! Either way the rejected row the daemon wrote stays in the store as history.

use std::process::ExitCode;

use clap::Subcommand;

use super::streams::{connect, patterns};
use super::{Env, output};
use crate::daemon::deadletter::{self, Listed};
use crate::daemon::streams;

#[derive(Debug, Subcommand)]
pub enum DeadCommand {
    /// List dead letters, oldest first, with their reasons.
    List {
        /// Only this stream (name or pattern) instead of the configured ones.
        #[arg(long = "of", value_name = "STREAM")]
        of: Option<String>,
        /// At most this many per stream.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Put dead letters back into their stream to be consumed again.
    Replay(Selection),
    /// Delete dead letters for good (their rejected rows stay in the store).
    Drop(Selection),
}

#[derive(Debug, clap::Args)]
pub struct Selection {
    /// Dead-letter ids (or original entry ids) to act on.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Act on every dead letter (of `--of STREAM` if given).
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Only this stream (name or pattern) instead of the configured ones.
    #[arg(long = "of", value_name = "STREAM")]
    pub of: Option<String>,
}

fn dead_streams(conn: &mut redis::Connection, pats: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for stream in streams::resolve(conn, pats)? {
        let key = streams::dead_key(&stream);
        let n: u64 = redis::cmd("XLEN").arg(&key).query(conn)?;
        if n > 0 {
            out.push(key);
        }
    }
    Ok(out)
}

fn select(env: &Env, sel: &Selection) -> anyhow::Result<(redis::Connection, Vec<Listed>)> {
    anyhow::ensure!(
        sel.all || !sel.ids.is_empty(),
        "name the dead letters (ids from `tocsin dead list`) or pass --all"
    );
    let pats = patterns(env, sel.of.as_deref())?;
    let mut conn = connect(env)?;
    let keys = dead_streams(&mut conn, &pats)?;
    let all = deadletter::list(&mut conn, &keys, usize::MAX)?;
    let chosen: Vec<Listed> = all
        .into_iter()
        .filter(|d| {
            sel.all
                || sel
                    .ids
                    .iter()
                    .any(|i| *i == d.dead_id || *i == d.original_id)
        })
        .collect();
    if !sel.all {
        for id in &sel.ids {
            anyhow::ensure!(
                chosen
                    .iter()
                    .any(|d| *id == d.dead_id || *id == d.original_id),
                "no dead letter has id `{id}`"
            );
        }
    }
    Ok((conn, chosen))
}

#[derive(serde::Serialize)]
struct Done<'a> {
    action: &'a str,
    stream: &'a str,
    dead_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_id: Option<String>,
}

pub fn run(env: &Env, cmd: DeadCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DeadCommand::List { of, limit } => {
            let pats = patterns(env, of.as_deref())?;
            let mut conn = connect(env)?;
            let keys = dead_streams(&mut conn, &pats)?;
            let rows = deadletter::list(&mut conn, &keys, limit)?;
            if env.json {
                output::json(&rows)?;
            } else {
                println!("{:<24} {:<20} {:<25} REASON", "STREAM", "ORIGINAL ID", "AT");
                for r in &rows {
                    println!(
                        "{:<24} {:<20} {:<25} {}",
                        r.stream, r.original_id, r.at, r.reason
                    );
                }
                println!("({} dead letters)", rows.len());
            }
        }
        DeadCommand::Replay(sel) => {
            let (mut conn, chosen) = select(env, &sel)?;
            let mut done = Vec::new();
            for d in &chosen {
                let new_id = deadletter::replay(&mut conn, d)?;
                done.push(Done {
                    action: "replayed",
                    stream: &d.stream,
                    dead_id: &d.dead_id,
                    new_id: Some(new_id),
                });
            }
            report(env, &done)?;
        }
        DeadCommand::Drop(sel) => {
            let (mut conn, chosen) = select(env, &sel)?;
            let mut done = Vec::new();
            for d in &chosen {
                deadletter::drop_one(&mut conn, d)?;
                done.push(Done {
                    action: "dropped",
                    stream: &d.stream,
                    dead_id: &d.dead_id,
                    new_id: None,
                });
            }
            report(env, &done)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(env: &Env, done: &[Done]) -> anyhow::Result<()> {
    if env.json {
        output::json(done)?;
    } else {
        for d in done {
            match &d.new_id {
                Some(id) => println!("{} {} -> {} {id}", d.action, d.dead_id, d.stream),
                None => println!("{} {} from {}", d.action, d.dead_id, d.stream),
            }
        }
        println!(
            "({} dead letters {})",
            done.len(),
            done.first().map_or("changed", |d| d.action)
        );
    }
    Ok(())
}
