//! The one-shot commands of the binary.

use std::{
    io::{self, Write},
    process::ExitCode,
    sync::Arc,
};

use clap::{Args, Subcommand};
use tollgate_adapters::postgres::{
    self, PgAuditTrail, PgMemberships, PgOrganizations, PgWebSessions, PoolSettings,
};
use tollgate_application::{
    AppError,
    ports::{
        AuditChain, AuditContext, Membership, OrganizationDirectory, SessionHolder, SystemClock,
    },
    services::access::{
        memberships::{MembershipOutcome, MembershipService, RoleChange, describe},
        web_sessions::{SessionPolicy, WebSessionService},
    },
};
use tollgate_domain::{access::Role, organization::OrganizationSlug};
use tollgate_http::{
    Settings,
    bootstrap::identity::{dev_token_ttl, embedded_issuer},
};

pub mod stripe;

type CliResult = Result<ExitCode, Box<dyn std::error::Error>>;

#[derive(Args)]
pub struct DevTokenArgs {
    /// The organization's slug (created if missing).
    #[arg(long)]
    org: String,
    /// owner, admin, billing, viewer, or customer (with --customer).
    #[arg(long, default_value = "owner")]
    role: String,
    /// The customer (external id) a `customer` member sees, and only that one.
    #[arg(long)]
    customer: Option<String>,
    /// Who the token names: by default one subject per role (`dev-owner`, `dev-viewer`,
    /// `dev-customer-<id>`), so a new token never changes what an earlier one may do.
    #[arg(long)]
    subject: Option<String>,
    /// Change the role of an existing member (audited). Without it, minting a token for a
    /// subject that is already a member with another role is refused.
    #[arg(long)]
    change_role: bool,
}

impl DevTokenArgs {
    fn subject(&self, role: Role) -> String {
        match (&self.subject, &self.customer) {
            (Some(subject), _) => subject.clone(),
            (None, Some(customer)) if role == Role::Customer => format!("dev-customer-{customer}"),
            (None, _) => format!("dev-{}", role.as_str()),
        }
    }
}

#[derive(Args)]
pub struct HealthcheckArgs {
    /// Probe /readyz (database and migrations; 503 while draining) instead of /healthz.
    #[arg(long)]
    ready: bool,
    /// Probe `tollgate worker`'s server (`worker.bind`) instead of `server.bind`.
    #[arg(long)]
    worker: bool,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every organization's hash chain (or one's); exit 1 at the first broken link.
    Verify {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum BillingCommand {
    /// Close every ended billing period once (embedded mode) and print what was done as JSON.
    Close {
        /// Close as of this time (RFC 3339) instead of now: for tests and back-fills.
        #[arg(long)]
        at: Option<String>,
    },
}

pub(crate) async fn prepare_database(
    settings: &Settings,
) -> Result<postgres::PgPool, Box<dyn std::error::Error>> {
    if settings.database.create_if_missing {
        postgres::create_database_if_missing(settings.migration_url()).await?;
    }
    postgres::run_migrations(settings.migration_url()).await?;
    Ok(postgres::connect(&PoolSettings {
        url: settings.database.url.clone(),
        max_connections: 2,
        acquire_timeout: settings.pool_acquire_timeout(),
        connect_timeout: settings.pool_acquire_timeout(),
        statement_timeout: std::time::Duration::from_millis(settings.database.statement_timeout_ms),
    })?)
}

pub async fn migrate(settings: &Settings) -> CliResult {
    if settings.database.create_if_missing {
        postgres::create_database_if_missing(settings.migration_url()).await?;
    }
    let applied = postgres::run_migrations(settings.migration_url()).await?;
    tracing::info!(count = applied.len(), ?applied, "migrations applied");
    Ok(ExitCode::SUCCESS)
}

/// 0 when the probed route answers 200; 1 otherwise, with the reason on stderr.
pub async fn healthcheck(settings: &Settings, args: &HealthcheckArgs) -> ExitCode {
    use tollgate_http::healthcheck;
    let bind = if args.worker {
        settings.worker.bind
    } else {
        settings.server.bind
    };
    let path = if args.ready { "/readyz" } else { "/healthz" };
    let address = healthcheck::target(bind);
    match healthcheck::status(address, path).await {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            let _ = writeln!(
                io::stderr(),
                "tollgate healthcheck: {path} answered {status}"
            );
            ExitCode::FAILURE
        }
        Err(reason) => {
            let _ = writeln!(io::stderr(), "tollgate healthcheck: {path}: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// The organization (created if missing) and the member `args` name, made a member when not
/// one yet (audited), as `dev-token` and `dev-login` both need.
async fn ensure_dev_member(
    settings: &Settings,
    args: &DevTokenArgs,
    actor: &str,
) -> Result<DevMember, Box<dyn std::error::Error>> {
    let role = Role::parse(&args.role)?;
    let customer = match (role, &args.customer) {
        (Role::Customer, None) => {
            return Err("--role customer needs --customer <external id>".into());
        }
        (Role::Customer, Some(customer)) => Some(customer.clone()),
        (_, Some(_)) => return Err("--customer goes with --role customer only".into()),
        (_, None) => None,
    };
    let subject = args.subject(role);
    let slug = OrganizationSlug::parse(&args.org)?;
    let pool = prepare_database(settings).await?;
    let organization = PgOrganizations::new(pool.clone())
        .ensure(&slug, slug.as_str())
        .await?;
    let context = AuditContext {
        actor: actor.into(),
        ..AuditContext::default()
    };
    let wanted = Membership {
        role,
        customer: customer.clone(),
    };
    let change = if args.change_role {
        RoleChange::Allow
    } else {
        RoleChange::Refuse
    };
    let outcome = MembershipService::new(Arc::new(PgMemberships::new(pool.clone())))
        .ensure(organization.id, &subject, &wanted, change, &context)
        .await
        .map_err(|error| match error {
            AppError::Conflict { message, .. } => {
                format!("{message}: pass --change-role to change it, or --subject for another")
            }
            other => other.to_string(),
        })?;
    if let MembershipOutcome::Changed { previous } = &outcome {
        writeln!(
            io::stderr(),
            "changed the role of {subject} in {}: {} -> {} (audited); its earlier tokens now \
             have the new role",
            slug.as_str(),
            describe(previous),
            describe(&wanted)
        )?;
    }
    Ok(DevMember {
        pool,
        organization: organization.id,
        slug,
        subject,
        role,
        customer,
    })
}

struct DevMember {
    pool: postgres::PgPool,
    organization: tollgate_domain::organization::OrganizationId,
    slug: OrganizationSlug,
    subject: String,
    role: Role,
    customer: Option<String>,
}

pub async fn dev_token(settings: &Settings, args: &DevTokenArgs) -> CliResult {
    let DevMember {
        pool,
        slug,
        subject,
        role,
        ..
    } = ensure_dev_member(settings, args, "system:dev-token").await?;
    let scopes: Vec<String> = role
        .scopes()
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let token = embedded_issuer(settings, &pool).await?.issue(
        &subject,
        slug.as_str(),
        role.as_str(),
        &scopes,
        dev_token_ttl(settings),
    )?;
    writeln!(io::stdout(), "{token}")?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a one-time dashboard sign-in link (10 minutes, loopback only) for the member `args`
/// name; the embedded identity only.
pub async fn dev_login(settings: &Settings, args: &DevTokenArgs) -> CliResult {
    let ory = &settings.ory;
    if [
        &ory.hydra_jwks_url,
        &ory.hydra_admin_url,
        &ory.kratos_public_url,
    ]
    .iter()
    .any(|url| !url.trim().is_empty())
    {
        return Err("dev-login works with the embedded identity only (Ory is configured)".into());
    }
    let member = ensure_dev_member(settings, args, "system:dev-login").await?;
    let sessions = WebSessionService::new(
        Arc::new(PgWebSessions::new(member.pool.clone())),
        Arc::new(SystemClock),
        SessionPolicy {
            link_ttl: std::time::Duration::from_secs(settings.web.login_link_ttl_secs),
            ..SessionPolicy::default()
        },
    );
    let holder = SessionHolder {
        organization: member.organization,
        subject: member.subject,
        role: member.role,
        customer: member.customer,
    };
    let context = AuditContext {
        actor: "system:dev-login".into(),
        ..AuditContext::default()
    };
    let link = sessions.issue_link(&holder, &context).await?;
    writeln!(
        io::stdout(),
        "{}/login/dev/{}",
        dashboard_origin(settings),
        link.secret
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Where a browser on this machine reaches the dashboard.
fn dashboard_origin(settings: &Settings) -> String {
    if let Ok(url) = url::Url::parse(settings.web.public_url.trim()) {
        return url.origin().ascii_serialization();
    }
    let bind = settings.server.bind;
    if bind.ip().is_unspecified() {
        format!("http://127.0.0.1:{}", bind.port())
    } else {
        format!("http://{bind}")
    }
}

pub async fn audit(settings: &Settings, command: &AuditCommand) -> CliResult {
    let AuditCommand::Verify { org } = command;
    let pool = prepare_database(settings).await?;
    let organizations = match org {
        Some(name) => vec![
            PgOrganizations::new(pool.clone())
                .resolve(name)
                .await?
                .ok_or_else(|| format!("no organization `{name}`"))?,
        ],
        None => PgOrganizations::new(pool.clone()).all().await?,
    };
    let trail = PgAuditTrail::new(pool);
    let mut out = io::stdout();
    let mut intact = true;
    for organization in organizations {
        match trail.verify(organization).await? {
            Ok(count) => writeln!(out, "{organization}: ok, {count} records")?,
            Err(broken) => {
                intact = false;
                writeln!(
                    out,
                    "{organization}: BROKEN at sequence {}: {}",
                    broken.sequence, broken.reason
                )?;
            }
        }
    }
    Ok(if intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn billing(settings: &Settings, command: &BillingCommand) -> CliResult {
    let BillingCommand::Close { at } = command;
    let at = at
        .as_deref()
        .map(chrono::DateTime::parse_from_rfc3339)
        .transpose()?
        .map(|at| at.with_timezone(&chrono::Utc));
    // Closing a period that has not ended would finalize (freeze) its invoice without the
    // rest of its usage, which would then never be billed.
    if at.is_some_and(|at| at > chrono::Utc::now()) {
        return Err(
            "--at must not be in the future: only periods that have ended can close".into(),
        );
    }
    let pool = prepare_database(settings).await?;
    let close = tollgate_http::bootstrap::workers::period_close(settings, &pool)
        .ok_or("Lago closes the billing periods (lago.url is set): nothing to do here")?;
    let started = std::time::Instant::now();
    let report = close.close_due(at).await?;
    let seconds = started.elapsed().as_secs_f64();
    let summary = serde_json::json!({
        "periods": report.periods,
        "invoices": report.invoices,
        "renewals": report.renewals,
        "failed": report.failed,
        "passes": report.passes,
        "batches": report.batches,
        "seconds": seconds,
    });
    writeln!(io::stdout(), "{summary}")?;
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
