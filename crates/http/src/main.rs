//! The `tollgate` binary: `serve` (default), `migrate`, `dev-token` and `audit verify`.

mod cli;

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
    /// Run the outbox dispatchers only (no HTTP), until SIGTERM / SIGINT.
    Worker,
    /// Mint an access token from the embedded issuer (printed alone on stdout); the
    /// organization is created when it does not exist, and the subject made a member.
    DevToken(cli::DevTokenArgs),
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: cli::AuditCommand,
    },
    /// Billing: `billing close [--at RFC3339]` closes the ended periods now.
    Billing {
        #[command(subcommand)]
        command: cli::BillingCommand,
    },
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
    let command = cli.command.unwrap_or(Command::Serve);
    // Commands whose stdout is their answer log to stderr only, and quietly.
    let quiet = matches!(command, Command::DevToken(_));
    telemetry::init(&settings.log, quiet);
    let result = match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => cli::migrate(&settings).await,
        Command::Worker => cli::worker(&settings).await,
        Command::DevToken(args) => cli::dev_token(&settings, &args).await,
        Command::Audit { command } => cli::audit(&settings, &command).await,
        Command::Billing { command } => cli::billing(&settings, &command).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("tollgate: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let application = Application::build(settings).await?;
    application.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
