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
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document and exit.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", gateway::openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("branchline: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(&config);
    let result = match command {
        Command::Migrate => connect_and_migrate(&config).map(|_| ()),
        Command::Serve => connect_and_migrate(&config).and_then(|db| serve(db, config)),
        Command::Openapi => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("branchline: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.compact().init(),
    }
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

fn serve(db: Db, config: Config) -> Result<(), String> {
    let bind = config.bind.clone();
    let workers = config.workers;
    let state = AppState::new(db, config);
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
        // actix stops accepting on SIGTERM/SIGINT and lets in-flight requests finish.
        server
            .run()
            .await
            .map_err(|e| format!("server error: {e}"))?;
        tracing::info!("shut down");
        Ok(())
    })
}
