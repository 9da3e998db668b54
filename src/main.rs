//! The `area-clienti` binary: parse the command line, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = area_clienti::config::Cli::parse();
    area_clienti::telemetry::init();
    area_clienti::allocator::return_large_blocks_to_the_system();
    match area_clienti::cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("errore: {error:#}");
            ExitCode::FAILURE
        }
    }
}
