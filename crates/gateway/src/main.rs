//! The `branchline` binary: `serve` (the default), `migrate` and `openapi`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gateway::config::LogFormat;
use gateway::{AppState, Config, build_app};
use store::Db;

#[derive(Parser)]
#[command(
    name = "branchline",
    version,
    about = "Branchline: the backend for a network of branch offices"
)]
struct Cli {
    /// A TOML file of settings; `BRANCHLINE_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API (the default).
    Serve {
        /// Load the demo company first when the database has no offices yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Create the first HQ administrator. The password is read from
    /// BRANCHLINE_ADMIN_PASSWORD, or from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "HQ administrator")]
        display_name: String,
    },
    /// Print the OpenAPI document and exit.
    Openapi,
    /// Print docs/permissions.md (roles and their permissions) and exit.
    Permissions,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    match command {
        Command::Openapi => return print_out(&gateway::openapi_json()),
        Command::Permissions => return print_out(&org::roles::permissions_markdown()),
        _ => {}
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("branchline: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let log = init_tracing(&config);
    let result = match command {
        Command::Migrate => connect_and_migrate(&config).map(|_| ()),
        Command::Serve { demo } => connect_and_migrate(&config).and_then(|db| {
            if demo {
                load_demo(&db)?;
            }
            serve(db, config)
        }),
        Command::CreateAdmin {
            username,
            display_name,
        } => {
            connect_and_migrate(&config).and_then(|db| create_admin(&db, &username, &display_name))
        }
        Command::Openapi | Command::Permissions => Ok(()),
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            // The log line first, then the plain message after it.
            drop(log);
            eprintln!("branchline: {message}");
            return ExitCode::FAILURE;
        }
    };
    drop(log);
    code
}

/// Prints a document; a closed pipe (`| head`) is not an error worth a panic.
fn print_out(text: &str) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("branchline: cannot write: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr through a thread of its own (`gateway::logwriter`), so no
/// request waits on the write; the guard writes out what is queued when
/// `main` ends.
fn init_tracing(config: &Config) -> gateway::logwriter::Guard {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = gateway::logwriter::spawn(std::io::stderr(), gateway::logwriter::QUEUE);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.compact().init(),
    }
    guard
}

fn connect_and_migrate(config: &Config) -> Result<Db, String> {
    let db = Db::connect(config.database_url.clone(), &config.pool_options())
        .map_err(|e| e.to_string())?;
    let mut conn = db
        .pool()
        .get()
        .map_err(|e| format!("cannot get a database connection: {e}"))?;
    let applied = store::migrate::run_pending(&mut conn)
        .map_err(|e| format!("migrations failed on {}: {e}", config.database_url))?;
    for name in &applied {
        tracing::info!(migration = %name, "applied migration");
    }
    tracing::info!(database = %config.database_url, applied = applied.len(), "database ready");
    drop(conn);
    Ok(db)
}

fn load_demo(db: &Db) -> Result<(), String> {
    let mut conn = db
        .pool()
        .get()
        .map_err(|e| format!("cannot get a database connection: {e}"))?;
    let summary = gateway::demo::load(&mut conn, &gateway::app::documents())
        .map_err(|e| format!("demo data failed to load: {e:?}"))?;
    if summary.loaded {
        println!(
            "Loaded the demo company: {} users, {} customers, {} signed contracts, {} expense claims, {} business trips, {} service requests and {} risks in the register; every user's password is `{}` (e.g. hq.admin, gz01.office_director, sh01.sales_rep)",
            summary.users,
            summary.customers,
            summary.contracts,
            summary.expense_claims,
            summary.trips,
            summary.service_requests,
            summary.risks,
            org::demo::DEMO_PASSWORD
        );
    } else {
        println!(
            "Demo: the database already has offices; nothing loaded. Demo users sign in with the password `{}`",
            org::demo::DEMO_PASSWORD
        );
    }
    Ok(())
}

fn create_admin(db: &Db, username: &str, display_name: &str) -> Result<(), String> {
    let password = match std::env::var("BRANCHLINE_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let mut conn = db
        .pool()
        .get()
        .map_err(|e| format!("cannot get a database connection: {e}"))?;
    let user = org::demo::create_admin(&mut conn, username, display_name, &password)
        .map_err(|e| format!("{e}"))?;
    println!(
        "Created HQ administrator `{}` (id {})",
        user.username, user.id
    );
    Ok(())
}

fn serve(db: Db, config: Config) -> Result<(), String> {
    let bind = config.bind.clone();
    let workers = config.workers;
    let state_db = db.clone();
    let state = AppState::new(db, config);
    let principals = state.principals.clone();
    {
        let mut conn = state_db
            .pool()
            .get()
            .map_err(|e| format!("cannot get a database connection: {e}"))?;
        workflow::engine::ensure_default_policies(&mut conn, &state.documents)
            .map_err(|e| format!("default approval policies: {e:?}"))?;
    }
    actix_web::rt::System::new().block_on(async move {
        let mut server = actix_web::HttpServer::new(move || build_app(state.clone()))
            .shutdown_timeout(10)
            .bind(&bind)
            .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        for addr in server.addrs() {
            tracing::info!(%addr, "listening");
            println!("Branchline is listening on http://{addr}");
            println!("API documentation: http://{addr}/docs/");
        }
        // Cached callers follow other replicas' changes to who may do what.
        gateway::app::spawn_epoch_watch(state_db.clone(), principals);
        // Overdue approval steps escalate one level up, checked every minute. Each
        // step is claimed with a compare-and-set, so replicas never escalate twice.
        every(
            &state_db,
            60,
            "overdue approval steps escalated",
            |conn, now| workflow::escalate_overdue(conn, now).map(|steps| steps.len()),
        );
        // Service requests near or past their deadlines move up the chain,
        // checked every minute, claimed the same way.
        every(&state_db, 60, "service requests escalated", |conn, now| {
            after_sales::escalation::escalate_due(conn, now).map(|done| done.len())
        });
        every(&state_db, 60, "service tickets escalated", |conn, now| {
            after_sales::escalation::escalate_tickets(conn, now).map(|done| done.len())
        });
        // Risk indicators are read once per period each; a replica that finds
        // the period's value written by another leaves it.
        every(&state_db, 60, "risk indicators evaluated", |conn, now| {
            risk::indicators::evaluate::evaluate_due(conn, &gateway::facts::risk::sources(), now)
        });
        // Leavers whose handover is complete leave on their last day: the
        // login deactivated, the roles ended. Claimed the same way.
        every(&state_db, 60, "leavers gone", |conn, now| {
            personnel::leaving::finalize_due(conn, now)
        });
        // Expired idempotency records are removed hourly; every replica may do it.
        every(
            &state_db,
            3600,
            "expired idempotency keys removed",
            |conn, _| store::idempotency::purge_expired(conn),
        );
        // actix stops accepting on SIGTERM/SIGINT and lets in-flight requests finish.
        server
            .run()
            .await
            .map_err(|e| format!("server error: {e}"))?;
        tracing::info!("shut down");
        Ok(())
    })
}

/// Runs `job` every `seconds` in this process, logging how many items it
/// handled when it handled any. Jobs claim their items with a compare-and-set,
/// so every replica runs them.
fn every(
    db: &store::Db,
    seconds: u64,
    what: &'static str,
    job: fn(&mut store::AnyConnection, chrono::NaiveDateTime) -> Result<usize, kernel::ApiError>,
) {
    let db = db.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(seconds));
        loop {
            tick.tick().await;
            let now = kernel::time::now_db();
            match db.run(move |conn| job(conn, now)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "{what}"),
                Err(e) => tracing::warn!(error = ?e, "{what}: the run failed"),
            }
        }
    });
}
