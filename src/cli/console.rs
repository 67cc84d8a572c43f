//! `tocsin` with no subcommand: the interactive console, on the configured data dir or, with
//! `--demo`, on the bundled demo incident in a throwaway data dir.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::Env;
use crate::config::Loaded;
use crate::ingest::{self, Options, Silent};
use crate::store::Store;
use crate::ui::keymap::Keymap;
use crate::ui::model::Model;
use crate::ui::runtime::{self, LoopOptions, Parts};
use crate::ui::theme::Theme;
use crate::ui::worker::{WorkerConfig, Workers};

/// How the console was asked to start.
pub struct ConsoleArgs {
    pub readonly: bool,
    pub demo: bool,
}

pub fn run(env: &Env, args: ConsoleArgs) -> anyhow::Result<ExitCode> {
    // Keep the demo's temporary dir alive until the console closes.
    let (_demo_dir, loaded) = if args.demo {
        let (dir, loaded) = prepare_demo(env)?;
        (Some(dir), loaded)
    } else {
        (None, env.loaded.clone())
    };
    let user_dir = loaded.paths.config_dir.clone();
    let keymap_file = user_dir.as_ref().map(|d| d.join("keymap.toml"));
    let ui = &loaded.config.ui;
    // A mistake in the user's own files shows in the console, which starts on the shipped
    // keymap and theme; a bad name in the configuration is an error.
    let mut problems = Vec::new();
    let keymap = match Keymap::load(&ui.keymap, keymap_file.as_deref(), args.readonly) {
        Ok(k) => k,
        Err(e) if keymap_file.as_ref().is_some_and(|f| f.exists()) => {
            problems.push(format!("{e} (using the shipped keymap)"));
            Keymap::load(&ui.keymap, None, args.readonly)?
        }
        Err(e) => return Err(e.into()),
    };
    let theme = match Theme::load(&ui.theme, user_dir.as_deref()) {
        Ok(t) => t,
        Err(e) if crate::ui::theme::shipped().contains(&ui.theme.as_str()) => {
            problems.push(format!("{e} (using the shipped theme)"));
            Theme::load(&ui.theme, None)?
        }
        Err(e) => return Err(e.into()),
    };
    for p in &problems {
        tracing::warn!(problem = %p, "console configuration");
    }
    Store::open(
        &loaded.paths.database,
        Duration::from_millis(loaded.config.store.busy_timeout_ms),
    )
    .with_context(|| format!("opening the store in {}", loaded.paths.data_dir.display()))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let rules_from = Arc::new(loaded.clone());
    let workers = Workers::spawn(
        WorkerConfig {
            database: loaded.paths.database.clone(),
            busy_timeout: Duration::from_millis(loaded.config.store.busy_timeout_ms),
            actor: loaded.actor().to_string(),
            group_rules: Arc::new(move |id: &str, name: &str| rules_from.group_rule(id, name)),
            index_dir: loaded.paths.data_dir.join("index"),
            vectors: crate::ui::worker::VectorsConfig {
                data_dir: loaded.paths.data_dir.clone(),
                enabled: loaded.config.embed.enabled,
                model_dir: Some(loaded.config.embed.model_dir.clone())
                    .filter(|d| !d.as_os_str().is_empty()),
            },
        },
        tx,
    )?;
    let mut model = Model::new(
        loaded.actor(),
        args.readonly,
        ui.page_size,
        Duration::from_millis(ui.flash_ms),
    );
    if let Some(p) = problems.first() {
        model.flash(p.clone(), true);
        if let Some(f) = model.flash.as_mut() {
            f.until += Duration::from_secs(10);
        }
    } else if args.demo {
        model.flash(
            "demo: the bundled incident in a throwaway data dir. ? shows the keys, q quits",
            false,
        );
    }
    let opts = LoopOptions {
        poll: Duration::from_millis(ui.poll_ms.max(50)),
        wait_idle: false,
        fixed_now: None,
    };
    tracing::info!(data_dir = %loaded.paths.data_dir.display(), readonly = args.readonly, "console start");
    let mut terminal = crate::ui::terminal::enter()?;
    let result = runtime.block_on(async {
        let events = crossterm::event::EventStream::new();
        runtime::run(
            &mut terminal,
            &mut model,
            Parts {
                keymap: &keymap,
                theme: &theme,
                workers: &workers,
                replies: &mut rx,
            },
            events,
            &opts,
            &mut crate::ui::terminal::suspend,
            &mut |_, _| {},
        )
        .await
    });
    crate::ui::terminal::leave();
    drop(workers);
    runtime.shutdown_timeout(Duration::from_millis(200));
    result?;
    Ok(ExitCode::SUCCESS)
}

/// A temporary data dir holding the demo incident, ingested with detection on.
fn prepare_demo(env: &Env) -> anyhow::Result<(tempfile::TempDir, Loaded)> {
    let dir = tempfile::Builder::new()
        .prefix("tocsin-demo-")
        .tempdir()
        .context("creating the demo's temporary data dir")?;
    let mut loaded = env.loaded.clone();
    loaded.config.data_dir = dir.path().to_path_buf();
    loaded.paths.data_dir = dir.path().to_path_buf();
    loaded.paths.database = dir.path().join("tocsin.db");
    let folder: PathBuf = crate::ui::demo::write(dir.path())?;
    let mut store = Store::open(
        &loaded.paths.database,
        Duration::from_millis(loaded.config.store.busy_timeout_ms),
    )?;
    let mut opts = Options::from_config(&loaded);
    opts.year = Some(crate::ui::demo::YEAR);
    opts.detector = super::sigma::detector_from_config(env)?;
    eprint!("tocsin: loading the demo incident… ");
    let index = crate::index::TextIndex::open(&loaded.paths.data_dir.join("index"))?;
    let writer = std::sync::Arc::new(std::sync::Mutex::new(index.writer(50_000_000)?));
    opts.index = Some(std::sync::Arc::clone(&writer));
    if loaded.config.embed.enabled {
        let sink = crate::index::semantic::VectorSink::open(
            &loaded.paths.data_dir,
            super::similar::embedder(env),
        )?;
        opts.vectors = Some(std::sync::Arc::new(std::sync::Mutex::new(sink)));
    }
    let summary = ingest::ingest_paths(&mut store, &[folder], &opts, &Silent)?;
    opts.index = None;
    opts.vectors = None;
    if let Ok(writer) = std::sync::Arc::try_unwrap(writer) {
        writer
            .into_inner()
            .map_err(|_| anyhow::anyhow!("the index writer was poisoned"))?
            .finish()?;
    }
    let alerts = store.count_alerts(&crate::store::AlertFilter::default())?;
    eprintln!("{} events, {alerts} alerts", summary.events);
    Ok((dir, loaded))
}
