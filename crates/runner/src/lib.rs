//! The `overparam` command-line tool as a library: the binary parses the command line and
//! calls [`run`]; each command is argument parsing, progress, locks, checkpoints and files
//! around the library API (`overparam-api`), which builds and runs the experiments. The
//! integration tests reach the backend dispatch ([`backend`]) through here.

mod checkpoint;
pub mod cli;
mod commands;
pub mod interrupt;
pub mod launcher;
pub mod memory;
mod output;
pub mod parent_watch;
mod peak_memory;
mod progress;
mod provenance;
pub mod run_lock;

/// The backend dispatch and the config schema live in the library API; re-exported here so
/// that `overparam_runner::backend::…` and `overparam_runner::config::…` keep their paths.
pub use overparam_api::{backend, config};

use crate::cli::{Cli, Command};

pub use commands::common::run_header;
pub use progress::{set_progress_hidden, step_progress_bar};

/// The whole program on the command line `args` (the program name first): parses it
/// (`--help`, `--version` and usage errors as clap prints them), watches the parent when
/// `sweep run` asks to ([`parent_watch`]), runs the subcommand and prints the whole error
/// chain on failure. Returns the exit status: 0, 1, clap's 2, [`run_lock::BUSY_EXIT_CODE`] or
/// [`interrupt::TERMINATED_EXIT_CODE`].
pub fn main_with_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::Parser as _;
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    match parent_watch::watch_parent_from_env().and_then(|()| run(&cli)) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.is::<run_lock::RunDirBusy>() {
                run_lock::BUSY_EXIT_CODE
            } else if error.is::<interrupt::Terminated>() {
                interrupt::TERMINATED_EXIT_CODE
            } else {
                1
            }
        }
    }
}

/// Runs the subcommand `cli` names.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Ntk(args) => commands::ntk::run(args),
        Command::Gradcheck(args) => commands::gradcheck::run(args),
        Command::Hessian(args) => commands::hessian::run(args),
        Command::Backends(args) => commands::backends::run(args),
        Command::Sweep(command) => commands::sweep::run(command),
        Command::Analyze(command) => commands::analyze::run(command),
        Command::Plot(args) => commands::plot::run(args),
        Command::Reproduce(args) => commands::reproduce::run(args),
        Command::Bench(args) => commands::bench::run(args),
    }
}
