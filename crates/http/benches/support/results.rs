//! The figures as `key=value` lines (`--results FILE`), which `tests/bench/run.sh` and
//! `tests/bench/metering.sh` read back to print their summaries against the targets.

use std::fmt::Display;
use std::path::Path;

#[derive(Default)]
pub struct Results(Vec<String>);

impl Results {
    pub fn put(&mut self, key: &str, value: impl Display) {
        self.0.push(format!("{key}={value}"));
    }

    /// Writes the lines to `path`, when one was asked for.
    pub fn write(&self, path: Option<&Path>) -> Result<(), String> {
        let Some(path) = path else {
            return Ok(());
        };
        std::fs::write(path, self.0.join("\n") + "\n")
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}
