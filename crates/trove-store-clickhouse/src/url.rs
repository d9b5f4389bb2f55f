//! The `--analytics` URL: `clickhouse://[user[:password]@]host[:port]/database[?cluster=NAME]`.

use std::fmt;

/// Where the ClickHouse analytics backend is, read from its URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ClickHouseUrl {
    /// Host name or IPv4 address.
    pub host: String,
    /// The HTTP port (8123 when not given).
    pub port: u16,
    /// The database holding Trove's tables.
    pub database: String,
    /// The user, when not `default`.
    pub user: Option<String>,
    /// The user's password.
    pub password: Option<String>,
    /// The cluster (a `remote_servers` entry of the server's configuration) whose shards hold
    /// the facts; `None`: the facts live on this server alone.
    pub cluster: Option<String>,
}

impl ClickHouseUrl {
    /// Reads a `clickhouse://` URL; the error says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("--analytics {:?}: {why}", redact(raw));
        let rest = raw
            .strip_prefix("clickhouse://")
            .ok_or_else(|| bad("expected clickhouse://HOST:PORT/DATABASE"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, database) = rest
            .split_once('/')
            .ok_or_else(|| bad("names no database (clickhouse://HOST:PORT/DATABASE)"))?;
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((host, port)) => (
                host,
                port.parse::<u16>()
                    .map_err(|_| bad(&format!("port {port:?} is not a number")))?,
            ),
            None => (hostport, 8123),
        };
        if host.is_empty() {
            return Err(bad("names no host"));
        }
        let database = database.trim_end_matches('/');
        if !is_identifier(database) {
            return Err(bad(
                "the database must be a name of letters, digits and underscores",
            ));
        }
        let (user, password) = match userinfo {
            Some(info) => match info.split_once(':') {
                Some((user, password)) => (Some(user.to_owned()), Some(password.to_owned())),
                None => (Some(info.to_owned()), None),
            },
            None => (None, None),
        };
        let mut cluster = None;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("cluster", name)) if is_identifier(name) => cluster = Some(name.to_owned()),
                _ => {
                    return Err(bad(&format!(
                        "unknown option {pair:?} (the only one is cluster=NAME, a name of letters, digits and underscores)"
                    )));
                }
            }
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            database: database.to_owned(),
            user,
            password,
            cluster,
        })
    }

    /// The server's HTTP address.
    pub fn http(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }
}

/// A name safe to write into SQL as it is.
fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The URL without its password, for messages.
fn redact(raw: &str) -> String {
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &raw[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &raw[..scheme + 3], &raw[at..])
        }
        _ => raw.to_owned(),
    }
}

impl fmt::Display for ClickHouseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "clickhouse://")?;
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        write!(f, "{}:{}/{}", self.host, self.port, self.database)?;
        if let Some(cluster) = &self.cluster {
            write!(f, "?cluster={cluster}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ClickHouseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_url_names_host_port_database_and_cluster() {
        let url = ClickHouseUrl::parse("clickhouse://127.0.0.1:18123/trove?cluster=pair").unwrap();
        assert_eq!(url.http(), "http://127.0.0.1:18123");
        assert_eq!(url.database, "trove");
        assert_eq!(url.cluster.as_deref(), Some("pair"));
        let url = ClickHouseUrl::parse("clickhouse://ana:secret@ch.internal/facts").unwrap();
        assert_eq!(url.port, 8123);
        assert_eq!(url.user.as_deref(), Some("ana"));
        assert_eq!(url.password.as_deref(), Some("secret"));
        assert_eq!(url.to_string(), "clickhouse://ana@ch.internal:8123/facts");
    }

    #[test]
    fn a_bad_url_is_refused_without_showing_its_password() {
        for (raw, why) in [
            ("http://h/db", "expected clickhouse://"),
            ("clickhouse://h", "names no database"),
            ("clickhouse://h:80x/db", "not a number"),
            ("clickhouse://h/db;drop", "letters, digits"),
            ("clickhouse://h/db?shards=2", "unknown option"),
            ("clickhouse://u:pw@h/db?x=1", "unknown option"),
        ] {
            let error = ClickHouseUrl::parse(raw).unwrap_err();
            assert!(error.contains(why), "{raw}: {error}");
            assert!(!error.contains("pw@"), "{error}");
        }
    }
}
