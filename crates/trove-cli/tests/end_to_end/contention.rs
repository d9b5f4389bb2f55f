//! Several `trove` processes writing to one database at once: none gives up. Two imports
//! started together on a new SQLite file both succeed (the busy timeout is set before the file
//! is switched to WAL), and sixteen people changing the workflow at once on PostgreSQL all get
//! their change recorded (a writer that lost the race backs off with jitter and tries again
//! until a deadline).

use crate::common;

use std::process::{Child, Command, Stdio};

use common::{PgSchema, ROOT, TROVE};

fn spawn(db: &str, args: &[&str], user: Option<&str>) -> Child {
    let mut command = Command::new(TROVE);
    command
        .args(args)
        .arg("--db")
        .arg(db)
        .env_remove("TROVE_USER")
        .env_remove("TROVE_NOW")
        .current_dir(ROOT)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(user) = user {
        command.env("TROVE_USER", user);
    }
    command.spawn().expect("start trove")
}

/// Waits for every process; panics naming the first that failed, with its error output.
fn all_succeed(children: Vec<Child>, what: &str) {
    for (n, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("wait for trove");
        assert!(
            output.status.success(),
            "{what}: process {n} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn two_imports_started_together_on_a_new_sqlite_file_both_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("answers.csv");
    std::fs::write(
        &csv,
        "id,comment\n1,The app keeps logging me out\n2,Great service\n3,Slow refund\n",
    )
    .expect("write the file");
    let csv = csv.to_str().expect("a UTF-8 path");
    let args = [
        "import",
        csv,
        "--channel",
        "survey",
        "--id-column",
        "id",
        "--text-column",
        "comment",
    ];
    for round in 0..100 {
        let db = dir.path().join(format!("round-{round}.db"));
        let db = db.to_str().expect("a UTF-8 path");
        let children = vec![spawn(db, &args, None), spawn(db, &args, None)];
        all_succeed(children, &format!("round {round}"));
    }
}

#[test]
fn sixteen_people_changing_the_workflow_at_once_on_postgres_all_succeed() {
    let Some(schema) = PgSchema::fresh() else {
        return;
    };
    let db = schema.url_with("");
    const ADMIN: &str = "ada@northwind.example";
    let first = spawn(
        &db,
        &["user", "add", ADMIN, "--name", "Ada", "--role", "admin"],
        None,
    );
    all_succeed(vec![first], "the first admin");
    let emails: Vec<String> = (0..16)
        .map(|n| format!("viewer{n}@northwind.example"))
        .collect();
    let children = emails
        .iter()
        .map(|email| {
            spawn(
                &db,
                &["user", "add", email, "--name", email, "--role", "viewer"],
                Some(ADMIN),
            )
        })
        .collect();
    all_succeed(children, "16 writers");
    let listed = Command::new(TROVE)
        .args(["user", "list", "--db", &db])
        .env("TROVE_USER", ADMIN)
        .env_remove("TROVE_NOW")
        .current_dir(ROOT)
        .output()
        .expect("run trove user list");
    let listed = String::from_utf8_lossy(&listed.stdout);
    for email in &emails {
        assert!(
            listed.contains(email.as_str()),
            "{email} missing:\n{listed}"
        );
    }
}
