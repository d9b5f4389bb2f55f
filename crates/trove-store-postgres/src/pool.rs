//! A small, blocking pool of connections: enough for the trait's synchronous calls from a
//! handful of threads, without pulling in a pool crate.
//!
//! A connection is checked out for one store call (or one page of a scan) and checked back in
//! when its guard drops; a connection the server closed is dropped instead, and the next
//! checkout opens a fresh one.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};

use postgres::{Client, Config, NoTls};
use trove_store::{StoreError, StoreResult};

use crate::decode::describe;
use crate::redact::scrub;

/// Connections to one database, at most `max` open at once.
pub(crate) struct Pool {
    config: Config,
    /// `SET search_path ...` for every new connection, when the store lives in its own schema.
    setup: Option<String>,
    /// The URL without its password, for errors.
    url: String,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Client>,
    /// Connections in existence: idle, checked out, or being opened.
    open: usize,
}

impl Pool {
    pub(crate) fn new(config: Config, setup: Option<String>, url: String, max: usize) -> Self {
        Self {
            config,
            setup,
            url,
            max: max.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// The URL without its password.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain fields updated together; a panic elsewhere cannot leave it
        // half-changed, so a poisoned lock is still consistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle connection, a new one while fewer than `max` are open, or else the next one
    /// checked back in.
    pub(crate) fn get(&self) -> StoreResult<Conn<'_>> {
        let mut state = self.lock();
        loop {
            match self.take_or_open(state) {
                Ok(conn) => return conn,
                Err(held) => {
                    state = self
                        .freed
                        .wait(held)
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                }
            }
        }
    }

    /// An idle connection, or a new one while fewer than `max` are open; `None` rather than
    /// waiting, for a caller that already holds one (two callers each waiting for a second
    /// connection could wait for ever).
    pub(crate) fn try_get(&self) -> Option<Conn<'_>> {
        self.take_or_open(self.lock()).ok().and_then(Result::ok)
    }

    /// An idle connection, or a new one while fewer than `max` are open (the lock released
    /// while connecting); the lock back, still held, when all `max` are in use.
    fn take_or_open<'p>(
        &'p self,
        mut state: MutexGuard<'p, State>,
    ) -> Result<StoreResult<Conn<'p>>, MutexGuard<'p, State>> {
        let conn = |client| Conn {
            pool: self,
            client: Some(client),
        };
        if let Some(client) = state.idle.pop() {
            return Ok(Ok(conn(client)));
        }
        if state.open >= self.max {
            return Err(state);
        }
        state.open += 1;
        drop(state);
        Ok(self.connect().map(conn).inspect_err(|_| {
            self.lock().open -= 1;
            self.freed.notify_one();
        }))
    }

    /// A connection of its own, outside the pool (closed when dropped), for a session that
    /// must last, such as one holding an import's lock.
    pub(crate) fn dedicated(&self) -> StoreResult<Client> {
        self.connect()
    }

    fn connect(&self) -> StoreResult<Client> {
        let open_error = |reason: String| StoreError::Open {
            url: self.url.clone(),
            reason: scrub(&reason, self.config.get_password()),
        };
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| open_error(describe(&e)))?;
        if let Some(setup) = &self.setup {
            client
                .batch_execute(setup)
                .map_err(|e| open_error(describe(&e)))?;
        }
        Ok(client)
    }

    fn put_back(&self, client: Client) {
        let mut state = self.lock();
        if client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(client);
        }
        drop(state);
        self.freed.notify_one();
    }
}

/// A checked-out connection; goes back to the pool on drop.
pub(crate) struct Conn<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // Only `drop` takes the client out.
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("a checked-out connection always holds a client"))
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("a checked-out connection always holds a client"))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.pool.put_back(client);
        }
    }
}
