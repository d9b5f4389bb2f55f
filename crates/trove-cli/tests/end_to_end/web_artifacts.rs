//! End-to-end: the room's artifacts and voices. A letter attached to a touchpoint at the
//! command line shows under its stage in the room; a call recording uploaded through the web
//! form plays on its item's page; the bytes come back exactly; a viewer sees the letter but is
//! refused the recording; a file that is not an image, PDF or recording is refused in words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};

use common::web::{Reply, Server, set_password};
use common::{ROOT, TROVE, demo};

const ADA: &str = "ada@northwind.example";
const ANN: &str = "ann@northwind.example";
const CAL: &str = "cal@northwind.example";
const VIC: &str = "vic@northwind.example";
const PASSWORD: &str = "a long demo passphrase";

fn trove(db: &Path, actor: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(TROVE);
    command
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("TROVE_NOW")
        .env_remove("TROVE_USER")
        .current_dir(ROOT);
    if let Some(actor) = actor {
        command.env("TROVE_USER", actor);
    }
    command.output().expect("run trove")
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A real 48 x 32 PNG (a blue and white "letter").
fn letter_png() -> Vec<u8> {
    let (width, height) = (48u32, 32u32);
    let mut pixels = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let line = y % 6 == 0 && x > 4 && x < 43;
            pixels.extend_from_slice(if line {
                &[31, 95, 191]
            } else {
                &[255, 255, 255]
            });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
    out
}

/// A real WAV: half a second of a 440 Hz tone, 8 kHz, 16-bit mono.
fn call_wav() -> Vec<u8> {
    let rate = 8_000u32;
    let samples: Vec<i16> = (0..rate / 2)
        .map(|n| {
            let t = f64::from(n) / f64::from(rate);
            #[allow(clippy::cast_possible_truncation)]
            let s = ((t * 440.0 * std::f64::consts::TAU).sin() * 8_000.0) as i16;
            s
        })
        .collect();
    let data_len = u32::try_from(samples.len() * 2).unwrap();
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// One raw request; the reply's status, headers (lowercase names) and body bytes.
fn raw(server: &Server, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(server.origin().trim_start_matches("http://")).unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    let at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&reply[..at]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, reply[at + 4..].to_vec())
}

fn get_bytes(server: &Server, path: &str, session: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let host = server.origin().trim_start_matches("http://").to_owned();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nCookie: trove_session={session}\r\n\r\n"
    );
    raw(server, request.as_bytes())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Posts the upload form as a browser does (multipart, our Origin).
fn upload(
    server: &Server,
    session: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> (u16, Vec<(String, String)>, String) {
    let boundary = "----trove-test-boundary-7d1";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let origin = server.origin();
    let host = origin.trim_start_matches("http://");
    let mut request = format!(
        "POST /artifacts HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nOrigin: {origin}\r\n\
         Cookie: trove_session={session}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (status, headers, body) = raw(server, &request);
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn sign_in(server: &Server, email: &str) -> (String, String) {
    let session = server.sign_in(email, PASSWORD).session();
    let page: Reply = server.get("/artifacts", Some(&session));
    assert_eq!(page.status, 200, "{}", page.body);
    (session, page.form_token())
}

#[test]
fn a_letter_shows_in_the_room_and_a_recording_plays_for_those_who_may_hear_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("room.db");
    demo(&db, &["demo", "--data-only"]);
    ok(&trove(
        &db,
        None,
        &["user", "add", ADA, "--name", "Ada Admin", "--role", "admin"],
    ));
    for (email, name, role, department) in [
        (ANN, "Ann Analyst", "analyst", None),
        (CAL, "Cal Agent", "member", Some("customer-care")),
        (VIC, "Vic Viewer", "viewer", None),
    ] {
        let mut args = vec!["user", "add", email, "--name", name, "--role", role];
        args.extend(department.iter().flat_map(|d| ["--department", *d]));
        ok(&trove(&db, Some(ADA), &args));
    }
    for email in [ANN, CAL, VIC] {
        assert!(set_password(&db, ADA, email, PASSWORD).status.success());
    }

    // A letter at the command line, by an analyst; a viewer may not attach.
    let letter = letter_png();
    let letter_file = dir.path().join("welcome-letter.png");
    std::fs::write(&letter_file, &letter).unwrap();
    let letter_path = letter_file.to_str().unwrap();
    let attached = ok(&trove(
        &db,
        Some(ANN),
        &[
            "artifact",
            "add",
            letter_path,
            "--touchpoint",
            "welcome-pack",
            "--note",
            "The welcome letter",
        ],
    ));
    assert!(
        attached.contains("attached file 1 (welcome-letter.png, image/png"),
        "{attached}"
    );
    let refused = trove(
        &db,
        Some(VIC),
        &[
            "artifact",
            "add",
            letter_path,
            "--touchpoint",
            "welcome-pack",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("only admins and analysts"));
    let unknown = trove(
        &db,
        Some(ANN),
        &[
            "artifact",
            "add",
            letter_path,
            "--touchpoint",
            "no-such-place",
        ],
    );
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no touchpoint no-such-place"));

    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);
    let (ann, ann_token) = sign_in(&server, ANN);

    // A recording through the web form, attached to item 1.
    let wav = call_wav();
    let (status, headers, body) = upload(
        &server,
        &ann,
        &[
            ("csrf", &ann_token),
            ("item", "1"),
            ("note", "The customer's call"),
        ],
        ("call-1.wav", &wav),
    );
    assert_eq!(status, 303, "{body}");
    assert_eq!(header(&headers, "location"), Some("/items/1"));

    // Refusals, in words: a script dressed as an image, no form token, a viewer.
    let (status, _, body) = upload(
        &server,
        &ann,
        &[("csrf", &ann_token), ("touchpoint", "welcome-pack")],
        (
            "pretty.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        ),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("pretty.svg is not a file Trove takes"),
        "{body}"
    );
    let (status, _, _) = upload(
        &server,
        &ann,
        &[("csrf", "forged"), ("touchpoint", "welcome-pack")],
        ("again.png", &letter),
    );
    assert_eq!(status, 403);
    let (vic, vic_token) = sign_in(&server, VIC);
    let (status, _, body) = upload(
        &server,
        &vic,
        &[("csrf", &vic_token), ("touchpoint", "welcome-pack")],
        ("mine.png", &letter),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("only admins and analysts attach files"),
        "{body}"
    );

    // The agent hears the call on the item's page, byte for byte.
    let (cal, _) = sign_in(&server, CAL);
    let item = server.get("/items/1", Some(&cal));
    assert_eq!(item.status, 200);
    assert!(item.body.contains("<audio controls"), "{}", item.body);
    assert!(
        item.body
            .contains("src=\"/artifacts/2\" type=\"audio/wav\"")
    );
    assert!(
        item.body.contains("The customer&#39;s call") || item.body.contains("The customer's call")
    );
    let (status, headers, bytes) = get_bytes(&server, "/artifacts/2", &cal);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("audio/wav"));
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert!(
        header(&headers, "content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(bytes, wav);

    // The viewer sees the letter under its stage, but neither hears nor finds the recording.
    let room = server.get("/", Some(&vic));
    assert_eq!(room.status, 200);
    assert!(
        room.body.contains("What customers receive"),
        "{}",
        room.body
    );
    assert!(
        room.body
            .contains("<img src=\"/artifacts/1\" alt=\"The welcome letter\"")
    );
    let (status, headers, bytes) = get_bytes(&server, "/artifacts/1", &vic);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("image/png"));
    assert_eq!(bytes, letter);
    let (status, _, body) = get_bytes(&server, "/artifacts/2", &vic);
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("personal data"));
    let item = server.get("/items/1", Some(&vic));
    assert!(!item.body.contains("/artifacts/2"), "{}", item.body);
    let list = server.get("/artifacts", Some(&vic));
    assert!(!list.body.contains("call-1.wav"));
    assert!(
        !list.body.contains("Attach a file"),
        "no control for a viewer"
    );

    // Nobody signed in gets nothing.
    let anonymous = server.get("/artifacts/1", None);
    assert_ne!(anonymous.status, 200);
    assert_eq!(server.get("/items/999999", Some(&cal)).status, 404);

    // The command line lists what a role may fetch and writes the bytes out.
    let listed = ok(&trove(
        &db,
        Some(VIC),
        &["artifact", "list", "--format", "json"],
    ));
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let out = dir.path().join("out.wav");
    ok(&trove(
        &db,
        Some(CAL),
        &["artifact", "get", "2", "--output", out.to_str().unwrap()],
    ));
    assert_eq!(std::fs::read(&out).unwrap(), wav);
    let refused = trove(
        &db,
        Some(VIC),
        &["artifact", "get", "2", "--output", out.to_str().unwrap()],
    );
    assert!(!refused.status.success());
}
