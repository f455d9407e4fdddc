//! The `overparam` command-line tool as a library: the binary parses the command line and
//! calls [`run`]; each command is argument parsing, progress, locks, checkpoints and files
//! around the library API (`overparam-api`), which builds and runs the experiments. The
//! integration tests reach the backend dispatch ([`backend`]) through here.

mod checkpoint;
pub mod cli;
mod commands;
mod memory;
mod output;
pub mod parent_watch;
mod provenance;
pub mod run_lock;

/// The backend dispatch and the config schema live in the library API; re-exported here so
/// that `overparam_runner::backend::…` and `overparam_runner::config::…` keep their paths.
pub use overparam_api::{backend, config};

use crate::cli::{Cli, Command};

/// Runs the subcommand `cli` names.
pub fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Ntk(args) => commands::ntk::run(args),
        Command::Gradcheck(args) => commands::gradcheck::run(args),
        Command::Backends(args) => commands::backends::run(args),
        Command::Sweep(command) => commands::sweep::run(command),
        Command::Analyze(command) => commands::analyze::run(command),
        Command::Plot(args) => commands::plot::run(args),
        Command::Reproduce(args) => commands::reproduce::run(args),
        Command::Bench(args) => commands::bench::run(args),
    }
}
