//! `ar24-drift EXPECTED ACTUAL [--markdown FILE]`: compares two snapshots
//! recorded by the contract suite (`AR24_RECORD`) and prints each difference in
//! plain words. Exits 0 when there is none, 1 when there are, 2 when a file
//! cannot be read.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ar24_contract_tests::drift;
use ar24_contract_tests::record::Snapshot;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "ar24-drift", about = "Compares two recorded runs of the AR24 contract suite")]
struct Options {
    /// The reference snapshot (e.g. features/snapshots/mock.json).
    expected: PathBuf,
    /// The snapshot of the run to check (e.g. one recorded against the sandbox).
    actual: PathBuf,
    /// Also write the report as Markdown to this file (a CI job summary).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

fn read(path: &Path) -> Result<Snapshot, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a contract-suite snapshot: {e}", path.display()))
}

fn main() -> ExitCode {
    let options = Options::parse();
    let (expected, actual) = match (read(&options.expected), read(&options.actual)) {
        (Ok(expected), Ok(actual)) => (expected, actual),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("ar24-drift: {err}");
            return ExitCode::from(2);
        }
    };
    let report = drift::compare(&expected, &actual);
    print!("{}", drift::text(&report));
    if let Some(path) = &options.markdown
        && let Err(err) = std::fs::write(path, drift::markdown(&report))
    {
        eprintln!("ar24-drift: cannot write {}: {err}", path.display());
        return ExitCode::from(2);
    }
    if report.differences.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
