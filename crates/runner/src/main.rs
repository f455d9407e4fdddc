//! `overparam`: parse the command line, run the subcommand, print the whole error chain and
//! exit non-zero on failure.

use std::process::ExitCode;

use clap::Parser;
use overparam_runner::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match overparam_runner::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
