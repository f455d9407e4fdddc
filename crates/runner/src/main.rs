//! `overparam`: the command line, run by [`overparam_runner::main_with_args`].

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(overparam_runner::main_with_args(std::env::args_os()))
}
