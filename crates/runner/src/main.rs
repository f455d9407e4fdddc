//! `overparam`: parse the command line, run the subcommand, print the whole error chain and
//! exit non-zero on failure.

mod backend;
mod cli;
mod commands;
mod config;
mod output;
mod provenance;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Ntk(args) => commands::ntk::run(args),
        Command::Gradcheck(args) => commands::gradcheck::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
