//! The state file (`--state-file`): read once at start, written atomically
//! (a temporary file beside it, then a rename) at an interval and on shutdown,
//! so a crash loses at most one interval and never leaves a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::snapshot::Snapshot;

/// Why the state file cannot be used: the mock does not start, and the file is left as it is.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// It exists but cannot be read.
    #[error("cannot read the state file {path}: {source} (fix it or remove it; it is left as it is)")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// It is not a state this mock wrote.
    #[error(
        "the state file {path} is not a valid ar24-mock state: {reason} (fix it or remove it; it is left as it is)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The saved state, or `None` when there is no file yet.
pub fn load(path: &Path) -> Result<Option<Snapshot>, StateFileError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateFileError::Unreadable { path: path.to_owned(), source }),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|err| StateFileError::Corrupt { path: path.to_owned(), reason: err.to_string() })
}

/// Writes `snapshot` to `path` atomically.
pub fn save(path: &Path, snapshot: &Snapshot) -> std::io::Result<()> {
    let json = serde_json::to_vec(snapshot).map_err(std::io::Error::other)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(&json)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("ar24-mock-{}-{name}", uuid::Uuid::new_v4().simple()))
    }

    #[test]
    fn a_missing_file_is_an_empty_start_and_a_saved_state_loads_back() {
        let path = temp("state.json");
        assert!(load(&path).unwrap().is_none());
        let store = Store::new("http://x", 10, []);
        save(&path, &store.snapshot()).unwrap();
        assert_eq!(load(&path).unwrap().unwrap().format, crate::store::snapshot::FORMAT);
        assert!(!PathBuf::from(format!("{}.tmp", path.display())).exists(), "the temporary file is renamed");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_stays_untouched() {
        let path = temp("corrupt.json");
        std::fs::write(&path, b"{\"format\": 1, \"users\": [").unwrap();
        let err = load(&path).unwrap_err();
        assert!(err.to_string().contains("not a valid ar24-mock state"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"format\": 1, \"users\": [");
        std::fs::remove_file(path).unwrap();
    }
}
