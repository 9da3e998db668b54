//! The subcommands of the binary (CONTRACT.md §2).

use std::process::ExitCode;

use crate::app::{Application, shutdown_signal};
use crate::auth::PasswordHasher;
use crate::clock::Clock;
use crate::config::{Cli, Command, Config, StaffCommand};
use crate::contracts::{generate, import};
use crate::{db, demo, support};

/// Runs one subcommand; `Ok` carries the exit status.
pub async fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    // The demo is read through the dev mailbox: it is the one command that turns it on.
    if matches!(cli.command, Command::Demo) {
        cli.settings.dev_mailbox = true;
    }
    let config = Config::from_settings(&cli.settings)?;
    match cli.command {
        Command::Migrate => {
            db::connect_and_migrate(&config.database_url).await?;
            println!(
                "Migrazioni applicate a {}",
                db::redact(&config.database_url)
            );
        }
        Command::Serve => serve(config, false).await?,
        Command::Demo => serve(config, true).await?,
        Command::Import { file } => {
            let pool = db::connect_and_migrate(&config.database_url).await?;
            let report = import::import_file(&pool, &config, &Clock::system(), &file, true).await?;
            for (line, error) in &report.errors {
                eprintln!("riga {line}: {error}");
            }
            println!(
                "Importazione terminata: {} contratti nuovi, {} già presenti, {} linee aggiunte, {} eventi applicati, {} eventi già presenti, {} errori",
                report.created,
                report.already_present,
                report.lines_added,
                report.events_applied,
                report.events_already_present,
                report.errors.len()
            );
            if !report.errors.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::GenerateContracts {
            companies,
            out,
            seed,
        } => {
            let lines = generate::generate_file(companies, seed, &out)?;
            println!(
                "Scritti {companies} contratti con {lines} linee in {}",
                out.display()
            );
        }
        Command::Staff { command } => staff(&config, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `staff add|disable|reset-factors USERNAME`.
async fn staff(config: &Config, command: StaffCommand) -> anyhow::Result<()> {
    let pool = db::connect_and_migrate(&config.database_url).await?;
    match command {
        StaffCommand::Add { username } => {
            let password = read_password()?;
            support::add_staff(&pool, &PasswordHasher::new(1)?, &username, &password).await?;
            println!(
                "Operatore {username} creato: accede da /assistenza/accedi e al primo accesso attiva l'app di autenticazione"
            );
        }
        StaffCommand::Disable { username } => {
            support::disable_staff(&pool, &username).await?;
            println!(
                "Operatore {username} disabilitato: non può più accedere e le sue sessioni aperte sono terminate"
            );
        }
        StaffCommand::ResetFactors { username } => {
            support::reset_staff_factors(&pool, &username).await?;
            println!(
                "Fattori di accesso di {username} azzerati: le sue sessioni aperte sono terminate e al prossimo accesso attiverà una nuova app"
            );
        }
    }
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "password mancante: scrivila sullo standard input"
    );
    Ok(password)
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    // Before connecting to the database: a missing transport is named at once.
    config.notify.check_transports()?;
    let app = Application::build(config.clone()).await?;
    if with_demo {
        demo::load(app.pool(), &config, app.clock()).await?;
    }
    app.run_until(shutdown_signal()).await
}
