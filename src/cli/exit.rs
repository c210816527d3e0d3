//! How a command ends: its exit code and what it says on standard error.
//!
//! Exit codes:
//! - 0: success; also when whoever reads standard output closes it early
//!   (`orbitedge eclipses | head -1`): the reader has what it wanted, so the
//!   command stops there, quietly, as ripgrep does (and as classic Unix tools
//!   do by dying silently of SIGPIPE, without their 141 status: a pipeline
//!   under `set -o pipefail` must not fail because `head` stopped reading);
//! - 1: a failure while working (an internal error, a propagation failure, an
//!   output file that could not be written);
//! - 2: bad input, the message says what and where; this includes an output
//!   directory that cannot be used, which is found before any work is done.

use std::process::ExitCode;

use orbitedge::Error;

/// Why a command stopped before its end.
pub enum Failure {
    /// Standard output was closed by its reader: a normal end.
    OutputClosed,
    /// A failure to report, with its exit code.
    Exit {
        /// 1 or 2 (see the module's documentation).
        code: u8,
        /// What went wrong.
        message: String,
    },
}

impl Failure {
    /// Bad input (exit code 2).
    pub fn bad_input(message: impl Into<String>) -> Self {
        Failure::Exit {
            code: 2,
            message: message.into(),
        }
    }

    /// A failure while working (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure::Exit {
            code: 1,
            message: message.into(),
        }
    }

    /// Says what went wrong on standard error; the process's exit code.
    pub fn exit(self) -> ExitCode {
        match self {
            Failure::OutputClosed => ExitCode::SUCCESS,
            Failure::Exit { code, message } => {
                note(format_args!("error: {message}"));
                ExitCode::from(code)
            }
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Propagation { .. } | Error::Internal { .. } | Error::Io { .. } => {
                Failure::failed(error.to_string())
            }
            _ => Failure::bad_input(error.to_string()),
        }
    }
}

/// A failed write to standard output (the only I/O errors that reach `?`
/// unmapped: every file error is mapped with its path where it happens).
impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::OutputClosed
        } else {
            Failure::failed(format!("cannot write to standard output: {error}"))
        }
    }
}

/// Writes one line to standard error. A failure is ignored: with standard
/// error closed there is nowhere left to say anything, and `eprintln!` would
/// panic instead.
pub fn note(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
