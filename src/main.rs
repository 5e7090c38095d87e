//! The `keygate` binary: parse the command line, start logging, hand over.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = keygate::cli::Cli::parse();
    keygate::telemetry::init();
    match keygate::cli::run(cli, keygate::startup::serve) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
