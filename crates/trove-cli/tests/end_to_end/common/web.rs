//! A real `trove serve` for end-to-end tests, and a plain HTTP/1.1 client over a TCP socket
//! (no redirects followed, every header visible).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure is the test's failure"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{ROOT, TROVE};

/// A running `trove serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub address: String,
    pub setup_path: Option<String>,
    /// What it printed up to the address line.
    pub printed: Vec<String>,
}

impl Server {
    /// Starts `trove serve` on `db`, its log written to `log`.
    pub fn start(db: &Path, log: &Path) -> Self {
        Self::start_with(&["serve", "--listen", "127.0.0.1:0"], db, log)
    }

    /// Starts `trove ARGS --db DB` (a command that serves, like `demo --serve`), its log
    /// written to `log`.
    pub fn start_with(args: &[&str], db: &Path, log: &Path) -> Self {
        Self::start_without(args, &[], db, log)
    }

    /// [`Server::start_with`] with the environment variables `unset` removed.
    pub fn start_without(args: &[&str], unset: &[&str], db: &Path, log: &Path) -> Self {
        let mut command = Command::new(TROVE);
        for name in unset {
            command.env_remove(name);
        }
        let child = command
            .args(args)
            .arg("--db")
            .arg(db)
            .current_dir(ROOT)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start trove serve");
        // Owned by the server from here, so it is killed and waited for on any panic.
        let mut server = Self {
            child,
            address: String::new(),
            setup_path: None,
            printed: Vec::new(),
        };
        let stdout = server.child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            server.printed.push(line.clone());
            if let Some(at) = line.find("/setup/") {
                server.setup_path = Some(line[at..].trim().to_owned());
            }
            if let Some(rest) = line
                .strip_prefix("Trove serves ")
                .and_then(|l| l.split_once(" at http://"))
            {
                server.address = rest.1.split('/').next().unwrap().to_owned();
                assert!(
                    !server.address.ends_with(":0"),
                    "the real port is printed: {line}"
                );
                return server;
            }
        }
        panic!("trove serve ended without printing its address");
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// One request; `headers` beyond Host and Connection; a form body if given.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        form: Option<&str>,
    ) -> Reply {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.address
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        if let Err(e) = stream.read_to_end(&mut raw) {
            panic!(
                "reading the reply to {method} {path}: {e} after {} bytes: {}",
                raw.len(),
                String::from_utf8_lossy(&raw)
            );
        }
        Reply::parse(&raw)
    }

    pub fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let cookie = cookie.map(|c| format!("trove_session={c}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        self.send("GET", path, &headers, None)
    }

    /// A form post from our own pages (Origin set), with the session cookie if given.
    pub fn post(&self, path: &str, cookie: Option<&str>, form: &str) -> Reply {
        let origin = self.origin();
        let cookie = cookie.map(|c| format!("trove_session={c}"));
        let mut headers = vec![("Origin", origin.as_str())];
        headers.extend(cookie.iter().map(|c| ("Cookie", c.as_str())));
        self.send("POST", path, &headers, Some(form))
    }

    pub fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/signin",
            None,
            &format!("email={}&password={}", encode(email), encode(password)),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers (names lowercase), body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
        let mut lines = head.lines();
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
        let body = if chunked {
            dechunk(body)
        } else {
            body.to_owned()
        };
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The session id a `Set-Cookie` stores.
    pub fn session(&self) -> String {
        let cookie = self.header("set-cookie").expect("a Set-Cookie header");
        let value = cookie
            .strip_prefix("trove_session=")
            .expect("the session cookie");
        value.split(';').next().unwrap().to_owned()
    }

    /// The value of the page's hidden form token.
    pub fn form_token(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form token")
            + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

pub fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    out
}

pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text as the templates escape it.
pub fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

/// `trove user password EMAIL --password-stdin --as ADMIN` on `db`, the password written to
/// its standard input; its output (the caller asserts what it expects).
pub fn set_password(db: &Path, admin: &str, email: &str, password: &str) -> std::process::Output {
    let mut child = Command::new(TROVE)
        .args(["user", "password", email, "--password-stdin", "--as", admin])
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}
