//! The writer lock: exactly one process ingests into a data dir at a time, decided by an OS file
//! lock on `<data_dir>/writer.lock` (released by the kernel when the holder dies, even by -9).
//!
//! The daemon takes it at start and refuses to run without it; the console will take it when no
//! daemon holds it and run the same pipeline in-process.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the data dir.
pub const LOCK_FILE: &str = "writer.lock";

/// A held writer lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
    path: PathBuf,
}

impl WriterLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Takes the writer lock of `data_dir` if no other process holds it: `Ok(None)` when one does.
/// The holder's pid is written into the file for [`holder`].
pub fn try_acquire(data_dir: &Path) -> std::io::Result<Option<WriterLock>> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(None),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(Some(WriterLock { _file: file, path }))
}

/// The pid written by the current (or last) holder of the lock, if any.
pub fn holder(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join(LOCK_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = try_acquire(dir.path()).unwrap().expect("first lock");
        assert!(try_acquire(dir.path()).unwrap().is_none());
        assert_eq!(holder(dir.path()), Some(std::process::id().to_string()));
        drop(first);
        assert!(try_acquire(dir.path()).unwrap().is_some());
    }
}
