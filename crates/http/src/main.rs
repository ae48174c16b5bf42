//! The `tollgate` binary: `serve` (default), `migrate`, `dev-token`, `dev-login` and
//! `audit verify`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tollgate_http::{Application, Settings, StartupError, bootstrap::worker::Worker, telemetry};

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
    /// Run the outbox dispatchers (and the embedded period close) until SIGTERM / SIGINT,
    /// with `/healthz`, `/readyz` and `/metrics` on `worker.bind`.
    Worker,
    /// Probe a running Tollgate: GET /healthz (or /readyz) on `server.bind` (or `worker.bind`),
    /// 2 s at most; exit 0 on 200, else 1. For container health checks (no curl needed).
    Healthcheck(cli::HealthcheckArgs),
    /// Mint an access token from the embedded issuer (printed alone on stdout); the
    /// organization is created when it does not exist, and the subject made a member.
    DevToken(cli::DevTokenArgs),
    /// Print a one-time link that signs into the dashboard (10 minutes, from this machine
    /// only); the organization and member are made as for dev-token. Embedded identity only.
    DevLogin(cli::DevTokenArgs),
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
    /// Stripe: `stripe register-webhook --url …` creates Tollgate's webhook endpoint and prints
    /// its secret once; `stripe replay --since …` applies the events a downtime missed.
    Stripe {
        #[command(subcommand)]
        command: cli::stripe::StripeCommand,
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
    let quiet = matches!(
        command,
        Command::DevToken(_)
            | Command::DevLogin(_)
            | Command::Healthcheck(_)
            | Command::Stripe { .. }
    );
    telemetry::init(&settings.log, quiet);
    let result = match command {
        Command::Serve => return serve(settings).await,
        Command::Worker => return worker(&settings).await,
        Command::Migrate => cli::migrate(&settings).await,
        Command::Healthcheck(args) => Ok(cli::healthcheck(&settings, &args).await),
        Command::DevToken(args) => cli::dev_token(&settings, &args).await,
        Command::DevLogin(args) => cli::dev_login(&settings, &args).await,
        Command::Audit { command } => cli::audit(&settings, &command).await,
        Command::Billing { command } => cli::billing(&settings, &command).await,
        Command::Stripe { command } => cli::stripe::stripe(&settings, &command).await,
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

/// Exit 2 when the service cannot start (configuration, database, TLS, address), as for a
/// configuration that does not load; 1 when it fails while serving.
async fn serve(settings: Settings) -> ExitCode {
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => return cannot_start(&error),
    };
    finished(application.run_until_stopped().await)
}

async fn worker(settings: &Settings) -> ExitCode {
    let worker = match Worker::build(settings).await {
        Ok(worker) => worker,
        Err(error) => return cannot_start(&error),
    };
    finished(worker.run_until_stopped().await)
}

fn cannot_start(error: &StartupError) -> ExitCode {
    tracing::error!("cannot start: {error}");
    eprintln!("tollgate: cannot start: {error}");
    ExitCode::from(2)
}

fn finished(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("tollgate: {error}");
            ExitCode::FAILURE
        }
    }
}
