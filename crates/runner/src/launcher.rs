//! How the program starts copies of itself (a sweep's runs, a reproduction's kernels, the
//! benchmark's seed processes): the running `overparam` executable, or the command a host
//! program set once (the Python module sets `python -m overparam`, since the running
//! executable there is the interpreter).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use anyhow::Context as _;

/// A program and its leading arguments, before the subcommand's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Launcher {
    /// The executable.
    pub program: PathBuf,
    /// Arguments that come before the subcommand (`-m overparam` for Python).
    pub leading_args: Vec<OsString>,
    /// Environment variables the copies need (`PYTHONPATH`, to find the module).
    pub envs: Vec<(OsString, OsString)>,
}

static HOST_LAUNCHER: OnceLock<Launcher> = OnceLock::new();

/// Makes `launcher` the command every copy of the program starts with, for the rest of the
/// process; a second call is an error naming the one already set, unless it is the same.
pub fn set_launcher(launcher: Launcher) -> anyhow::Result<()> {
    let set = HOST_LAUNCHER.get_or_init(|| launcher.clone());
    anyhow::ensure!(
        *set == launcher,
        "the launcher is already {} {:?}",
        set.program.display(),
        set.leading_args
    );
    Ok(())
}

impl Launcher {
    /// The host's launcher, else the running executable.
    pub fn current() -> anyhow::Result<Launcher> {
        if let Some(launcher) = HOST_LAUNCHER.get() {
            return Ok(launcher.clone());
        }
        Ok(Launcher {
            program: std::env::current_exe().context("locating the overparam executable")?,
            leading_args: Vec::new(),
            envs: Vec::new(),
        })
    }

    /// A command that runs the program with the leading arguments; add the subcommand's.
    pub fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.leading_args);
        command.envs(self.envs.iter().map(|(key, value)| (key, value)));
        command
    }

    /// The program and its leading arguments as text, for a batch script.
    pub fn words(&self) -> Vec<String> {
        std::iter::once(self.program.display().to_string())
            .chain(
                self.leading_args
                    .iter()
                    .map(|arg| arg.to_string_lossy().into_owned()),
            )
            .collect()
    }

    /// The variables the copies need, as text, for a batch script.
    pub fn environment(&self) -> Vec<(String, String)> {
        self.envs
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string_lossy().into_owned(),
                    value.to_string_lossy().into_owned(),
                )
            })
            .collect()
    }
}
