//! The `tollgate` binary: `serve` (default) and `migrate`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tollgate_http::{Application, Settings, telemetry};

#[derive(Parser)]
#[command(
    name = "tollgate",
    version,
    about = "Monetization gateway for AI products"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the API and webhooks (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("tollgate: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let application = Application::build(settings).await?;
    application.run_until_stopped().await?;
    Ok(())
}

async fn migrate(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    if settings.database.create_if_missing {
        tollgate_adapters::postgres::create_database_if_missing(&settings.database.url).await?;
    }
    let applied = tollgate_adapters::postgres::run_migrations(&settings.database.url).await?;
    tracing::info!(count = applied.len(), ?applied, "migrations applied");
    Ok(())
}
