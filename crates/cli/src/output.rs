//! Where results go: JSON or text on stdout, messages and progress on stderr, and the exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// A command's failure, classified for the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad arguments or configuration: exit code 2.
    Usage(anyhow::Error),
    /// The command ran and failed: exit code 1.
    Failed(anyhow::Error),
}

impl Failure {
    pub(crate) fn usage(e: impl Into<anyhow::Error>) -> Self {
        Failure::Usage(e.into())
    }

    pub(crate) fn failed(e: impl Into<anyhow::Error>) -> Self {
        Failure::Failed(e.into())
    }
}

/// The output mode chosen on the command line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    json: bool,
    quiet: bool,
}

impl Output {
    pub(crate) fn new(json: bool, quiet: bool) -> Self {
        Output { json, quiet }
    }

    /// Prints the result: `value` as one JSON document with `--json`, else the text `human` renders.
    pub(crate) fn emit<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> Result<(), Failure> {
        let text = if self.json {
            serde_json::to_string_pretty(value).map_err(Failure::failed)?
        } else {
            human(value)
        };
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", text.trim_end()).and_then(|()| stdout.flush()).map_err(Failure::failed)
    }

    /// A progress bar on stderr, hidden with `--quiet` or when stderr is not a terminal.
    pub(crate) fn progress(&self, len: u64, message: &'static str) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len).with_message(message);
        if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    /// Reports a failure as one line on stderr and returns its exit code.
    pub(crate) fn fail(&self, failure: &Failure) -> ExitCode {
        let (code, error) = match failure {
            Failure::Usage(e) => (2, e),
            Failure::Failed(e) => (1, e),
        };
        let line = format!("{error:#}").replace('\n', " ");
        eprintln!("error: {line}");
        ExitCode::from(code)
    }
}
