//! `trove serve`: the web server over the database `--db` names.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use trove_web::{Options, Web};

use crate::db::DbUrl;

/// `trove serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Mark the session cookie Secure and expect https origins: set it when Trove is reached
    /// through TLS (a reverse proxy); never on plain http, where browsers would drop the cookie.
    #[arg(long)]
    secure_cookies: bool,
    /// A folder of feedback mappings (NAME.toml) that the API's POST /api/v1/feedback may
    /// name with ?mapping=NAME (e.g. the repository's mappings/).
    #[arg(long)]
    mappings: Option<std::path::PathBuf>,
    /// The sentence-embedding model folder the themes page's discovery clusters by (as
    /// `trove discover --model`); without it (and without TROVE_EMBEDDING_MODEL): TF-IDF.
    #[arg(long, value_name = "DIR", env = "TROVE_EMBEDDING_MODEL")]
    model: Option<std::path::PathBuf>,
}

impl ServeArgs {
    /// Plain HTTP on `listen`.
    pub fn plain(listen: &str) -> Self {
        Self {
            listen: listen.to_owned(),
            secure_cookies: false,
            mappings: None,
            model: None,
        }
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub fn run(url: &DbUrl, args: &ServeArgs) -> Result<ExitCode> {
    serve(url, args, None)
}

/// Serves until Ctrl-C or SIGTERM; `sign_in` (how to sign in, for the demo) is printed just
/// before the address.
pub fn serve(url: &DbUrl, args: &ServeArgs, sign_in: Option<&str>) -> Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    // With --analytics the pages' analyses read through the analytics backend (synced from the
    // database before a read that finds it behind), as the CLI's reads do.
    let app = crate::analytics::app(url)?;
    let through = app.analytics().map(|analytics| analytics.describe());
    let web = Web::new(
        app,
        Options {
            secure_cookies: args.secure_cookies,
            mappings: args.mappings.clone(),
            embedding_model: args.model.clone().filter(|m| !m.as_os_str().is_empty()),
            ..Options::default()
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let address = listener.local_addr().context("reading the bound address")?;
        let scheme = if args.secure_cookies { "https" } else { "http" };
        // The banner is best effort: a reader that stopped reading (`| head -1`) must not
        // stop the server.
        let mut out = std::io::stdout().lock();
        if let Some(path) = web.setup_path() {
            let _ = writeln!(
                out,
                "No one can sign in yet: create the first admin at {scheme}://{address}{path}\n\
                 (this link works once, until the server stops)"
            );
        }
        if let Some(sign_in) = sign_in {
            let _ = writeln!(out, "{sign_in}");
        }
        // Last, so that a script reading up to this line has everything.
        if let Some(through) = &through {
            let _ = writeln!(out, "The analyses read through {through}");
        }
        let _ = writeln!(
            out,
            "Trove serves {url} at http://{address}/ (Ctrl-C stops it)"
        );
        let _ = out.flush();
        drop(out);
        trove_web::serve(listener, &web, trove_web::shutdown_signal())
            .await
            .context("serving")
    })?;
    Ok(ExitCode::SUCCESS)
}
