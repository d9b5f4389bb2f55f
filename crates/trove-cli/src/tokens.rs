//! `trove token`: API tokens for `/api/v1/` (create, list, revoke, rotate). A token is
//! printed once, alone on standard output (so `TOKEN=$(trove token create ...)` works); the
//! store keeps only its hash.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use comfy_table::Table;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use trove_app::{App, IssuedToken, Scope, TokenSpec, parse_lifetime};
use trove_store::ApiToken;

use crate::Format;
use crate::db::DbUrl;

/// `trove token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token that acts as you (--as) within its scopes; it is printed once.
    Create {
        /// A name you will recognise it by (`zendesk sync`).
        #[arg(long)]
        name: String,
        /// What it may do: read, write, or ingest:SOURCE (post feedback of that source);
        /// repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Limit it to one business unit: it reads and posts only that unit's feedback.
        #[arg(long)]
        business_unit: Option<String>,
        /// How long it works: 90d, 12h, 2w, 30m (default: until revoked).
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (an admin sees all, others their own): never their secrets.
    List {
        /// How to print.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Revoke a token: it stops working at once, for good.
    Revoke {
        /// The token's id (`trove token list`).
        id: i64,
    },
    /// Give a token a new secret (printed once); the old one stops working at once.
    Rotate {
        /// The token's id.
        id: i64,
    },
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs a token command as `actor`.
pub fn run(url: &DbUrl, actor: Option<&str>, command: TokenCommand) -> Result<ExitCode> {
    let actor = actor.context(
        "say who you are: --as EMAIL (or set TROVE_USER); a token acts as the person who makes it",
    )?;
    let app = App::new(url.open()?);
    match command {
        TokenCommand::Create {
            name,
            scopes,
            business_unit,
            expires,
        } => {
            let spec = TokenSpec {
                name,
                scopes: scopes
                    .iter()
                    .map(|s| Scope::parse(s))
                    .collect::<Result<_, _>>()?,
                business_unit,
                lifetime: expires.as_deref().map(parse_lifetime).transpose()?,
            };
            let issued = app.create_token(actor, &spec, now())?;
            show_issued(&issued, "made");
        }
        TokenCommand::List { format } => {
            let tokens = app.tokens(actor)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&tokens)?),
                Format::Human => print_table(&tokens),
            }
        }
        TokenCommand::Revoke { id } => {
            let token = app.revoke_token(actor, id, now())?;
            println!(
                "revoked token {} ({:?}): it no longer works",
                token.id, token.name
            );
        }
        TokenCommand::Rotate { id } => {
            let issued = app.rotate_token(actor, id, now())?;
            show_issued(&issued, "rotated (the old secret no longer works)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The explanation on standard error, the secret alone on standard output.
fn show_issued(issued: &IssuedToken, what: &str) {
    let token = &issued.token;
    eprintln!(
        "token {} ({:?}) {what}: acts as {} with {}{}, {}.\n\
         Copy it now: it is shown only this once (Trove keeps only its hash).",
        token.id,
        token.name,
        token.owner,
        token.scopes.join(", "),
        token
            .business_unit
            .as_deref()
            .map(|unit| format!(" in business unit {unit}"))
            .unwrap_or_default(),
        token.expires_at.map_or_else(
            || "until revoked".to_owned(),
            |at| format!("until {}", time(at))
        )
    );
    println!("{}", issued.secret);
}

fn time(at: i64) -> String {
    jiff::Timestamp::from_second(at).map_or_else(
        |_| at.to_string(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn print_table(tokens: &[ApiToken]) {
    if tokens.is_empty() {
        println!("no tokens yet: `trove token create --name N --scope read --as EMAIL` makes one");
        return;
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "id",
        "name",
        "owner",
        "scopes",
        "business unit",
        "created",
        "last used",
        "expires",
        "revoked",
    ]);
    let or = |at: Option<i64>, none: &str| at.map_or_else(|| none.to_owned(), time);
    for t in tokens {
        table.add_row([
            t.id.to_string(),
            t.name.clone(),
            t.owner.clone(),
            t.scopes.join(" "),
            t.business_unit.clone().unwrap_or_else(|| "all".into()),
            time(t.created_at),
            or(t.last_used_at, "never"),
            or(t.expires_at, "never"),
            or(t.revoked_at, "no"),
        ]);
    }
    println!("{table}");
}
