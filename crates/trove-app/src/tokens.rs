//! API tokens: made, listed, revoked and rotated from the command line; checked by the web
//! server's API on every request.
//!
//! A token is `trove_` followed by 32 random bytes in hex (64 characters): the prefix lets
//! people and secret scanners recognise one. It is shown once, when made or rotated; the
//! store keeps only its BLAKE3 hash. A fast hash is enough here, unlike for passwords: a
//! token holds 256 random bits, so no guessing of the input is possible however fast each
//! guess is, and an unsalted deterministic hash lets the store find a token by its hash in
//! one indexed lookup. (argon2 protects low-entropy passwords from guessing; it would add
//! tens of milliseconds to every API call for no protection.)
//!
//! A token acts as its owner, a workflow user, and can do no more than both its scopes and
//! the owner's role allow: `read` reads, `write` makes workflow changes (under the rules,
//! as the owner), `ingest:SOURCE` posts feedback of that one source. A business unit limits
//! what it reads and posts to that unit.

use std::fmt;

use serde::Serialize;
use thiserror::Error;
use trove_store::{ApiToken, NewApiToken, StoreError};
use trove_workflow::model::{Role, User};

use crate::{App, AuthError, WorkflowError, random_token};

/// What every token starts with.
pub const TOKEN_PREFIX: &str = "trove_";

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;

/// A token's last use is written at most this often (seconds), not on every request.
const TOUCH_EVERY: i64 = 60;

/// What a token may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// Read everything its owner may read.
    Read,
    /// Make workflow changes as its owner, under the rules.
    Write,
    /// Post feedback of this one source.
    Ingest(String),
}

impl Scope {
    /// Reads `read`, `write` or `ingest:SOURCE`.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        match text.trim() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            other => match other.strip_prefix("ingest:") {
                Some(source)
                    if !source.is_empty()
                        && !source.chars().any(char::is_whitespace)
                        && source.len() <= trove_domain::Label::MAX_BYTES =>
                {
                    Ok(Self::Ingest(source.to_owned()))
                }
                Some(_) => Err(TokenError::Invalid(format!(
                    "scope {other:?} needs a source without spaces: ingest:SOURCE"
                ))),
                None => Err(TokenError::Invalid(format!(
                    "unknown scope {other:?}: expected read, write or ingest:SOURCE"
                ))),
            },
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read => f.write_str("read"),
            Self::Write => f.write_str("write"),
            Self::Ingest(source) => write!(f, "ingest:{source}"),
        }
    }
}

/// A token to make.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    /// A name its owner recognises.
    pub name: String,
    /// Its scopes, at least one.
    pub scopes: Vec<Scope>,
    /// The only business unit it may reach.
    pub business_unit: Option<String>,
    /// How long it works (seconds); `None`: until revoked.
    pub lifetime: Option<i64>,
}

/// A token as made or rotated: the secret, shown this once, and its record.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token itself (`trove_...`); only its hash is stored.
    pub secret: String,
    /// Its stored record.
    pub token: ApiToken,
}

/// The holder of a live token on a request: its owner and what it may do.
#[derive(Debug, Clone)]
pub struct TokenHolder {
    /// The token's id (for rate limits and logs: never the secret).
    pub id: i64,
    /// Its owner.
    pub user: User,
    /// Its scopes.
    pub scopes: Vec<Scope>,
    /// The only business unit it reaches, if limited.
    pub business_unit: Option<String>,
}

impl TokenHolder {
    /// Whether it may read.
    pub fn can_read(&self) -> bool {
        self.scopes.contains(&Scope::Read)
    }

    /// Whether it may make workflow changes.
    pub fn can_write(&self) -> bool {
        self.scopes.contains(&Scope::Write)
    }

    /// Whether it may post feedback of `source`.
    pub fn can_ingest(&self, source: &str) -> bool {
        self.scopes
            .iter()
            .any(|scope| matches!(scope, Scope::Ingest(s) if s == source))
    }

    /// The sources it may post feedback of.
    pub fn ingest_sources(&self) -> Vec<&str> {
        self.scopes
            .iter()
            .filter_map(|scope| match scope {
                Scope::Ingest(source) => Some(source.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Why a token use case failed.
#[derive(Debug, Error)]
pub enum TokenError {
    /// The request is wrong (a scope, a name, an expiry).
    #[error("{0}")]
    Invalid(String),
    /// The acting person may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// No live token has this id.
    #[error("there is no live token {0} (`trove token list` shows them)")]
    Unknown(i64),
    /// The random source failed (boxed, like the others: an error stays small).
    #[error(transparent)]
    Auth(Box<AuthError>),
    /// The workflow (people) could not be read.
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(Box<StoreError>),
}

impl From<AuthError> for TokenError {
    fn from(error: AuthError) -> Self {
        Self::Auth(Box::new(error))
    }
}

impl From<StoreError> for TokenError {
    fn from(error: StoreError) -> Self {
        Self::Store(Box::new(error))
    }
}

impl From<WorkflowError> for TokenError {
    fn from(error: WorkflowError) -> Self {
        Self::Workflow(Box::new(error))
    }
}

/// Reads a lifetime such as `90d`, `12h`, `2w` or `30m` into seconds.
pub fn parse_lifetime(text: &str) -> Result<i64, TokenError> {
    let bad = || {
        TokenError::Invalid(format!(
            "expiry {text:?} is not a duration: write a number and a unit, such as 90d, 12h, 2w or 30m"
        ))
    };
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let number: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let seconds = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    if number <= 0 {
        return Err(bad());
    }
    number.checked_mul(seconds).ok_or_else(bad)
}

/// The hash a token is stored under: BLAKE3, domain-separated from session hashes.
pub fn token_hash(secret: &str) -> String {
    blake3::Hasher::new_derive_key("trove 2026 api token")
        .update(secret.as_bytes())
        .finalize()
        .to_hex()
        .to_string()
}

/// Whether `text` has a token's form (prefix and 64 hex digits): anything else is refused
/// before the store is asked.
pub fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX).is_some_and(|hex| {
        hex.len() == TOKEN_BYTES * 2 && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

fn new_secret() -> Result<String, TokenError> {
    Ok(format!("{TOKEN_PREFIX}{}", random_token(TOKEN_BYTES)?))
}

/// Refuses scopes the owner's role could not use anyway: `write` needs a role that changes
/// things (not a viewer), `ingest` an admin or analyst (those who load data).
fn check_role(owner: &User, scopes: &[Scope]) -> Result<(), TokenError> {
    for scope in scopes {
        let allowed = match scope {
            Scope::Read => true,
            Scope::Write => owner.role != Role::Viewer,
            Scope::Ingest(_) => matches!(owner.role, Role::Admin | Role::Analyst),
        };
        if !allowed {
            return Err(TokenError::NotAllowed(format!(
                "{} is a {} and cannot hold a {scope} token",
                owner.email,
                owner.role.as_str()
            )));
        }
    }
    Ok(())
}

impl App {
    /// Makes a token for `actor` (its owner) at `now`.
    pub fn create_token(
        &self,
        actor: &str,
        spec: &TokenSpec,
        now: i64,
    ) -> Result<IssuedToken, TokenError> {
        let state = self.workflow()?;
        let owner = self.user(&state, actor)?;
        let name = spec.name.trim();
        if name.is_empty() {
            return Err(TokenError::Invalid("a token needs a name".into()));
        }
        if spec.scopes.is_empty() {
            return Err(TokenError::Invalid(
                "a token needs a scope: read, write or ingest:SOURCE".into(),
            ));
        }
        check_role(&owner, &spec.scopes)?;
        let business_unit = match spec.business_unit.as_deref().map(str::trim) {
            Some("") => return Err(TokenError::Invalid("the business unit is empty".into())),
            other => other.map(str::to_owned),
        };
        let mut scopes: Vec<String> = Vec::new();
        for scope in &spec.scopes {
            let text = scope.to_string();
            if !scopes.contains(&text) {
                scopes.push(text);
            }
        }
        let secret = new_secret()?;
        let record = NewApiToken {
            name: name.to_owned(),
            owner: owner.email.clone(),
            scopes,
            business_unit,
            secret_hash: token_hash(&secret),
            created_at: now,
            expires_at: spec.lifetime.map(|seconds| now + seconds),
        };
        let id = self.store().create_api_token(&record)?;
        let token = self.token_record(id)?;
        Ok(IssuedToken { secret, token })
    }

    /// The tokens `actor` may see: all for an admin, their own for others.
    pub fn tokens(&self, actor: &str) -> Result<Vec<ApiToken>, TokenError> {
        let state = self.workflow()?;
        let actor = self.user(&state, actor)?;
        let mut tokens = self.store().api_tokens()?;
        if actor.role != Role::Admin {
            tokens.retain(|t| t.owner == actor.email);
        }
        Ok(tokens)
    }

    /// Revokes token `id` (its owner or an admin): it never works again.
    pub fn revoke_token(&self, actor: &str, id: i64, now: i64) -> Result<ApiToken, TokenError> {
        self.check_token_actor(actor, id)?;
        if !self.store().revoke_api_token(id, now)? {
            return Err(TokenError::Unknown(id));
        }
        self.token_record(id)
    }

    /// Gives token `id` a new secret (its owner or an admin): the old one stops working at
    /// once; name, scopes and expiry stay.
    pub fn rotate_token(&self, actor: &str, id: i64, now: i64) -> Result<IssuedToken, TokenError> {
        self.check_token_actor(actor, id)?;
        let secret = new_secret()?;
        if !self
            .store()
            .rotate_api_token(id, &token_hash(&secret), now)?
        {
            return Err(TokenError::Unknown(id));
        }
        let token = self.token_record(id)?;
        Ok(IssuedToken { secret, token })
    }

    /// The holder of `secret` at `now`, if it is a live token: not revoked, not expired,
    /// and its owner still a user (with a role that still allows its scopes). Its last use
    /// is recorded (at most once a minute).
    pub fn token_holder(&self, secret: &str, now: i64) -> Result<Option<TokenHolder>, TokenError> {
        if !looks_like_token(secret) {
            return Ok(None);
        }
        let Some(token) = self.store().api_token_by_hash(&token_hash(secret))? else {
            return Ok(None);
        };
        if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| now >= at) {
            return Ok(None);
        }
        let Some(user) = self.workflow()?.users.get(&token.owner).cloned() else {
            return Ok(None);
        };
        let scopes = token
            .scopes
            .iter()
            .map(|s| Scope::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        if check_role(&user, &scopes).is_err() {
            return Ok(None);
        }
        if token.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
            self.store().touch_api_token(token.id, now)?;
        }
        Ok(Some(TokenHolder {
            id: token.id,
            user,
            scopes,
            business_unit: token.business_unit,
        }))
    }

    fn token_record(&self, id: i64) -> Result<ApiToken, TokenError> {
        self.store()
            .api_tokens()?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(TokenError::Unknown(id))
    }

    /// Only a token's owner or an admin may revoke or rotate it.
    fn check_token_actor(&self, actor: &str, id: i64) -> Result<(), TokenError> {
        let state = self.workflow()?;
        let actor = self.user(&state, actor)?;
        let token = self.token_record(id)?;
        if actor.role != Role::Admin && token.owner != actor.email {
            return Err(TokenError::NotAllowed(format!(
                "token {id} belongs to {}: only they or an admin may change it",
                token.owner
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use trove_workflow::Change;

    use super::*;
    use crate::Clock;

    fn app() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let store = trove_store_sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let app = App::new(std::sync::Arc::new(store));
        app.create_first_admin("ann@example.com", "Ann", "admin passphrase")
            .unwrap();
        app.act(Some("ann@example.com"), Clock::Real, |_| {
            Ok(vec![Change::UserAdded {
                email: "vic@example.com".into(),
                name: "Vic".into(),
                role: Role::Viewer,
                departments: Vec::new(),
            }])
        })
        .unwrap();
        (dir, app)
    }

    fn spec(scopes: &[&str]) -> TokenSpec {
        TokenSpec {
            name: "sync".into(),
            scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
            business_unit: None,
            lifetime: Some(parse_lifetime("1h").unwrap()),
        }
    }

    #[test]
    fn scopes_and_lifetimes_parse_and_bad_ones_are_named() {
        assert_eq!(
            Scope::parse("ingest:web").unwrap(),
            Scope::Ingest("web".into())
        );
        assert_eq!(
            Scope::parse("ingest:web").unwrap().to_string(),
            "ingest:web"
        );
        assert!(Scope::parse("ingest:").is_err());
        assert!(Scope::parse("ingest:a b").is_err());
        assert!(
            Scope::parse("admin")
                .unwrap_err()
                .to_string()
                .contains("admin")
        );
        assert_eq!(parse_lifetime("90d").unwrap(), 90 * 86_400);
        assert_eq!(parse_lifetime("2w").unwrap(), 14 * 86_400);
        assert!(parse_lifetime("90").is_err());
        assert!(parse_lifetime("0d").is_err());
        assert!(parse_lifetime("d").is_err());
    }

    #[test]
    fn a_token_is_shown_once_stored_hashed_and_works_until_it_expires() {
        let (_dir, app) = app();
        let issued = app
            .create_token("ann@example.com", &spec(&["read", "ingest:web"]), 1_000)
            .unwrap();
        assert!(looks_like_token(&issued.secret), "{}", issued.secret);
        assert_eq!(issued.token.secret_hash, token_hash(&issued.secret));
        assert_ne!(issued.token.secret_hash, issued.secret);
        let holder = app.token_holder(&issued.secret, 1_001).unwrap().unwrap();
        assert!(holder.can_read() && holder.can_ingest("web"));
        assert!(!holder.can_write() && !holder.can_ingest("other"));
        assert_eq!(holder.user.email, "ann@example.com");
        assert!(
            app.token_holder(&issued.secret, 1_000 + 3_600)
                .unwrap()
                .is_none()
        );
        let mut forged = issued.secret.clone();
        forged.replace_range(10..11, if &forged[10..11] == "0" { "1" } else { "0" });
        assert!(app.token_holder(&forged, 1_001).unwrap().is_none());
        assert!(app.token_holder("trove_short", 1_001).unwrap().is_none());
    }

    #[test]
    fn revoked_and_rotated_secrets_stop_working() {
        let (_dir, app) = app();
        let issued = app
            .create_token("ann@example.com", &spec(&["read"]), 1_000)
            .unwrap();
        let rotated = app
            .rotate_token("ann@example.com", issued.token.id, 1_010)
            .unwrap();
        assert_ne!(rotated.secret, issued.secret);
        assert!(app.token_holder(&issued.secret, 1_011).unwrap().is_none());
        assert!(app.token_holder(&rotated.secret, 1_011).unwrap().is_some());
        app.revoke_token("ann@example.com", issued.token.id, 1_020)
            .unwrap();
        assert!(app.token_holder(&rotated.secret, 1_021).unwrap().is_none());
        assert!(matches!(
            app.rotate_token("ann@example.com", issued.token.id, 1_030),
            Err(TokenError::Unknown(_))
        ));
    }

    #[test]
    fn a_viewer_reads_but_neither_writes_nor_ingests_nor_touches_others_tokens() {
        let (_dir, app) = app();
        assert!(
            app.create_token("vic@example.com", &spec(&["read"]), 1_000)
                .is_ok()
        );
        for scope in ["write", "ingest:web"] {
            assert!(matches!(
                app.create_token("vic@example.com", &spec(&[scope]), 1_000),
                Err(TokenError::NotAllowed(_))
            ));
        }
        let ann = app
            .create_token("ann@example.com", &spec(&["write"]), 1_000)
            .unwrap();
        assert!(matches!(
            app.revoke_token("vic@example.com", ann.token.id, 1_001),
            Err(TokenError::NotAllowed(_))
        ));
        assert_eq!(app.tokens("vic@example.com").unwrap().len(), 1);
        assert_eq!(app.tokens("ann@example.com").unwrap().len(), 2);
    }
}
