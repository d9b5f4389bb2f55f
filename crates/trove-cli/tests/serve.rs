//! End-to-end: `trove serve` on a demo database, spoken to over real HTTP on loopback (a
//! plain HTTP/1.1 client over a TCP socket: no redirects followed, every header visible).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ROOT, TROVE, ok};

/// A running `trove serve`, killed when dropped.
struct Server {
    child: Child,
    address: String,
    setup_path: Option<String>,
}

impl Server {
    /// Starts `trove serve` on `db`, its log written to `log`.
    fn start(db: &Path, log: &Path) -> Self {
        let child = Command::new(TROVE)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
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
        };
        let stdout = server.child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
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

    fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// One request; `headers` beyond Host and Connection; a form body if given.
    fn send(
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

    fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        let cookie = cookie.map(|c| format!("trove_session={c}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        self.send("GET", path, &headers, None)
    }

    /// A form post from our own pages (Origin set), with the session cookie if given.
    fn post(&self, path: &str, cookie: Option<&str>, form: &str) -> Reply {
        let origin = self.origin();
        let cookie = cookie.map(|c| format!("trove_session={c}"));
        let mut headers = vec![("Origin", origin.as_str())];
        headers.extend(cookie.iter().map(|c| ("Cookie", c.as_str())));
        self.send("POST", path, &headers, Some(form))
    }

    fn sign_in(&self, email: &str, password: &str) -> Reply {
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
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn parse(raw: &[u8]) -> Self {
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

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The session id a `Set-Cookie` stores.
    fn session(&self) -> String {
        let cookie = self.header("set-cookie").expect("a Set-Cookie header");
        let value = cookie
            .strip_prefix("trove_session=")
            .expect("the session cookie");
        value.split(';').next().unwrap().to_owned()
    }

    /// The value of the page's hidden form token.
    fn form_token(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form token")
            + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

fn dechunk(body: &str) -> String {
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

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Text as the templates escape it.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

const ADMIN: &str = "ann@example.com";
const ADMIN_PASSWORD: &str = "a long admin passphrase";

#[test]
fn the_room_on_the_demo_is_behind_sign_in_and_refuses_forged_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo"]);
    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);

    // Nothing without a session: pages go to sign-in, and the security headers are set.
    let anonymous = server.get("/", None);
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/signin"));
    let csp = anonymous.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(anonymous.header("x-content-type-options"), Some("nosniff"));
    assert!(anonymous.header("referrer-policy").is_some());
    assert_eq!(
        server.get("/issues?x=1", None).header("location"),
        Some("/signin?next=/issues%3Fx%3D1")
    );
    let style = server.get("/static/trove.css", None);
    assert_eq!(style.status, 200);
    assert!(style.header("cache-control").unwrap().contains("max-age"));

    // The first admin comes from the one-time setup link.
    let setup = server
        .setup_path
        .clone()
        .expect("a fresh database prints a setup link");
    assert_eq!(server.get(&setup, None).status, 200);
    let form = format!(
        "name=Ann+Admin&email={}&password={}&confirm={}",
        encode(ADMIN),
        encode(ADMIN_PASSWORD),
        encode(ADMIN_PASSWORD)
    );
    let created = server.post(&setup, None, &form);
    assert_eq!(created.status, 303, "{}", created.body);
    let first_session = created.session();
    let again = server.post(&setup, None, &form);
    assert_eq!(again.status, 404, "the setup link works once");
    assert_eq!(server.get(&setup, None).status, 404);

    // Before any analysis, the room says how to make one.
    let before = server.get("/", Some(&first_session));
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(
        before.body.contains("No analysis is recorded yet"),
        "{}",
        before.body
    );

    // Sign-in: the same refusal for a wrong password and an unknown e-mail.
    let wrong = server.sign_in(ADMIN, "not the right password");
    let unknown = server.sign_in("nobody@example.com", ADMIN_PASSWORD);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let refusal = |reply: &Reply| {
        let at = reply
            .body
            .find("class=\"error\"")
            .expect("an error message");
        reply.body[at..].split("</p>").next().unwrap().to_owned()
    };
    assert_eq!(refusal(&wrong), refusal(&unknown));
    assert!(wrong.header("set-cookie").is_none());

    let signed_in = server.sign_in(ADMIN, ADMIN_PASSWORD);
    assert_eq!(signed_in.status, 303);
    assert_eq!(signed_in.header("location"), Some("/"));
    let cookie = signed_in.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        cookie.contains("Path=/") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let session = signed_in.session();

    // After `trove analyze`, the room shows every stage and the planted chronic issues.
    ok(&db, &["analyze"]);
    let room = server.get("/", Some(&session));
    assert_eq!(room.status, 200);
    assert_eq!(room.header("cache-control"), Some("no-store"));
    let company = trove_demo::generate(&trove_demo::DemoConfig::default()).unwrap();
    let mut last = 0;
    for stage in company.journey.stages() {
        let heading = format!("<h2>{}</h2>", escaped(stage.name.as_str()));
        let at = room
            .body
            .find(&heading)
            .unwrap_or_else(|| panic!("{heading} in the room"));
        assert!(at > last, "stages in journey order: {heading}");
        last = at;
    }
    assert!(
        room.body.contains("as of"),
        "the room says when its analysis ran"
    );
    for planted in company.truth.chronic() {
        let theme = company.themes.iter().find(|t| t.id == planted.id).unwrap();
        assert!(
            room.body
                .contains(&format!("<h3>{}</h3>", escaped(theme.name.as_str()))),
            "the planted chronic issue {} is in the room",
            planted.id
        );
    }

    // Forged changes are refused: from another site, or without the form token.
    let evil = server.send(
        "POST",
        "/signout",
        &[
            ("Origin", "https://evil.example"),
            ("Cookie", &format!("trove_session={session}")),
        ],
        Some(&format!("csrf={}", room.form_token())),
    );
    assert_eq!(evil.status, 403);
    let no_origin = server.send("POST", "/signin", &[], Some("email=a&password=b"));
    assert_eq!(
        no_origin.status, 403,
        "a change must show where it comes from"
    );
    let tokenless = server.post("/signout", Some(&session), "");
    assert_eq!(tokenless.status, 403);
    assert_eq!(
        server.get("/", Some(&session)).status,
        200,
        "still signed in"
    );

    // Sign-out ends the session: the old cookie no longer opens the room.
    let out = server.post(
        "/signout",
        Some(&session),
        &format!("csrf={}", room.form_token()),
    );
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(server.get("/", Some(&session)).status, 303);
    assert_eq!(
        server.get("/", Some(&first_session)).status,
        200,
        "other sessions live on"
    );

    // A person an admin adds gets a password from the command line and reads the room.
    ok(
        &db,
        &[
            "user",
            "add",
            "vic@example.com",
            "--name",
            "Vic",
            "--role",
            "viewer",
            "--as",
            ADMIN,
        ],
    );
    set_password(&db, "vic@example.com", "short", false);
    set_password(&db, "vic@example.com", "viewer passphrase 1", true);
    let viewer = server.sign_in("vic@example.com", "viewer passphrase 1");
    assert_eq!(viewer.status, 303);
    let viewer_room = server.get("/", Some(&viewer.session()));
    assert_eq!(viewer_room.status, 200);
    assert!(viewer_room.body.contains("viewer"));

    // Sign-in returns only to a path on this site.
    let form = |next: &str| {
        format!(
            "email=vic%40example.com&password=viewer+passphrase+1&next={}",
            encode(next)
        )
    };
    let back = server.post("/signin", None, &form("/somewhere?a=1"));
    assert_eq!(back.header("location"), Some("/somewhere?a=1"));
    let away = server.post("/signin", None, &form("//evil.example/"));
    assert_eq!(away.header("location"), Some("/"), "no open redirect");

    // Five failures lock an account for a while, even with the right password after them.
    for _ in 0..5 {
        assert_eq!(
            server.sign_in("vic@example.com", "a wrong guess!").status,
            401
        );
    }
    let locked = server.sign_in("vic@example.com", "viewer passphrase 1");
    assert_eq!(locked.status, 429);
    assert!(locked.header("set-cookie").is_none());

    // The log has a line per request, and no secret.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("status=303"), "{logged}");
    for secret in [
        ADMIN_PASSWORD,
        &session,
        &first_session,
        setup.trim_start_matches("/setup/"),
    ] {
        assert!(!logged.contains(secret), "the log shows a secret: {logged}");
    }

    // SIGTERM stops the server gracefully.
    let mut server = server;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly on SIGTERM: {status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `trove user password EMAIL --password-stdin --as ADMIN`; whether it should succeed.
fn set_password(db: &Path, email: &str, password: &str, succeeds: bool) {
    let mut child = Command::new(TROVE)
        .args([
            "user",
            "password",
            email,
            "--password-stdin",
            "--as",
            ADMIN,
            "--db",
        ])
        .arg(db)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.success(),
        succeeds,
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
