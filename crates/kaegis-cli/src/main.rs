//! The `kaegis` binary: wires inputs, the catalog, the engine and the
//! reporters together. It holds no check logic and no parsing of its own.
#![forbid(unsafe_code)]

mod cli;
mod detect;
mod fix;
mod rbac;
mod scan;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
