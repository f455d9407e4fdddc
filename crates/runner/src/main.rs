//! `overparam`: parse the command line, watch the parent when `sweep run` asks to
//! ([`overparam_runner::parent_watch`]), run the subcommand, print the whole error chain and
//! exit non-zero on failure.

use std::process::ExitCode;

use clap::Parser;
use overparam_runner::cli::Cli;
use overparam_runner::run_lock::{RunDirBusy, BUSY_EXIT_CODE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match overparam_runner::parent_watch::watch_parent_from_env()
        .and_then(|()| overparam_runner::run(&cli))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.is::<RunDirBusy>() {
                ExitCode::from(BUSY_EXIT_CODE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
