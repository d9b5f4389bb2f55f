//! Passwords and sign-in sessions, shared by `trove user password` and the web server.
//!
//! People are the workflow's users; their passwords and sessions live in the store's own
//! tables, never in the workflow's append-only log. Passwords are hashed with argon2id (its
//! default, RFC 9106 parameters); a session's secret id is 32 random bytes, and the store
//! keeps only its BLAKE3 hash.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use thiserror::Error;
use trove_store::{Credential, SessionRecord, StoreError};
use trove_workflow::model::{Role, User};
use trove_workflow::{Change, Workflow};

use crate::{App, Clock, WorkflowError};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long (seconds) ends.
    pub idle: i64,
    /// A session ends this long (seconds) after sign-in, however it is used.
    pub absolute: i64,
}

impl Default for SessionPolicy {
    /// Idle for 8 hours (a working day), at most 7 days.
    fn default() -> Self {
        Self {
            idle: 8 * 3600,
            absolute: 7 * 24 * 3600,
        }
    }
}

/// A session as its holder knows it: the secret id (the cookie's value) and who it is for.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The secret session id; only its hash is stored.
    pub token: String,
    /// The person.
    pub user: User,
}

/// Why a password or session use case failed.
#[derive(Debug, Error)]
pub enum AuthError {
    /// The password is shorter than [`MIN_PASSWORD_CHARS`].
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// Only the person themselves or an admin may set a password.
    #[error("only {0} themselves or an admin may set their password")]
    NotAllowed(String),
    /// The first admin exists already.
    #[error("the first admin exists already: sign in, or ask an admin")]
    NotFirst,
    /// Hashing failed, or the random source did.
    #[error("{0}")]
    Crypto(String),
    /// The workflow (people) could not be read or changed (boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WorkflowError> for AuthError {
    fn from(error: WorkflowError) -> Self {
        Self::Workflow(Box::new(error))
    }
}

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn random_token(bytes: usize) -> Result<String, AuthError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| AuthError::Crypto(format!("no randomness: {e}")))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// The hash a session is stored under.
pub fn session_hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// The form token of a session: derived from its secret id (so it needs no storage), and not
/// its stored hash (so a copy of the database does not yield form tokens).
pub fn form_token(token: &str) -> String {
    blake3::Hasher::new_derive_key("trove 2026 session form token")
        .update(token.as_bytes())
        .finalize()
        .to_hex()
        .to_string()
}

/// An argon2id PHC string of `password`, with a fresh random salt. Slow on purpose (tens of
/// milliseconds): call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::TooShort);
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AuthError::Crypto(format!("hashing the password: {e}")))
}

/// Whether `password` matches the PHC string; an unreadable string matches nothing.
pub fn password_matches(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash of no one's password, verified when the e-mail is unknown so that an unknown
/// e-mail costs as much time as a wrong password.
const DECOY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$dHJvdmVkZWNveXNhbHQ$3p0TnTvy7y5a0kb0z2Af5l4bqZ2o4m1N7tq9mB5l8yE";

impl App {
    /// Sets `email`'s password, acting as `actor`: the person themselves or an admin. Ends
    /// all of that person's sessions.
    pub fn set_password(&self, actor: &str, email: &str, password: &str) -> Result<(), AuthError> {
        let state = self.workflow()?;
        let actor = self.user(&state, actor)?;
        let person = self.user(&state, email)?;
        if actor.email != person.email && actor.role != Role::Admin {
            return Err(AuthError::NotAllowed(person.email));
        }
        self.store_password(&person.email, password)
    }

    fn store_password(&self, email: &str, password: &str) -> Result<(), AuthError> {
        let phc = hash_password(password)?;
        self.store().set_credential(&Credential {
            email: email.to_owned(),
            phc,
            set_at: jiff::Timestamp::now().as_second(),
        })?;
        Ok(())
    }

    /// Whether the workflow has no people yet (a fresh database needs its first admin).
    pub fn has_no_people(&self) -> Result<bool, AuthError> {
        Ok(self.workflow()?.users.is_empty())
    }

    /// Adds the first admin of a database without people, with their password. Refused once
    /// anyone exists.
    pub fn create_first_admin(
        &self,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<User, AuthError> {
        // Hash first: a refused password must not leave an admin without one behind.
        let phc = hash_password(password)?;
        let email = email.trim().to_lowercase();
        let state = self.act(None, Clock::Real, |state: &Workflow| {
            if !state.users.is_empty() {
                return Err(WorkflowError::Invalid(AuthError::NotFirst.to_string()));
            }
            Ok(vec![Change::UserAdded {
                email: email.clone(),
                name: name.trim().to_owned(),
                role: Role::Admin,
                departments: Vec::new(),
            }])
        })?;
        self.store().set_credential(&Credential {
            email: email.clone(),
            phc,
            set_at: jiff::Timestamp::now().as_second(),
        })?;
        Ok(self.user(&state, &email)?)
    }

    /// Checks an e-mail and password; the person when both are right. An unknown e-mail, a
    /// person without a password and a wrong password all answer `None` after the same work.
    pub fn check_password(&self, email: &str, password: &str) -> Result<Option<User>, AuthError> {
        let email = email.trim().to_lowercase();
        let state = self.workflow()?;
        let user = state.users.get(&email).cloned();
        let phc = match (&user, self.store().credential(&email)?) {
            (Some(_), Some(credential)) => credential.phc,
            _ => DECOY_PHC.to_owned(),
        };
        let matches = password_matches(&phc, password);
        Ok(user.filter(|_| matches && phc != DECOY_PHC))
    }

    /// Starts a session for `user` at `now`.
    pub fn start_session(
        &self,
        user: User,
        now: i64,
        policy: SessionPolicy,
    ) -> Result<SignedIn, AuthError> {
        let token = random_token(32)?;
        self.store().create_session(&SessionRecord {
            id_hash: session_hash(&token),
            email: user.email.clone(),
            created_at: now,
            expires_at: now + policy.absolute,
            last_seen_at: now,
        })?;
        Ok(SignedIn { token, user })
    }

    /// The person a session's secret id belongs to at `now`, if it is live: an expired or idle
    /// session is deleted, and so is one whose person left the workflow.
    pub fn session_user(
        &self,
        token: &str,
        now: i64,
        policy: SessionPolicy,
    ) -> Result<Option<User>, AuthError> {
        let id_hash = session_hash(token);
        let Some(session) = self.store().session(&id_hash)? else {
            return Ok(None);
        };
        if now >= session.expires_at || now - session.last_seen_at >= policy.idle {
            self.store().delete_session(&id_hash)?;
            return Ok(None);
        }
        let Some(user) = self.workflow()?.users.get(&session.email).cloned() else {
            self.store().delete_session(&id_hash)?;
            return Ok(None);
        };
        // A write per minute at most, not per request.
        if now - session.last_seen_at >= 60 {
            self.store().touch_session(&id_hash, now)?;
        }
        Ok(Some(user))
    }

    /// Ends a session (sign-out).
    pub fn end_session(&self, token: &str) -> Result<(), AuthError> {
        Ok(self.store().delete_session(&session_hash(token))?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(password_matches(&phc, "correct horse battery"));
        assert!(!password_matches(&phc, "correct horse batterz"));
        assert!(!password_matches(
            "not a phc string",
            "correct horse battery"
        ));
    }

    #[test]
    fn a_short_password_is_refused() {
        assert!(matches!(
            hash_password("eleven char"),
            Err(AuthError::TooShort)
        ));
        assert!(hash_password("twelve chars").is_ok());
    }

    #[test]
    fn the_decoy_hash_is_readable_so_it_costs_a_real_verification() {
        assert!(PasswordHash::new(DECOY_PHC).is_ok());
    }

    fn app_with_people() -> (tempfile::TempDir, App) {
        let dir = tempfile::tempdir().unwrap();
        let store = trove_store_sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let app = App::new(std::sync::Arc::new(store));
        assert!(app.has_no_people().unwrap());
        app.create_first_admin(" Ann@Example.com ", "Ann", "admin passphrase")
            .unwrap();
        assert!(matches!(
            app.create_first_admin("eve@example.com", "Eve", "another passphrase"),
            Err(AuthError::Workflow(_))
        ));
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

    #[test]
    fn only_the_person_or_an_admin_sets_a_password() {
        let (_dir, app) = app_with_people();
        assert!(
            app.check_password("vic@example.com", "viewer passphrase")
                .unwrap()
                .is_none()
        );
        app.set_password("ann@example.com", "vic@example.com", "viewer passphrase")
            .unwrap();
        let vic = app
            .check_password("VIC@example.com", "viewer passphrase")
            .unwrap();
        assert_eq!(vic.map(|u| u.role), Some(Role::Viewer));
        app.set_password("vic@example.com", "vic@example.com", "viewer passphrase 2")
            .unwrap();
        assert!(matches!(
            app.set_password("vic@example.com", "ann@example.com", "taken over at last"),
            Err(AuthError::NotAllowed(_))
        ));
        assert!(
            app.check_password("ann@example.com", "admin passphrase")
                .unwrap()
                .is_some()
        );
        assert!(
            app.check_password("ann@example.com", "taken over at last")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_session_ends_when_idle_too_long_or_past_its_absolute_expiry() {
        let (_dir, app) = app_with_people();
        let policy = SessionPolicy {
            idle: 100,
            absolute: 250,
        };
        let ann = app
            .check_password("ann@example.com", "admin passphrase")
            .unwrap()
            .unwrap();
        let idle = app.start_session(ann.clone(), 1_000, policy).unwrap();
        assert!(
            app.session_user(&idle.token, 1_099, policy)
                .unwrap()
                .is_some()
        );
        // Used at 1,099 (more than a minute after the start), so idle counts from there.
        assert!(
            app.session_user(&idle.token, 1_198, policy)
                .unwrap()
                .is_some()
        );
        assert!(
            app.session_user(&idle.token, 1_199 + 100, policy)
                .unwrap()
                .is_none()
        );
        assert!(
            app.session_user(&idle.token, 1_200, policy)
                .unwrap()
                .is_none(),
            "an ended session stays ended"
        );
        let busy = app.start_session(ann, 2_000, policy).unwrap();
        for now in (2_000..2_250).step_by(61) {
            assert!(
                app.session_user(&busy.token, now, policy)
                    .unwrap()
                    .is_some()
            );
        }
        assert!(
            app.session_user(&busy.token, 2_250, policy)
                .unwrap()
                .is_none()
        );
        assert!(
            app.session_user("not a token", 2_000, policy)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn signing_out_ends_the_session() {
        let (_dir, app) = app_with_people();
        let policy = SessionPolicy::default();
        let ann = app
            .check_password("ann@example.com", "admin passphrase")
            .unwrap()
            .unwrap();
        let session = app.start_session(ann, 1_000, policy).unwrap();
        app.end_session(&session.token).unwrap();
        assert!(
            app.session_user(&session.token, 1_001, policy)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn tokens_are_random_and_form_tokens_differ_from_stored_hashes() {
        let a = random_token(32).unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token(32).unwrap());
        assert_ne!(form_token(&a), session_hash(&a));
    }
}
