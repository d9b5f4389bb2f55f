//! End-to-end: the working pages of `trove serve` (departments, follow-ups, people, imports,
//! themes, lessons) over real HTTP, on a demo database with the loop under way, set up at the
//! command line as its people (`TROVE_USER`) on pretended days (`TROVE_NOW`: the demo is a
//! rehearsal). The server itself records every change at the real time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::web::{Reply, Server, encode};
use common::{ROOT, TROVE, demo};

const ADA: &str = "ada@northwind.example";
const ANN: &str = "ann@northwind.example";
const IVY: &str = "ivy@northwind.example";
const IAN: &str = "ian@northwind.example";
const CORA: &str = "cora@northwind.example";
const CAL: &str = "cal@northwind.example";
const CLEO: &str = "cleo@northwind.example";
const VIC: &str = "vic@northwind.example";
const PASSWORD: &str = "a long demo passphrase";

/// Runs `trove ARGS --db DB` as `actor` on `day` (none: no one, the real time); panics when it
/// fails.
fn trove(db: &Path, actor: Option<&str>, day: Option<&str>, args: &[&str], stdin: &str) -> String {
    let mut command = Command::new(TROVE);
    command
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("TROVE_NOW")
        .env_remove("TROVE_USER")
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(actor) = actor {
        command.env("TROVE_USER", actor);
    }
    if let Some(day) = day {
        command.env("TROVE_NOW", day);
    }
    let mut child = command.spawn().expect("run trove");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "trove {args:?} as {actor:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The demo with its people and the loop under way: an issue with two root causes, actions in
/// three departments (IT's done on time, customer care's missed), follow-up cases for customer
/// care's detractors, and passwords for those who sign in here.
fn demo_with_a_loop(db: &Path) {
    demo(db, &["demo", "--data-only"]);
    trove(
        db,
        None,
        None,
        &["user", "add", ADA, "--name", "Ada Admin", "--role", "admin"],
        "",
    );
    let day = Some("2026-01-10");
    for (email, name, role, department) in [
        (ANN, "Ann Analyst", "analyst", None),
        (IVY, "Ivy Lead", "lead", Some("it")),
        (IAN, "Ian Member", "member", Some("it")),
        (CORA, "Cora Lead", "lead", Some("customer-care")),
        (CAL, "Cal Agent", "member", Some("customer-care")),
        (CLEO, "Cleo Lead", "lead", Some("claims")),
        (VIC, "Vic Viewer", "viewer", None),
    ] {
        let mut args = vec!["user", "add", email, "--name", name, "--role", role];
        args.extend(department.iter().flat_map(|d| ["--department", *d]));
        trove(db, Some(ADA), day, &args, "");
    }
    for email in [ADA, ANN, CAL, IAN, VIC, CORA] {
        trove(
            db,
            Some(ADA),
            None,
            &["user", "password", email, "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
    }
    let as_ = |who: &str, day: &str, args: &[&str]| trove(db, Some(who), Some(day), args, "");
    as_(
        ANN,
        "2026-01-10",
        &[
            "issue",
            "open",
            "--theme",
            "document-upload-broken",
            "--until",
            "2026-01-01",
            "--lead",
            "it",
            "--department",
            "it",
            "--department",
            "customer-care",
            "--department",
            "claims",
        ],
    );
    as_(IVY, "2026-01-10", &["issue", "move", "1", "acknowledged"]);
    as_(
        IVY,
        "2026-01-10",
        &[
            "why",
            "add",
            "1",
            "--symptom",
            "Customers cannot upload claim documents",
            "--why",
            "The upload page times out",
            "--why",
            "Release checks have no upload test",
            "--participant",
            IVY,
        ],
    );
    as_(
        IVY,
        "2026-01-10",
        &[
            "why",
            "add",
            "1",
            "--symptom",
            "Customers call to send documents by e-mail",
            "--why",
            "Nobody owns documents arriving outside the app",
            "--participant",
            CORA,
        ],
    );
    as_(
        IVY,
        "2026-01-10",
        &["issue", "move", "1", "root_cause_found"],
    );
    for (who, chain, what, department, owner, due) in [
        (
            IVY,
            "1",
            "Chunked uploads and an upload release test",
            "it",
            IAN,
            "2026-02-15",
        ),
        (
            CORA,
            "2",
            "Reopen the documents inbox with an owner",
            "customer-care",
            CAL,
            "2026-02-20",
        ),
        (
            CLEO,
            "2",
            "Accept inbox documents into claims",
            "claims",
            CLEO,
            "2026-03-01",
        ),
    ] {
        as_(
            who,
            "2026-01-10",
            &[
                "action",
                "add",
                "1",
                "--root-cause",
                chain,
                "--what",
                what,
                "--department",
                department,
                "--owner",
                owner,
                "--due",
                due,
            ],
        );
    }
    as_(IAN, "2026-02-14", &["action", "done", "1"]);
    let created = as_(
        CORA,
        "2026-02-25",
        &[
            "followups",
            "create",
            "--issue",
            "1",
            "--since",
            "2026-02-18",
            "--department",
            "customer-care",
            "--sla-hours",
            "48",
        ],
    );
    assert!(created.starts_with("opened "), "{created}");
    as_(
        ANN,
        "2026-03-20",
        &[
            "lessons",
            "add",
            "--issue",
            "1",
            "--title",
            "Test uploads with phone photos",
            "--what-happened",
            "A gateway limit broke claim uploads",
            "--what-worked",
            "A release test with real phone photos",
            "--reuse",
            "Test every upload path",
        ],
    );
    as_(
        IAN,
        "2026-03-20",
        &[
            "recognition",
            "submit",
            "--department",
            "it",
            "--title",
            "Upload release test",
            "--description",
            "Every release uploads real phone photos",
            "--issue",
            "1",
        ],
    );
    let file = db.with_file_name("web-ops.csv");
    std::fs::write(
        &file,
        "id,when,text\nw1,2026-11-20T10:00:00Z,The upload failed again\nw2,someday,Broken row\n",
    )
    .unwrap();
    trove(
        db,
        None,
        None,
        &[
            "import",
            file.to_str().unwrap(),
            "--channel",
            "email",
            "--id-column",
            "id",
            "--time-column",
            "when",
            "--text-column",
            "text",
        ],
        "",
    );
}

fn signed_in(server: &Server, email: &str) -> String {
    let reply = server.sign_in(email, PASSWORD);
    assert_eq!(reply.status, 303, "{email}: {}", reply.body);
    reply.session()
}

/// A page that must answer 200.
fn page(server: &Server, path: &str, session: &str) -> Reply {
    let reply = server.get(path, Some(session));
    assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    reply
}

/// How many cases a queue page lists.
fn listed(reply: &Reply) -> usize {
    reply.body.matches("<li class=\"case ").count()
}

#[test]
fn the_working_pages_show_the_loop_and_obey_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo_with_a_loop(&db);
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let cal = signed_in(&server, CAL);

    // A department's stream: its actions with their commitments, the missed one in red with a
    // word; a department that kept its date shows no miss.
    let departments = page(&server, "/departments", &cal);
    assert!(
        departments
            .body
            .contains("href=\"/departments/customer-care\""),
        "{}",
        departments.body
    );
    let care = page(&server, "/departments/customer-care", &cal);
    assert!(
        care.body
            .contains("Reopen the documents inbox with an owner")
    );
    assert!(care.body.contains("Missed: "), "{}", care.body);
    assert!(care.body.contains("class=\"badge late\""));
    assert!(care.body.contains("1 missed commitment"));
    assert!(care.body.contains("Customers waiting for a call back"));
    let it = page(&server, "/departments/it", &cal);
    assert!(
        it.body
            .contains("Chunked uploads and an upload release test")
    );
    assert!(it.body.contains("Met on time") && !it.body.contains("Missed: "));
    assert_eq!(server.get("/departments/nowhere", Some(&cal)).status, 404);

    // The queue: customer care's open cases, every one past its 48 hours by now.
    let queue = page(&server, "/cases?view=all", &cal);
    let open = listed(&queue);
    assert!(open >= 3, "{}", queue.body);
    assert!(
        queue
            .body
            .contains(&format!("<strong>{open}</strong> open"))
    );
    assert!(queue.body.contains("breached "));
    assert!(queue.body.contains("action=\"/cases/1/take\""));
    assert_eq!(listed(&page(&server, "/cases?view=mine", &cal)), 0);

    // Cal takes case 1, records a contact and closes it: it leaves the open queue.
    let token = queue.form_token();
    let post = |path: &str, session: &str, form: &str| server.post(path, Some(session), form);
    let took = post("/cases/1/take", &cal, &format!("csrf={token}&view=mine"));
    assert_eq!(took.status, 303, "{}", took.body);
    assert_eq!(
        took.header("location"),
        Some("/cases?view=mine&done=took-1")
    );
    let mine = page(&server, "/cases?view=mine&done=took-1", &cal);
    assert_eq!(listed(&mine), 1);
    assert!(mine.body.contains("Case 1 is now yours."));
    let contacted = post(
        "/cases/1/contact",
        &cal,
        &format!("csrf={token}&note={}", encode("Sent the upload link again")),
    );
    assert_eq!(contacted.status, 303, "{}", contacted.body);
    // Closing needs its outcome: refused in words, on the page, 422.
    let no_outcome = post("/cases/1/close", &cal, &format!("csrf={token}&outcome=+"));
    assert_eq!(no_outcome.status, 422, "{}", no_outcome.body);
    assert!(no_outcome.body.contains("closing case 1 needs its outcome"));
    let closed = post(
        "/cases/1/close",
        &cal,
        &format!(
            "csrf={token}&outcome={}&first_contact=1",
            encode("Documents received")
        ),
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    let after = page(&server, "/cases?view=all", &cal);
    assert_eq!(listed(&after), open - 1);
    assert!(!after.body.contains("id=\"case-1\""));
    let with_closed = page(&server, "/cases?view=all&closed=1", &cal);
    assert!(with_closed.body.contains("Outcome: Documents received"));
    assert!(with_closed.body.contains("Sent the upload link again"));
    let again = post(
        "/cases/1/close",
        &cal,
        &format!("csrf={token}&outcome=again"),
    );
    assert_eq!(again.status, 422);
    assert!(
        again.body.contains("refused (lifecycle): case 1 is closed"),
        "{}",
        again.body
    );
    let trail = trove(&db, Some(ADA), None, &["audit", "case:1"], "");
    assert!(
        trail.contains(CAL) && trail.contains("case_taken") && trail.contains("Documents received"),
        "{trail}"
    );

    // IT's member sees customer care's cases without their controls, and is refused if they
    // post anyway; so is a viewer.
    let ian = signed_in(&server, IAN);
    let foreign = page(&server, "/cases?view=all", &ian);
    assert!(!foreign.body.contains("action=\"/cases/2/take\""));
    assert!(!foreign.body.contains("Close the case"));
    let ian_token = foreign.form_token();
    let refused = post("/cases/2/take", &ian, &format!("csrf={ian_token}"));
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("refused (roles)"), "{}", refused.body);
    let vic = signed_in(&server, VIC);
    let viewed = page(&server, "/cases?view=all", &vic);
    assert!(!viewed.body.contains("/take\"") && !viewed.body.contains("Record a contact"));

    // A forged post without the session's form token is refused, and changes nothing.
    let forged = post("/cases/2/take", &cal, "view=all");
    assert_eq!(forged.status, 403);
    let wrong = post("/cases/2/take", &cal, "csrf=0123abcd");
    assert_eq!(wrong.status, 403);
    assert!(
        !page(&server, "/cases?view=mine", &cal)
            .body
            .contains("id=\"case-2\"")
    );

    // People are for admins: a non-admin sees only their own API tokens on the page, and
    // gets 403 on its posts.
    let own = server.get("/people", Some(&cal));
    assert_eq!(own.status, 200);
    assert!(own.body.contains("API tokens"));
    assert!(
        !own.body.contains("Add a person") && !own.body.contains(CORA),
        "no people part for a non-admin"
    );
    let add = format!(
        "csrf={token}&email={}&name=Eve&role=admin",
        encode("eve@northwind.example")
    );
    assert_eq!(post("/people", &cal, &add).status, 403);
    assert_eq!(
        post(
            &format!("/people/{}/role", encode(CAL)),
            &cal,
            &format!("csrf={token}&role=admin")
        )
        .status,
        403
    );
    for (path, form) in [
        (
            "password",
            format!("csrf={token}&password=0123456789abc&confirm=0123456789abc"),
        ),
        ("link", format!("csrf={token}")),
    ] {
        let refused = post(&format!("/people/{}/{path}", encode(CORA)), &cal, &form);
        assert_eq!(refused.status, 403, "{path}");
    }
    let users = trove(&db, Some(ADA), None, &["user", "list"], "");
    assert!(!users.contains("eve@"), "{users}");

    people_are_managed_by_an_admin(&server, &db);
    imports_lessons_and_themes_read_for_everyone(&server);
}

/// Imports, lessons and themes are read by everyone; turning a cluster into a theme is for
/// analysts and admins.
fn imports_lessons_and_themes_read_for_everyone(server: &Server) {
    let vic = signed_in(server, VIC);
    let imports = page(server, "/imports", &vic);
    assert!(imports.body.contains("web-ops.csv"), "{}", imports.body);
    assert!(
        imports
            .body
            .contains("<span class=\"badge ok\">completed</span>")
    );
    assert!(
        imports
            .body
            .contains("<strong class=\"late-text\">1</strong>"),
        "one rejected row"
    );

    let lessons = page(server, "/lessons?q=phone+uploads", &vic);
    assert!(lessons.body.contains("Test uploads with phone photos"));
    let none = page(server, "/lessons?q=zebra", &vic);
    assert!(none.body.contains("No lesson mentions these words"));
    assert!(!lessons.body.contains("Record a lesson") && !lessons.body.contains("Judge it"));
    let vic_token = lessons.form_token();
    let lesson = format!(
        "issue=1&title={}&what_happened=x&what_worked=y&reuse=z",
        encode("Own the documents inbox")
    );
    let refused = server.post(
        "/lessons",
        Some(&vic),
        &format!("csrf={vic_token}&{lesson}"),
    );
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("refused (roles)"), "{}", refused.body);
    // An analyst records a lesson (its root cause defaults to the first chain's) and
    // judges the submission, once.
    let ann = signed_in(server, ANN);
    let bank = page(server, "/lessons", &ann);
    assert!(bank.body.contains("Record a lesson") && bank.body.contains("Judge it"));
    let token = bank.form_token();
    let recorded = server.post("/lessons", Some(&ann), &format!("csrf={token}&{lesson}"));
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let found = page(server, "/lessons?q=inbox", &ann);
    assert!(found.body.contains("Own the documents inbox"));
    assert!(
        found.body.contains("Release checks have no upload test"),
        "{}",
        found.body
    );
    let scores = "score=5&score=4&score=3&score=4";
    let judged = server.post(
        "/lessons/submissions/1/judge",
        Some(&ann),
        &format!("csrf={token}&{scores}&comment=Prevents+it"),
    );
    assert_eq!(judged.status, 303, "{}", judged.body);
    let after = page(server, "/lessons", &ann);
    assert!(
        after.body.contains("16.0 of 20 from 1 judge"),
        "{}",
        after.body
    );
    assert!(!after.body.contains("Judge it"));
    let short = server.post(
        "/lessons/submissions/1/judge",
        Some(&ann),
        &format!("csrf={token}&score=5&comment=x"),
    );
    assert_eq!(short.status, 422);

    let themes = page(server, "/taxonomy", &vic);
    assert!(
        themes
            .body
            .contains("href=\"/items?theme=document-upload-broken&amp;origin=rule\""),
        "{}",
        themes.body
    );
    assert!(themes.body.contains("of the items carry a theme"));
    assert!(themes.body.contains("No discovery run yet"));
    assert_eq!(server.get("/taxonomy/clusters/1", Some(&vic)).status, 403);
    let token = themes.form_token();
    let add = server.post(
        "/taxonomy/clusters/1",
        Some(&vic),
        &format!("csrf={token}&name=X"),
    );
    assert_eq!(add.status, 403);
    let nothing = server.get("/taxonomy/clusters/1", Some(&ann));
    assert_eq!(nothing.status, 422);
    assert!(
        nothing.body.contains("run `trove discover` first"),
        "{}",
        nothing.body
    );
}

/// An admin adds a person, gives them a one-time link that sets their password, changes their
/// role; the last admin cannot be demoted.
fn people_are_managed_by_an_admin(server: &Server, db: &Path) {
    const EVE: &str = "eve@northwind.example";
    let ada = signed_in(server, ADA);
    let people = page(server, "/people", &ada);
    assert!(people.body.contains(CAL) && people.body.contains("no password yet"));
    let token = people.form_token();
    let post = |path: &str, form: &str| server.post(path, Some(&ada), form);
    let added = post(
        "/people",
        &format!(
            "csrf={token}&name=Eve+Agent&email={}&role=member&department=customer-care",
            encode(EVE)
        ),
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let twice = post(
        "/people",
        &format!("csrf={token}&name=Eve&email={}&role=member", encode(EVE)),
    );
    assert_eq!(twice.status, 422);
    assert!(twice.body.contains("is already a user"), "{}", twice.body);
    let unknown = post(
        "/people",
        &format!("csrf={token}&name=Zed&email=zed%40x.io&role=member&department=nowhere"),
    );
    assert_eq!(unknown.status, 422);
    assert!(
        unknown.body.contains("unknown department"),
        "{}",
        unknown.body
    );

    // The one-time link is shown once, works once, and signs the person in.
    let given = post(
        &format!("/people/{}/link", encode(EVE)),
        &format!("csrf={token}"),
    );
    assert_eq!(given.status, 303, "{}", given.body);
    let shown = page(server, "/people", &ada);
    let at = shown.body.find("/welcome/").expect("the link is shown");
    let link: String = shown.body[at..].split('"').next().unwrap().to_owned();
    assert!(
        !page(server, "/people", &ada).body.contains("/welcome/"),
        "shown once"
    );
    let welcome = server.get(&link, None);
    assert_eq!(welcome.status, 200);
    assert!(welcome.body.contains(EVE));
    let short = server.post(&link, None, "password=short&confirm=short");
    assert_eq!(short.status, 422);
    let chosen = format!("password={}&confirm={}", encode(PASSWORD), encode(PASSWORD));
    let welcomed = server.post(&link, None, &chosen);
    assert_eq!(welcomed.status, 303, "{}", welcomed.body);
    assert_eq!(page(server, "/cases", &welcomed.session()).status, 200);
    assert_eq!(
        server.post(&link, None, &chosen).status,
        404,
        "the link works once"
    );
    signed_in(server, EVE);

    // A role changes; the last admin stays one, refused in words.
    let promoted = post(
        &format!("/people/{}/role", encode(EVE)),
        &format!("csrf={token}&role=lead&department=customer-care"),
    );
    assert_eq!(promoted.status, 303, "{}", promoted.body);
    let users = trove(db, Some(ADA), None, &["user", "list"], "");
    assert!(
        users
            .lines()
            .any(|l| l.starts_with(EVE) && l.contains("lead") && l.contains("customer-care")),
        "{users}"
    );
    let demoted = post(
        &format!("/people/{}/role", encode(ADA)),
        &format!("csrf={token}&role=analyst"),
    );
    assert_eq!(demoted.status, 422);
    assert!(
        demoted.body.contains("refused (last admin)"),
        "{}",
        demoted.body
    );
    let password = post(
        &format!("/people/{}/password", encode(IAN)),
        &format!("csrf={token}&{chosen}"),
    );
    assert_eq!(password.status, 303, "{}", password.body);
    signed_in(server, IAN);
}
