//! The `overparam` command-line tool as a library: the binary parses the command line and
//! calls [`run`]; the integration tests reach the backend dispatch ([`backend`]) through here.

pub mod backend;
mod checkpoint;
pub mod cli;
mod commands;
pub mod config;
mod memory;
mod output;
pub mod parent_watch;
mod provenance;
pub mod run_lock;

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
