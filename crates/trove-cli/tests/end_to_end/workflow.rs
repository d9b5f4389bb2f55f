//! The accountability loop end to end on the demo company, from the command line: a chronic
//! theme becomes an issue, gets two root-cause chains, a plan with actions in three
//! departments and a leading indicator; one action misses its date and shows up as missed;
//! detractor follow-ups are created and closed; an announcement writes its recipients; the fix
//! is verified by the chronic analysis and the issue resolves; a lesson is recorded. Each role
//! is refused what it may not do, naming the rule. The demo database is a rehearsal, so the
//! story may pretend its days (`TROVE_NOW`); a database that is not one refuses that.

use crate::common;

use std::process::{Command, Output};

use common::{PgSchema, ROOT, TROVE};

/// `trove` as one person on one day.
struct Trove<'a> {
    /// An SQLite file or a PostgreSQL URL.
    db: &'a str,
    actor: Option<&'a str>,
    now: &'a str,
}

impl<'a> Trove<'a> {
    fn new(db: &'a str) -> Self {
        Trove {
            db,
            actor: None,
            now: "2026-01-10",
        }
    }

    fn as_(&self, actor: &'a str, now: &'a str) -> Self {
        Trove {
            db: self.db,
            actor: Some(actor),
            now,
        }
    }

    /// The same person at the real time (no `TROVE_NOW`).
    fn real(&self) -> Self {
        Trove {
            db: self.db,
            actor: self.actor,
            now: "",
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::new(TROVE);
        command
            .args(args)
            .arg("--db")
            .arg(self.db)
            .env_remove("TROVE_NOW")
            .env_remove("TROVE_USER")
            .current_dir(ROOT);
        if !self.now.is_empty() {
            command.env("TROVE_NOW", self.now);
        }
        if let Some(actor) = self.actor {
            command.env("TROVE_USER", actor);
        }
        command.output().expect("runs trove")
    }

    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{:?} {args:?} failed:\n{stdout}\n{}",
            self.actor,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// Runs a command that must be refused; returns its error message.
    fn refused(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            !output.status.success(),
            "{:?} {args:?} was not refused",
            self.actor
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

const ADA: &str = "ada@northwind.example";
const ANN: &str = "ann@northwind.example";
const IVY: &str = "ivy@northwind.example";
const IAN: &str = "ian@northwind.example";
const CORA: &str = "cora@northwind.example";
const CAL: &str = "cal@northwind.example";
const CLEO: &str = "cleo@northwind.example";
const VIC: &str = "vic@northwind.example";

fn people(trove: &Trove<'_>) {
    trove.ok(&["user", "add", ADA, "--name", "Ada", "--role", "admin"]);
    let admin = trove.as_(ADA, "2026-01-10");
    for (email, role, department) in [
        (ANN, "analyst", None),
        (IVY, "lead", Some("it")),
        (IAN, "member", Some("it")),
        (CORA, "lead", Some("customer-care")),
        (CAL, "member", Some("customer-care")),
        (CLEO, "lead", Some("claims")),
        (VIC, "viewer", None),
    ] {
        let mut args = vec!["user", "add", email, "--name", email, "--role", role];
        if let Some(department) = department {
            args.extend(["--department", department]);
        }
        admin.ok(&args);
    }
}

#[test]
fn the_full_loop_runs_on_the_demo_company_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("loop.db");
    full_loop(&dir, db.to_str().expect("a UTF-8 path"));
}

#[test]
fn the_full_loop_runs_on_the_demo_company_on_postgres() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    full_loop(&dir, &schema.url_with(""));
}

fn full_loop(dir: &tempfile::TempDir, db: &str) {
    let trove = Trove::new(db);
    trove.ok(&["demo", "--data-only"]);
    assert!(
        trove
            .refused(&["issue", "list"])
            .contains("say who you are")
    );
    people(&trove);
    let refusal = trove.refused(&["user", "add", "x@y.z", "--name", "X", "--role", "admin"]);
    assert!(refusal.contains("refused (sign in)"), "{refusal}");

    // A chronic theme of the analysis (before its fix) becomes an issue with its figures.
    let ann = trove.as_(ANN, "2026-01-10");
    let opened = ann.ok(&[
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
    ]);
    assert!(
        opened.starts_with("opened issue 1: Claim document upload broken"),
        "{opened}"
    );
    let list = ann.ok(&["issue", "list", "--format", "json"]);
    let issues: serde_json::Value = serde_json::from_str(&list).expect("json");
    let pain = &issues[0]["pain"];
    assert_eq!(pain["label"], "chronic", "{pain}");
    assert!(pain["volume"].as_u64().expect("volume") > 500, "{pain}");
    assert!(
        pain["nps_impact"].as_f64().expect("impact") < -1.0,
        "{pain}"
    );

    // Departments: the journey's, and one added by an admin; the issue's scope can change.
    let ada = trove.as_(ADA, "2026-01-10");
    assert!(
        ann.refused(&["department", "add", "vendors", "--name", "Vendors"])
            .contains("refused (roles)")
    );
    ada.ok(&[
        "department",
        "add",
        "vendors",
        "--name",
        "Vendor management",
    ]);
    let departments = ann.ok(&["department", "list"]);
    assert!(
        departments.contains("vendors              Vendor management"),
        "{departments}"
    );
    assert!(departments.contains("customer-care"), "{departments}");
    ann.ok(&[
        "issue",
        "scope",
        "1",
        "--theme",
        "document-upload-broken",
        "--lead",
        "it",
        "--department",
        "customer-care",
        "--department",
        "claims",
        "--department",
        "vendors",
    ]);
    let unknown = ann.refused(&["issue", "scope", "1", "--theme", "x", "--lead", "nobody"]);
    assert!(
        unknown.contains("unknown department \"nobody\""),
        "{unknown}"
    );

    // Illegal steps are refused with the rule's name.
    let ivy = trove.as_(IVY, "2026-01-10");
    let refusal = ivy.refused(&["issue", "move", "1", "resolved"]);
    assert!(refusal.contains("refused (lifecycle)"), "{refusal}");
    ivy.ok(&["issue", "move", "1", "acknowledged"]);
    let refusal = ivy.refused(&[
        "action",
        "add",
        "1",
        "--root-cause",
        "1",
        "--what",
        "x",
        "--department",
        "it",
        "--owner",
        IAN,
        "--due",
        "2026-02-15",
    ]);
    assert!(refusal.contains("refused (root cause first)"), "{refusal}");

    // Two root-cause chains from the workshop.
    ivy.ok(&[
        "why",
        "add",
        "1",
        "--symptom",
        "Customers cannot upload claim documents",
        "--why",
        "The upload page times out | metric upload-success-rate",
        "--why",
        "Files over 5 MB are sent in one request",
        "--why",
        "The gateway limit was lowered in the spring release",
        "--why",
        "Nobody tests uploads with phone photos",
        "--why",
        "Release checks have no upload test",
        "--participant",
        IVY,
        "--participant",
        CORA,
        "--on",
        "2026-01-08",
    ]);
    ivy.ok(&[
        "why",
        "add",
        "1",
        "--symptom",
        "Customers call to send documents by e-mail",
        "--why",
        "Agents have no upload fallback",
        "--why",
        "The fallback inbox was closed",
        "--why",
        "Nobody owns documents arriving outside the app",
        "--participant",
        CORA,
        "--participant",
        CLEO,
    ]);
    ivy.ok(&["issue", "move", "1", "root_cause_found"]);

    // A plan with actions in three departments, each planned by its own lead.
    // Each action may carry what customers are told about it (`--public`).
    let plan = |who: &Trove<'_>,
                chain: &str,
                what: &str,
                department: &str,
                owner: &str,
                due: &str,
                public: Option<&str>| {
        let mut args = vec![
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
        ];
        if let Some(public) = public {
            args.extend(["--public", public]);
        }
        who.ok(&args)
    };
    let refusal = ivy.refused(&[
        "action",
        "add",
        "1",
        "--root-cause",
        "2",
        "--what",
        "x",
        "--department",
        "customer-care",
        "--owner",
        CAL,
        "--due",
        "2026-02-20",
    ]);
    assert!(refusal.contains("refused (roles)"), "{refusal}");
    plan(
        &ivy,
        "1",
        "Chunked uploads and an upload release test",
        "it",
        IAN,
        "2026-02-15",
        Some("Large photos upload at the first try"),
    );
    let cora = trove.as_(CORA, "2026-01-10");
    plan(
        &cora,
        "2",
        "Reopen the documents inbox with an owner",
        "customer-care",
        CAL,
        "2026-02-20",
        None,
    );
    let cleo = trove.as_(CLEO, "2026-01-10");
    plan(
        &cleo,
        "2",
        "Accept inbox documents into claims",
        "claims",
        CLEO,
        "2026-03-01",
        Some("Documents you e-mail reach your claim"),
    );
    ivy.ok(&["issue", "move", "1", "action_planned"]);
    ivy.ok(&["issue", "move", "1", "fixing"]);

    // The leading indicator and its series.
    ivy.ok(&[
        "plan",
        "indicator",
        "1",
        "--metric",
        "upload-success-rate",
        "--name",
        "Uploads that succeed at the first try",
        "--unit",
        "%",
        "--direction",
        "up",
        "--target",
        "98",
    ]);
    let metrics = dir.path().join("metrics.csv");
    std::fs::write(
        &metrics,
        "metric,day,value\nupload-success-rate,2026-01-05,81.5\nupload-success-rate,2026-02-05,90.2\n\
         upload-success-rate,2026-04-05,98.6\nupload-success-rate,someday,1\n",
    )
    .expect("write");
    let metrics = metrics.to_str().expect("utf-8 path");
    let output = ivy.run(&["metrics", "import", metrics]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("metrics.csv:5: field day: \"someday\""),
        "{stderr}"
    );
    let viewer = trove.as_(VIC, "2026-01-10");
    assert!(
        viewer
            .refused(&["metrics", "import", metrics])
            .contains("refused (roles)")
    );
    // A re-import that changes a value is a change in the log, with the old value kept.
    let fixed = dir.path().join("metrics-fixed.csv");
    std::fs::write(
        &fixed,
        "metric,day,value\nupload-success-rate,2026-01-05,81.5\nupload-success-rate,2026-02-05,91.0\n",
    )
    .expect("write");
    let imported = ivy.ok(&["metrics", "import", fixed.to_str().expect("utf-8")]);
    assert!(
        imported.starts_with(
            "1 values recorded (0 new, 1 changed, each with the value it replaces; 1 unchanged)"
        ),
        "{imported}"
    );
    let trail = ivy.ok(&["audit", "metric:upload-success-rate"]);
    assert_eq!(trail.lines().count(), 2, "{trail}");
    assert!(
        trail.contains("\"day\":\"2026-02-05\",\"value\":91.0,\"previous\":90.2"),
        "{trail}"
    );
    assert!(
        ivy.ok(&["metrics", "show", "upload-success-rate"])
            .contains("2026-02-05  91")
    );

    // IT finishes on time; customer care misses its date and shows up as missed.
    trove.as_(IAN, "2026-02-14").ok(&["action", "done", "1"]);
    let later = trove.as_(ADA, "2026-02-25");
    let missed = later.ok(&["commitments", "--missed"]);
    assert_eq!(missed.lines().count(), 1, "{missed}");
    assert!(
        missed.starts_with("MISSED   2026-02-20  issue 1   customer-care"),
        "{missed}"
    );
    assert!(missed.contains("(5 days late)"), "{missed}");
    // A customer's words reach the stream as text: no HTML, no link, no terminal escape.
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "id,name,email\nC999999,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",evil@example.com\n",
    )
    .expect("write");
    trove.ok(&["import", "customers", customers.to_str().expect("utf-8")]);
    let feedback = dir.path().join("payloads.csv");
    std::fs::write(
        &feedback,
        "id,when,customer,unit,text\np1,2026-02-24T23:59:00Z,C999999,\x1b[31mRed unit,\"The upload failed <script>alert(1)</script> \
         <img src=x onerror=alert(1)> [x](javascript:alert(1)) \x1b[2J\"\n",
    )
    .expect("write");
    trove.ok(&[
        "import",
        feedback.to_str().expect("utf-8"),
        "--channel",
        "email",
        "--id-column",
        "id",
        "--time-column",
        "when",
        "--customer-column",
        "customer",
        "--business-unit-column",
        "unit",
        "--text-column",
        "text",
    ]);
    // Names from the customers' data reach a terminal without their escape sequences.
    for args in [&["summary"][..], &["scores", "--by", "business-unit"][..]] {
        let printed = trove.ok(args);
        assert!(printed.contains("[31mRed unit"), "{args:?}: {printed}");
        assert!(
            !printed.contains('\x1b'),
            "{args:?} printed an escape sequence"
        );
    }
    let hostile = later.ok(&[
        "stream",
        "customer-care",
        "--since",
        "2026-02-24",
        "--verbatims",
        "500",
    ]);
    assert!(
        hostile.contains(
            "The upload failed &lt;script>alert(1)&lt;/script> &lt;img src=x onerror=alert(1)> \\[x\\](javascript:alert(1)) \\[2J"
        ),
        "{hostile}"
    );
    for raw in ["<script", "<img", "[x](", "\x1b"] {
        assert!(!hostile.contains(raw), "{raw:?} reached the stream");
    }
    let stream = later.ok(&["stream", "customer-care", "--since", "2026-02-01"]);
    let section = stream
        .split("## Missed commitments")
        .nth(1)
        .expect("section");
    assert!(section.contains("| Reopen the documents inbox with an owner | cal@northwind.example | 2026-02-20 | 5 days |"), "{stream}");
    assert!(
        stream.contains("## What customers said\n\n- document-upload-broken (2026-02-2"),
        "{stream}"
    );
    let it_stream = later.ok(&["stream", "it", "--since", "2026-02-01"]);
    assert!(
        it_stream.contains("## Missed commitments\n\nNone."),
        "{it_stream}"
    );
    let html = later.ok(&[
        "stream",
        "customer-care",
        "--since",
        "2026-02-01",
        "--format",
        "html",
    ]);
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<td>5 days</td>"),
        "{html}"
    );

    // Re-planning needs the lead and a reason; the history stays.
    let cal = trove.as_(CAL, "2026-02-25");
    assert!(
        cal.refused(&[
            "action",
            "replan",
            "2",
            "--due",
            "2026-03-05",
            "--reason",
            "late"
        ])
        .contains("refused (roles)")
    );
    let cora = trove.as_(CORA, "2026-02-25");
    assert!(
        cora.refused(&[
            "action",
            "replan",
            "2",
            "--due",
            "2026-03-05",
            "--reason",
            " "
        ])
        .contains("refused (re-planning needs a reason)")
    );
    cora.ok(&[
        "action",
        "replan",
        "2",
        "--due",
        "2026-03-05",
        "--reason",
        "The inbox needs a retention rule from Legal first",
    ]);
    assert!(
        later
            .ok(&["commitments", "--missed"])
            .starts_with("no commitments missed")
    );

    // An announcement goes to the customers who raised it, in words written for them, and
    // never promises a date already missed.
    let out = dir.path().join("announcement");
    let ann = trove.as_(ANN, "2026-02-25");
    let announce = [
        "announce",
        "1",
        "--audience",
        "raised",
        "--report-due",
        "2026-07-15",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    let refusal = ann.refused(&announce);
    assert!(
        refusal.contains(
            "refused (customer-facing wording): action 2 (Reopen the documents inbox with an owner)"
        ),
        "{refusal}"
    );
    assert!(!out.exists(), "a refused announcement writes nothing");
    assert!(
        cal.refused(&["action", "edit", "2", "--public", "x"])
            .contains("refused (roles)")
    );
    cora.ok(&[
        "action",
        "edit",
        "2",
        "--public",
        "Documents sent by e-mail are never lost",
    ]);
    let announced = ann.ok(&announce);
    assert!(
        announced.starts_with("announcement 1 to the customers who raised it"),
        "{announced}"
    );
    let recipients = std::fs::read_to_string(out.join("recipients.csv")).expect("recipients");
    let rows = recipients.lines().count() - 1;
    assert!(rows > 500, "{rows} recipients");
    assert!(recipients.starts_with("email,name,customer_id\n"));
    assert!(
        announced.contains(&format!("{rows} recipients")),
        "{announced}"
    );
    // Customers' cells open as text in a spreadsheet, never as formulas.
    assert!(
        recipients
            .contains("evil@example.com,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",C999999\n"),
        "{recipients}"
    );
    let message = std::fs::read_to_string(out.join("message.txt")).expect("message");
    for line in [
        "- Large photos upload at the first try (done)",
        "- Documents sent by e-mail are never lost (late: first promised by 2026-02-20, now by 2026-03-05)",
        "- Documents you e-mail reach your claim (by 2026-03-01)",
        "by 2026-07-15",
    ] {
        assert!(message.contains(line), "{line:?} missing from\n{message}");
    }
    assert!(!message.contains("Reopen the documents inbox"), "{message}");

    // Detractor follow-ups, created by rule, worked and closed by the owner.
    let created = cora.ok(&[
        "followups",
        "create",
        "--issue",
        "1",
        "--since",
        "2026-02-18",
        "--department",
        "customer-care",
        "--owner",
        CAL,
        "--sla-hours",
        "48",
    ]);
    let count: usize = created
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(count >= 3, "{created}");
    let again = cora.ok(&[
        "followups",
        "create",
        "--issue",
        "1",
        "--since",
        "2026-02-18",
        "--department",
        "customer-care",
        "--owner",
        CAL,
    ]);
    assert!(
        again.starts_with("opened 0 follow-up cases"),
        "a repeat opens none: {again}"
    );
    let by_hand = cora.ok(&[
        "followups",
        "open",
        "--reason",
        "Wrote to the CEO about lost documents",
        "--customer",
        "C000004",
        "--department",
        "customer-care",
        "--owner",
        CAL,
        "--sla-hours",
        "24",
    ]);
    assert_eq!(
        by_hand.trim(),
        format!("opened case {} for customer-care", count + 1)
    );
    let cal = trove.as_(CAL, "2026-02-26");
    cal.ok(&[
        "followups",
        "contact",
        "1",
        "--note",
        "Sent the upload link again",
    ]);
    cal.ok(&[
        "followups",
        "close",
        "1",
        "--outcome",
        "Documents received",
        "--first-contact",
    ]);
    assert!(
        cal.refused(&["followups", "close", "2"])
            .contains("--outcome")
    );
    cal.ok(&[
        "followups",
        "close",
        "2",
        "--outcome",
        "Already e-mailed them",
    ]);
    assert!(
        trove
            .as_(IAN, "2026-02-26")
            .refused(&["followups", "close", "3", "--outcome", "x"])
            .contains("refused (roles)")
    );
    // A case is taken: a member for themselves, a lead hands one to someone of the department.
    assert!(
        trove
            .as_(IAN, "2026-02-26")
            .refused(&["followups", "take", "3"])
            .contains("refused (roles)")
    );
    let taken = trove
        .as_(CORA, "2026-02-26")
        .ok(&["followups", "take", "3", "--to", CAL]);
    assert_eq!(taken.trim(), format!("case 3 is now {CAL}'s"));
    assert!(
        trove
            .as_(CORA, "2026-02-26")
            .refused(&["followups", "take", "3", "--to", IAN])
            .contains("refused (department)")
    );
    let queue = trove
        .as_(CAL, "2026-03-02")
        .ok(&["followups", "--all", "--format", "json"]);
    let queue: serde_json::Value = serde_json::from_str(&queue).expect("json");
    assert_eq!(queue["closed"], 2);
    assert_eq!(queue["first_contact"], 1);
    assert_eq!(queue["open"].as_u64(), Some(count as u64 - 1));
    assert_eq!(
        queue["breached"].as_u64(),
        Some(count as u64 - 1),
        "still open after their deadline"
    );

    // The remaining actions are done. Claims records its completion three days after the due
    // date, claiming a day before it: met late, the claim kept beside the recording day.
    let refusal =
        trove
            .as_(CAL, "2026-03-04")
            .refused(&["action", "done", "2", "--on", "2026-03-05"]);
    assert!(refusal.contains("refused (no future dates)"), "{refusal}");
    trove.as_(CAL, "2026-03-04").ok(&["action", "done", "2"]);
    let done = trove
        .as_(CLEO, "2026-03-04")
        .ok(&["action", "done", "3", "--on", "2026-02-28"]);
    assert_eq!(
        done.trim(),
        "action 3 done on 2026-02-28 as claimed, recorded 2026-03-04 (due 2026-03-01: met late, counted from the day recorded)"
    );

    // Verified by the chronic analysis, then resolved; a lesson goes into the bank.
    let ivy = trove.as_(IVY, "2026-07-02");
    ivy.ok(&["issue", "move", "1", "verifying"]);
    let refusal = ivy.refused(&["issue", "move", "1", "resolved"]);
    assert!(
        refusal.contains("refused (verification before resolution)"),
        "{refusal}"
    );
    let verified =
        trove
            .as_(ANN, "2026-07-02")
            .ok(&["issue", "verify", "1", "--fixed-on", "2026-03-15"]);
    assert!(
        verified.starts_with("issue 1: verified (rate ratio 0.1"),
        "{verified}"
    );
    ivy.ok(&["issue", "move", "1", "resolved"]);
    ivy.ok(&[
        "lessons",
        "add",
        "--issue",
        "1",
        "--title",
        "Uploads broke silently after a gateway change",
        "--what-happened",
        "Large phone photos timed out for months",
        "--what-worked",
        "Chunked uploads and a release test with real photos",
        "--reuse",
        "Every customer-facing upload path gets a release test",
    ]);
    let found = trove
        .as_(VIC, "2026-07-02")
        .ok(&["lessons", "search", "release", "upload"]);
    assert!(
        found.starts_with("lesson 1 (2 of the words), issue 1"),
        "{found}"
    );
    assert!(
        found.contains("root cause: Release checks have no upload test"),
        "{found}"
    );

    // The one-page plan and the progress report carry it all; the report keeps the promise.
    let page = trove.as_(VIC, "2026-07-02").ok(&["plan", "show", "1"]);
    for expected in [
        "Status: resolved.",
        "| 2025-07..2025-12 |",
        "ROOT CAUSE: Release checks have no upload test",
        "ROOT CAUSE: Nobody owns documents arriving outside the app",
        "re-planned 2026-02-20 -> 2026-03-05: The inbox needs a retention rule from Legal first",
        "latest 98.6 % on 2026-04-05: meets the target",
        "verified for a fix on 2026-03-15",
    ] {
        assert!(page.contains(expected), "{expected:?} missing from\n{page}");
    }
    // The promised report is late: a missed commitment until it is published.
    let missed = trove
        .as_(VIC, "2026-07-16")
        .ok(&["commitments", "--missed"]);
    assert!(
        missed.starts_with("MISSED   2026-07-15  issue 1   analysts"),
        "{missed}"
    );
    assert!(
        missed.contains("progress report of announcement 1 (1 days late)"),
        "{missed}"
    );
    // Showing the report records nothing; publishing it keeps the promise (late).
    let report = trove.as_(ANN, "2026-07-17").ok(&["report", "1"]);
    assert!(
        report.contains("- Done 2026-03-04: Documents sent by e-mail are never lost"),
        "{report}"
    );
    assert!(report.contains("complaints about it fell to 1"), "{report}");
    // "N of you told us" are the people it went to, or both counts are said.
    let told: usize = announced
        .split(" customers raised its themes")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the announcement says how many raised it");
    let said = if told == rows {
        format!("You said: {rows} of you told us about this.")
    } else {
        format!(
            "You said: {told} customers told us about this; this report goes to {rows} customers"
        )
    };
    assert!(report.contains(&said), "{said:?} missing from\n{report}");
    assert!(
        trove
            .as_(VIC, "2026-07-17")
            .ok(&["commitments", "--missed"])
            .contains("progress report of announcement 1"),
        "shown is not published"
    );
    let published = trove.as_(ANN, "2026-07-17").ok(&["report", "publish", "1"]);
    assert_eq!(published, report);
    let all = trove
        .as_(ANN, "2026-07-17")
        .ok(&["commitments", "--format", "json"]);
    let all: serde_json::Value = serde_json::from_str(&all).expect("json");
    let standings: Vec<&str> = all
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["standing"].as_str().expect("standing"))
        .collect();
    assert_eq!(
        standings,
        ["met", "met_late", "met", "met_late"],
        "action 3 was recorded late: {all}"
    );

    // Prevention work is judged by a panel from outside the team.
    trove.as_(CORA, "2026-07-17").ok(&[
        "recognition",
        "submit",
        "--department",
        "customer-care",
        "--title",
        "Owned inbox",
        "--description",
        "No document is lost outside the app",
        "--issue",
        "1",
    ]);
    let own_team = trove.as_(CORA, "2026-07-17").refused(&[
        "recognition",
        "judge",
        "1",
        "--scores",
        "5,5,5,5",
        "--comment",
        "ours",
    ]);
    assert!(
        own_team.contains("outside the submitting team"),
        "{own_team}"
    );
    let partial = trove.as_(IVY, "2026-07-17").refused(&[
        "recognition",
        "judge",
        "1",
        "--scores",
        "5,4",
        "--comment",
        "short",
    ]);
    assert!(
        partial.contains("refused (published criteria)"),
        "{partial}"
    );
    trove.as_(IVY, "2026-07-17").ok(&[
        "recognition",
        "judge",
        "1",
        "--scores",
        "4,5,3,4",
        "--comment",
        "measured and reusable",
    ]);
    trove.as_(ANN, "2026-07-17").ok(&[
        "recognition",
        "judge",
        "1",
        "--scores",
        "4,4,3,5",
        "--comment",
        "clear evidence",
    ]);
    let listed = trove.as_(VIC, "2026-07-17").ok(&["recognition", "list"]);
    assert!(
        listed.contains("mean total 16.0 of 20 from 2 judges"),
        "{listed}"
    );

    // The audit trail of the re-planned action: every change, who and what.
    let trail = trove.as_(VIC, "2026-07-10").ok(&["audit", "action:2"]);
    let kinds: Vec<&str> = trail
        .lines()
        .map(|l| {
            l.split("\"change\":\"")
                .nth(1)
                .and_then(|k| k.split('"').next())
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "action_planned",
            "action_replanned",
            "action_worded",
            "action_done"
        ],
        "{trail}"
    );
    assert!(trail.contains(CORA) && trail.contains(CAL));
    // Viewers read everything and change nothing.
    let refusal = trove
        .as_(VIC, "2026-07-10")
        .refused(&["issue", "move", "1", "recurred"]);
    assert!(refusal.contains("viewers change nothing"), "{refusal}");
}

/// Outside a rehearsal database every change carries the real time: `--now` is refused for
/// changes (with a message that says why and what to do), an admin may mark the database a
/// rehearsal for good; the journey is an admin's; the last admin stays an admin.
#[test]
fn pretended_times_are_refused_outside_a_rehearsal_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("real.db");
    let db = db.to_str().expect("a UTF-8 path");
    let rehearsed = Trove::new(db);
    let refusal = rehearsed.refused(&["user", "add", ADA, "--name", "Ada", "--role", "admin"]);
    assert!(
        refusal.contains("refused (real time): --now (TROVE_NOW) pretends another time"),
        "{refusal}"
    );
    let real = rehearsed.real();
    real.ok(&["user", "add", ADA, "--name", "Ada", "--role", "admin"]);
    let ada = real.as_(ADA, "").real();
    assert!(ada.ok(&["rehearsal"]).starts_with("not a rehearsal"));
    let as_of = rehearsed.as_(ADA, "2026-01-10");
    let refusal = as_of.refused(&["user", "add", ANN, "--name", "Ann", "--role", "analyst"]);
    assert!(refusal.contains("refused (real time)"), "{refusal}");
    assert!(
        as_of.ok(&["user", "list"]).contains(ADA),
        "reads may look as of any day"
    );
    ada.ok(&["user", "add", ANN, "--name", "Ann", "--role", "analyst"]);
    let trail = ada.ok(&["audit", &format!("user:{ANN}")]);
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(trail.contains(&today), "recorded at the real time: {trail}");

    // The journey adds and renames departments: admins only.
    let journey = dir.path().join("journey.toml");
    std::fs::write(
        &journey,
        "[[departments]]\nid = \"it\"\nname = \"IT\"\n\n[[stages]]\nid = \"buy\"\nname = \"Buy\"\n\n\
         [[stages.touchpoints]]\nid = \"quote\"\nname = \"Quote\"\ndepartments = [\"it\"]\n",
    )
    .expect("write");
    let journey = journey.to_str().expect("utf-8");
    let ann = real.as_(ANN, "").real();
    assert!(
        ann.refused(&["journey", "load", journey])
            .contains("refused (roles)")
    );
    assert!(
        real.refused(&["journey", "load", journey])
            .contains("refused (sign in)")
    );
    ada.ok(&["journey", "load", journey]);

    // The only admin cannot step down; with a second admin, they can.
    let demote = ["user", "change", ADA, "--role", "analyst"];
    assert!(ada.refused(&demote).contains("refused (last admin)"));
    ada.ok(&["user", "change", ANN, "--role", "admin"]);
    ada.ok(&demote);

    // An admin marks it a rehearsal, for good: then --now is allowed, and visible.
    let ann = real.as_(ANN, "").real();
    ann.ok(&["rehearsal", "on", "--reason", "training day"]);
    assert!(
        ann.ok(&["rehearsal"])
            .contains("(training day, by ann@northwind.example)")
    );
    rehearsed
        .as_(ANN, "2026-01-10")
        .ok(&["user", "add", VIC, "--name", "Vic", "--role", "viewer"]);
}
