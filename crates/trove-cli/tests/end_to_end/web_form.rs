//! End-to-end: the public feedback form over real HTTP. An admin creates a form (command line
//! and web), a stranger answers it without signing in, and the answer is found stored as a
//! `web_form` item, scored, masked and tagged; abuse stores nothing; a closed form is a 404; the
//! QR code decodes back to the form's link.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::web::{Reply, Server, encode};
use common::{ROOT, TROVE, json, ok};
use trove_domain::Channel;
use trove_store::{FeedbackFilter, Store};

const ADMIN: &str = "ann@example.com";
const VIEWER: &str = "vic@example.com";
const PASSWORD: &str = "a long enough passphrase";

/// Runs `trove ARGS --db DB`, returning whether it succeeded and its standard error.
fn attempt(db: &Path, args: &[&str]) -> (bool, String) {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn set_password(db: &Path, email: &str) {
    let output = common::web::set_password(db, ADMIN, email, PASSWORD);
    assert!(output.status.success());
}

/// The value of the hidden `stamp` field of a form page.
fn stamp(page: &Reply) -> String {
    let at = page.body.find("name=\"stamp\" value=\"").expect("a stamp") + 20;
    page.body[at..].split('"').next().unwrap().to_owned()
}

fn stored_items(db: &Path) -> Vec<trove_domain::StoredFeedback> {
    let store = trove_store_sqlite::SqliteStore::open(db).unwrap();
    let mut items = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 100, &mut |page| {
            items.extend(page);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    items
}

#[test]
fn a_stranger_answers_a_form_and_the_answer_is_stored_like_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("form.db");
    ok(
        &db,
        &["user", "add", ADMIN, "--name", "Ann", "--role", "admin"],
    );
    ok(
        &db,
        &[
            "user", "add", VIEWER, "--name", "Vic", "--role", "viewer", "--as", ADMIN,
        ],
    );
    set_password(&db, ADMIN);
    set_password(&db, VIEWER);
    ok(&db, &["taxonomy", "load", "taxonomies/airline-tweets.toml"]);

    // Only an admin creates forms on the command line.
    let create = [
        "form",
        "create",
        "--source",
        "gate-form",
        "--touchpoint",
        "boarding",
        "--business-unit",
        "domestic",
        "--score",
        "nps",
        "--question",
        "How likely are you to recommend us?",
        "--title",
        "How was your flight?",
    ];
    let (done, error) = attempt(&db, &[&create[..], &["--as", VIEWER]].concat());
    assert!(!done && error.contains("only an admin"), "{error}");
    let created = ok(&db, &[&create[..], &["--as", ADMIN]].concat());
    let id = created
        .lines()
        .find_map(|line| line.strip_prefix("created form "))
        .expect("the new form's id")
        .trim()
        .to_owned();
    assert!(id.len() >= 24, "an unguessable id: {id}");
    assert!(created.contains(&format!("/f/{id}")), "{created}");
    let path = format!("/f/{id}");

    let log = dir.path().join("serve.log");
    let server = Server::start(&db, &log);

    // The form needs no sign-in: the question, an 11-point scale with its ends, no script.
    let page = server.get(&path, None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("How likely are you to recommend us?"));
    assert_eq!(
        page.body.matches("type=\"radio\" name=\"score\"").count(),
        11
    );
    assert!(
        page.body.contains("0 = not at all likely") && page.body.contains("10 = extremely likely")
    );
    assert!(!page.body.contains("<script"));
    // Three more pages: for a repeat, the honeypot and a fast answer.
    let (first, honey, fast) = (
        stamp(&page),
        stamp(&server.get(&path, None)),
        stamp(&server.get(&path, None)),
    );
    assert_ne!(first, honey, "each page has its own stamp");

    // Too fast: nothing stored, the form asks again.
    let answer = |stamp: &str, extra: &str| {
        format!(
            "stamp={}&score=3&comment={}&email={}&consent=yes{extra}",
            encode(stamp),
            encode(
                "My flight was delayed three hours and nobody told us. Write to jo.doe@example.org"
            ),
            encode("jo.doe@example.org"),
        )
    };
    let too_fast = server.post(&path, None, &answer(&fast, ""));
    assert_eq!(too_fast.status, 422, "{}", too_fast.body);
    assert!(too_fast.body.contains("quicker than we expected"));
    assert!(stored_items(&db).is_empty());

    std::thread::sleep(Duration::from_millis(3_100));
    // The honeypot filled: thanked, nothing stored.
    let trapped = server.post(
        &path,
        None,
        &answer(&honey, "&website=http%3A%2F%2Fspam.example"),
    );
    assert_eq!(trapped.status, 303);
    assert!(
        stored_items(&db).is_empty(),
        "a honeypot answer stores nothing"
    );
    // A cross-site post is refused before anything else.
    let forged = server.send(
        "POST",
        &path,
        &[("Origin", "https://evil.example")],
        Some(&answer(&first, "")),
    );
    assert_eq!(forged.status, 403);

    // A real answer: stored, then thanks.
    let sent = server.post(&path, None, &answer(&first, ""));
    assert_eq!(sent.status, 303, "{}", sent.body);
    let thanks_path = format!("{path}/thanks");
    assert_eq!(sent.header("location"), Some(thanks_path.as_str()));
    let thanks = server.get(&thanks_path, None);
    assert_eq!(thanks.status, 200);
    assert!(thanks.body.contains("Thank you"));
    // The same page sent again (a double click) stores nothing more.
    assert_eq!(server.post(&path, None, &answer(&first, "")).status, 303);

    let items = stored_items(&db);
    assert_eq!(items.len(), 1, "one answer stored once");
    let item = &items[0].item;
    assert_eq!(item.channel, Channel::WebForm);
    assert_eq!(item.source.as_str(), "gate-form");
    assert_eq!(item.touchpoint.as_ref().unwrap().as_str(), "boarding");
    assert_eq!(item.business_unit.as_ref().unwrap().as_str(), "domestic");
    assert_eq!(item.scores.nps.unwrap().value(), 3);
    assert!(item.text.as_str().contains("delayed three hours"));
    assert!(
        !item.text.as_str().contains("jo.doe@example.org"),
        "the comment is masked: {}",
        item.text.as_str()
    );
    assert_eq!(
        item.attributes.get("contact_email"),
        Some("jo.doe@example.org"),
        "the address given with consent is kept for a reply"
    );
    assert!(
        item.sentiment.is_some_and(|s| s < 0.0),
        "{:?}",
        item.sentiment
    );
    let store = trove_store_sqlite::SqliteStore::open(&db).unwrap();
    let themes: Vec<String> = store
        .item_tags(items[0].id)
        .unwrap()
        .into_iter()
        .map(|tag| tag.theme.as_str().to_owned())
        .collect();
    assert!(themes.iter().any(|t| t == "flight-delay"), "{themes:?}");

    // The day's answers are one import run: two stored tries (one a repeat), two turned away.
    let runs = json(&db, &["imports", "--format", "json"]);
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|run| {
            run["file"]
                .as_str()
                .unwrap()
                .starts_with(&format!("web form {id}"))
        })
        .expect("the form's run of the day");
    assert_eq!(run["source"], "gate-form");
    assert_eq!(run["status"], "completed");
    assert_eq!(run["totals"]["imported"], 1);
    assert_eq!(run["totals"]["duplicates"], 1);
    assert_eq!(run["totals"]["rejected"], 2);

    // The web: a viewer cannot see or create forms; an admin can, and closes one.
    let vic = server.sign_in(VIEWER, PASSWORD).session();
    assert_eq!(server.get("/forms", Some(&vic)).status, 403);
    let vic_token = server.get("/", Some(&vic)).form_token();
    let by_viewer = format!("csrf={vic_token}&question=Q&score=csat&source=s&touchpoint=t&title=");
    assert_eq!(server.post("/forms", Some(&vic), &by_viewer).status, 403);
    let ann = server.sign_in(ADMIN, PASSWORD).session();
    let forms = server.get("/forms", Some(&ann));
    assert_eq!(forms.status, 200, "{}", forms.body);
    assert!(forms.body.contains(&path) && forms.body.contains("How was your flight?"));
    assert!(
        forms.body.contains(
            "/items?channel=web_form&#38;source=gate-form&#38;touchpoint=boarding&#38;bu=domestic"
        ),
        "a form links to its answers: {}",
        forms.body
    );
    let token = forms.form_token();
    let new_form = format!(
        "csrf={token}&title=&question={}&score=csat&source=desk-form&touchpoint=check-in&business_unit=",
        encode("How satisfied are you with check-in?")
    );
    let made = server.post("/forms", Some(&ann), &new_form);
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(made.header("location"), Some("/forms"));
    let listed = json(&db, &["form", "list", "--format", "json", "--as", ADMIN]);
    let csat = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|form| form["source"] == "desk-form")
        .expect("the form made on the web");
    assert_eq!(csat["scale"], "csat");
    let csat_path = csat["path"].as_str().unwrap().to_owned();
    let csat_page = server.get(&csat_path, None);
    assert_eq!(
        csat_page
            .body
            .matches("type=\"radio\" name=\"score\"")
            .count(),
        5
    );

    // Its QR code and poster from the web carry the address in use, or the one given.
    let poster = server.get(&format!("/forms/{id}/poster"), Some(&ann));
    assert_eq!(poster.status, 200);
    assert!(
        poster
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        poster.body.contains(&format!("{}{path}", server.origin())),
        "{}",
        poster.body
    );
    let given = server.get(
        &format!("/forms/{id}/poster?base=https://feedback.example.com"),
        Some(&ann),
    );
    assert!(
        given
            .body
            .contains(&format!("https://feedback.example.com{path}"))
    );
    let svg = server.get(&format!("/forms/{id}/qr.svg"), Some(&ann));
    assert_eq!(
        (svg.status, svg.header("content-type")),
        (200, Some("image/svg+xml"))
    );
    assert!(svg.body.contains("<svg"));
    let png = server.get(&format!("/forms/{id}/qr.png"), Some(&ann));
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(
        server
            .get(&format!("/forms/{id}/qr.svg"), Some(&vic))
            .status,
        403
    );
    assert_eq!(server.get("/forms/nope/poster", Some(&ann)).status, 404);
    assert!(forms.body.contains(&format!("/forms/{id}/qr.png")));

    let closed = server.post(
        &format!("/forms/{id}/close"),
        Some(&ann),
        &format!("csrf={token}"),
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    let gone = server.get(&path, None);
    assert_eq!(
        gone.status, 404,
        "a closed form is not found, not a sign-in page"
    );
    assert!(gone.body.contains("This form is not available"));
    assert_eq!(server.post(&path, None, &answer(&first, "")).status, 404);
    assert_eq!(server.get("/f/0123456789abcdef01234567", None).status, 404);

    // A body over the form's limit (32 KiB) is refused before it is read.
    let huge = format!("stamp=x&score=4&comment={}", "a".repeat(40 * 1024));
    assert_eq!(server.post(&csat_path, None, &huge).status, 413);

    // Hammering: one address is limited.
    let statuses: Vec<u16> = (0..25)
        .map(|_| server.post(&csat_path, None, "stamp=x&score=4").status)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(stored_items(&db).len(), 1, "nothing of the flood is stored");

    // The QR code of the link decodes back to it; the poster holds the title and question.
    let png = dir.path().join("form.png");
    ok(
        &db,
        &[
            "form",
            "qr",
            &id,
            "--format",
            "png",
            "--base-url",
            "https://feedback.example.com/",
            "-o",
            png.to_str().unwrap(),
            "--as",
            ADMIN,
        ],
    );
    assert_eq!(
        decode_qr(&png),
        format!("https://feedback.example.com/f/{id}")
    );
    let svg = ok(
        &db,
        &[
            "form",
            "qr",
            &id,
            "--base-url",
            "https://feedback.example.com",
            "--as",
            ADMIN,
        ],
    );
    assert!(svg.contains("<svg"), "{svg}");
    let poster = dir.path().join("poster.html");
    ok(
        &db,
        &[
            "form",
            "poster",
            &id,
            "--base-url",
            "https://feedback.example.com",
            "-o",
            poster.to_str().unwrap(),
            "--as",
            ADMIN,
        ],
    );
    let poster = std::fs::read_to_string(poster).unwrap();
    assert!(
        poster.contains("How was your flight?")
            && poster.contains("How likely are you to recommend us?")
    );
    assert!(poster.contains("size: A4") && poster.contains("<svg"));
    let (done, error) = attempt(
        &db,
        &[
            "form",
            "qr",
            &id,
            "--base-url",
            "https://x.example",
            "--as",
            VIEWER,
        ],
    );
    assert!(!done && error.contains("only an admin"), "{error}");
}

/// The text of the one QR code in a PNG image.
fn decode_qr(png_path: &Path) -> String {
    let file = std::io::BufReader::new(std::fs::File::open(png_path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buffer[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the image");
    grids[0].decode().unwrap().1
}
