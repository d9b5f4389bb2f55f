//! Stratified survey samples end to end: 200 customers in four strata (generated here), past
//! NPS answers for Neyman's deviations, two waves drawn with a quarantine (the second invites
//! no one of the first), opt-outs, refusals that name the missing attribute, and a wave's
//! answers imported later, estimated with the design weights and checked by hand.

use crate::common;

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use common::{ROOT, TROVE, json, ok};
use serde_json::Value;

const ADMIN: &str = "ada@example.com";

/// Customer `i` (1..=200): segment A for the first 120, B after; regions alternate N / S; no
/// business unit.
fn customers_csv() -> String {
    let mut csv = String::from("id,segment,business_unit,region,lifetime_value,currency\n");
    for i in 1..=200 {
        let segment = if i <= 120 { "A" } else { "B" };
        let region = if i % 2 == 0 { "N" } else { "S" };
        writeln!(csv, "C{i:03},{segment},,{region},{},EUR", 100 * i).expect("a String");
    }
    csv
}

/// Past answers (June 2025) of every third customer of segment A (1, 4, ... 118): scores
/// spread over 0-10. Segment B has none.
fn past_answers_csv() -> String {
    let mut csv = String::from("id,date,customer,nps,comment\n");
    for i in (1..=120).step_by(3) {
        writeln!(
            csv,
            "past-{i},2025-06-{:02},C{i:03},{},past answer",
            1 + i % 28,
            (i * 7) % 11
        )
        .expect("a String");
    }
    csv
}

fn import_answers(db: &Path, file: &Path) {
    ok(
        db,
        &[
            "import",
            file.to_str().expect("utf-8"),
            "--source",
            "survey",
            "--channel",
            "survey",
            "--id-column",
            "id",
            "--time-column",
            "date",
            "--nps-column",
            "nps",
            "--text-column",
            "comment",
            "--customer-column",
            "customer",
        ],
    );
}

/// A database with the customers and their past answers, marked a rehearsal (so a draw may
/// pretend its day with --now).
fn company() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("sample.db");
    load_company(dir.path(), &db);
    (dir, db)
}

/// Loads the customers and past answers into `db` (files written in `dir`).
fn load_company(dir: &Path, db: &Path) {
    let customers = dir.join("customers.csv");
    std::fs::write(&customers, customers_csv()).expect("write");
    ok(
        db,
        &["import", "customers", customers.to_str().expect("utf-8")],
    );
    let past = dir.join("past.csv");
    std::fs::write(&past, past_answers_csv()).expect("write");
    import_answers(db, &past);
    ok(
        db,
        &["user", "add", ADMIN, "--name", "Ada", "--role", "admin"],
    );
    ok(
        db,
        &["rehearsal", "on", "--reason", "samples", "--as", ADMIN],
    );
}

/// `trove ARGS` expected to fail: its standard error.
fn refused(db: &Path, args: &[&str]) -> String {
    let output = Command::new(TROVE)
        .args(args)
        .arg("--db")
        .arg(db)
        .current_dir(ROOT)
        .output()
        .expect("run trove");
    assert!(!output.status.success(), "trove {args:?} should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// (customer id, stratum) of a list CSV.
fn list(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].to_owned(), fields[1].to_owned())
        })
        .collect()
}

fn draw(db: &Path, seed: &str, now: &str, more: &[&str]) -> Value {
    let mut args = vec![
        "sample",
        "--n",
        "60",
        "--strata",
        "segment,region",
        "--seed",
        seed,
        "--quarantine-days",
        "30",
        "--format",
        "json",
        "--now",
        now,
        "--as",
        ADMIN,
    ];
    args.extend_from_slice(more);
    json(db, &args)
}

#[test]
fn a_second_wave_within_the_quarantine_invites_no_one_of_the_first() {
    let (dir, db) = company();
    quarantine(dir.path(), &db);
}

#[test]
fn a_second_wave_within_the_quarantine_invites_no_one_of_the_first_on_postgresql() {
    let Some(schema) = common::PgSchema::fresh() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = std::path::PathBuf::from(schema.url_with(""));
    load_company(dir.path(), &db);
    quarantine(dir.path(), &db);
}

/// Two waves a week apart with a 30-day quarantine, then the first seed again after it.
fn quarantine(dir: &Path, db: &Path) {
    let db = db.to_path_buf();
    let first = draw(&db, "11", "2026-01-05", &[]);
    let plan = &first["plan"];
    // Proportional over 60 / 60 / 40 / 40 of 200: 18, 18, 12, 12; weights 10/3.
    let rows = plan["rows"].as_array().expect("rows");
    let table: Vec<(String, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["stratum"].as_str().expect("name").to_owned(),
                r["population"].as_u64().expect("N_h"),
                r["sample"].as_u64().expect("n_h"),
            )
        })
        .collect();
    assert_eq!(
        table,
        vec![
            ("segment=A · region=N".to_owned(), 60, 18),
            ("segment=A · region=S".to_owned(), 60, 18),
            ("segment=B · region=N".to_owned(), 40, 12),
            ("segment=B · region=S".to_owned(), 40, 12),
        ]
    );
    assert!((rows[0]["weight"].as_f64().expect("weight") - 60.0 / 18.0).abs() < 1e-12);
    let first_wave = first["wave"].as_i64().expect("a wave").to_string();
    let first_list = list(&ok(&db, &["sample", "list", "--wave", &first_wave]));
    assert_eq!(first_list.len(), 60);

    // The same seed a week later: the 60 invited are quarantined, none of them is drawn.
    let second = draw(&db, "11", "2026-01-12", &[]);
    assert_eq!(second["plan"]["quarantined"], 60);
    let second_wave = second["wave"].as_i64().expect("a wave").to_string();
    let second_list = list(&ok(&db, &["sample", "list", "--wave", &second_wave]));
    assert_eq!(second_list.len(), 60);
    let invited: HashSet<&String> = first_list.iter().map(|(id, _)| id).collect();
    assert!(second_list.iter().all(|(id, _)| !invited.contains(id)));

    // After the quarantine, the first wave's seed draws the first wave's sample again... but
    // only once the second wave's quarantine is over too: 2026-03-01 is 55 days later.
    let out = dir.join("again.csv");
    let mut args = vec![
        "sample",
        "--n",
        "60",
        "--strata",
        "segment,region",
        "--seed",
        "11",
    ];
    args.extend([
        "--quarantine-days",
        "30",
        "--now",
        "2026-03-01",
        "--dry-run",
        "--out",
    ]);
    args.push(out.to_str().expect("utf-8"));
    ok(&db, &args);
    let repeated = list(&std::fs::read_to_string(&out).expect("the list"));
    assert_eq!(
        repeated, first_list,
        "the same seed on the same customers draws the same sample"
    );

    let waves = json(&db, &["sample", "waves", "--format", "json"]);
    assert_eq!(
        waves.as_array().expect("waves").len(),
        2,
        "a dry run records nothing"
    );
    assert_eq!(waves[0]["invited"], 60);
    assert_eq!(waves[0]["drawn_by"], ADMIN);
}

#[test]
fn opted_out_customers_are_never_drawn_and_missing_attributes_are_named() {
    let (_dir, db) = company();
    ok(&db, &["sample", "opt-out", "C007"]);
    assert!(ok(&db, &["sample", "opt-out", "C007"]).contains("already"));
    // Everyone who may be drawn is drawn: 199.
    let all = json(
        &db,
        &[
            "sample",
            "--n",
            "199",
            "--strata",
            "segment",
            "--seed",
            "3",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(all["plan"]["opted_out"], 1);
    assert_eq!(all["invited"], 199);
    let too_many = refused(
        &db,
        &["sample", "--n", "200", "--strata", "segment", "--seed", "3"],
    );
    assert!(
        too_many.contains("only 199 customers may be drawn"),
        "{too_many}"
    );
    let missing = refused(
        &db,
        &[
            "sample",
            "--n",
            "5",
            "--strata",
            "segment,business-unit",
            "--seed",
            "3",
        ],
    );
    assert!(
        missing.contains("--strata business-unit: no stored customer has a business unit"),
        "{missing}"
    );
    let stranger = refused(
        &db,
        &[
            "sample",
            "--n",
            "5",
            "--strata",
            "segment",
            "--seed",
            "3",
            "--as",
            "eve@example.com",
        ],
    );
    assert!(stranger.contains("is not a Trove user"), "{stranger}");
    let unknown = refused(&db, &["sample", "opt-out", "C999"]);
    assert!(unknown.contains("no customer \"C999\""), "{unknown}");
}

#[test]
fn neyman_reads_past_answers_and_falls_back_when_a_stratum_has_too_few() {
    let (_dir, db) = company();
    let neyman = json(
        &db,
        &[
            "sample",
            "--n",
            "40",
            "--strata",
            "region",
            "--allocation",
            "neyman",
            "--seed",
            "5",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(neyman["plan"]["used"], "neyman");
    let rows = neyman["plan"]["rows"].as_array().expect("rows");
    // Region N answered by customers 4, 10, ... 118 (20), region S by 1, 7, ... 115 (20).
    assert_eq!(rows[0]["past_answers"], 20);
    assert_eq!(rows[1]["past_answers"], 20);
    // Hand check from the deviations the plan reports: n_h = 40·N_h·S_h / Σ N_h·S_h, rounded
    // by the largest remainder (so within 1 of the quota), Σ n_h = 40.
    let weights: Vec<f64> = rows
        .iter()
        .map(|r| r["population"].as_f64().expect("N") * r["deviation"].as_f64().expect("S"))
        .collect();
    let quota0 = 40.0 * weights[0] / (weights[0] + weights[1]);
    let n0 = rows[0]["sample"].as_u64().expect("n");
    let n1 = rows[1]["sample"].as_u64().expect("n");
    assert_eq!(n0 + n1, 40);
    assert!((n0 as f64 - quota0).abs() < 1.0, "{n0} vs {quota0}");
    assert_eq!(
        n0 as f64,
        (quota0 + 0.5).floor(),
        "two strata: the nearest whole number"
    );

    // Segment B has no past answers: the allocation is proportional, and says so.
    let fallback = json(
        &db,
        &[
            "sample",
            "--n",
            "40",
            "--strata",
            "segment",
            "--allocation",
            "neyman",
            "--seed",
            "5",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(fallback["plan"]["used"], "proportional");
    assert_eq!(fallback["plan"]["rows"][1]["sample"], 16, "40 · 80 / 200");
    let notes = fallback["plan"]["notes"].to_string();
    assert!(notes.contains("segment=B"), "{notes}");
    assert!(
        notes.contains("fewer, so the allocation is proportional"),
        "{notes}"
    );
}

#[test]
fn a_waves_answers_give_the_design_weighted_nps_computed_by_hand() {
    let (dir, db) = company();
    let drawn = draw(&db, "21", "2026-01-05", &[]);
    let wave = drawn["wave"].as_i64().expect("a wave").to_string();
    let invited = list(&ok(&db, &["sample", "list", "--wave", &wave]));

    // Three in four invitees answer on 10 January: 10, 8 or 3 by turn. One answers again later
    // (only the first answer counts), a customer not invited answers (not counted), and an
    // invitee who did not answer writes after the 60-day window (not counted).
    let mut csv = String::from("id,date,customer,nps,comment\n");
    let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new(); // stratum -> (net, answers)
    for (k, (customer, stratum)) in invited.iter().enumerate() {
        if k % 4 == 3 {
            continue;
        }
        let score = [10, 8, 3][k % 3];
        writeln!(csv, "w-{k},2026-01-10,{customer},{score},answer").expect("a String");
        let entry = expected.entry(stratum.clone()).or_default();
        entry.0 += match score {
            10 => 1,
            3 => -1,
            _ => 0,
        };
        entry.1 += 1;
    }
    writeln!(csv, "again,2026-01-20,{},0,changed my mind", invited[0].0).expect("a String");
    let outsider = (1..=200)
        .map(|i| format!("C{i:03}"))
        .find(|id| invited.iter().all(|(c, _)| c != id))
        .expect("someone not invited");
    writeln!(csv, "outsider,2026-01-10,{outsider},0,not invited").expect("a String");
    writeln!(csv, "late,2026-03-20,{},0,too late", invited[3].0).expect("a String");
    let answers = dir.path().join("answers.csv");
    std::fs::write(&answers, csv).expect("write");
    import_answers(&db, &answers);

    let estimate = json(
        &db,
        &["sample", "estimate", "--wave", &wave, "--format", "json"],
    );
    let rows = drawn["plan"]["rows"].as_array().expect("rows");
    let population: f64 = rows
        .iter()
        .map(|r| r["population"].as_f64().expect("N"))
        .sum();
    let by_hand: f64 = rows
        .iter()
        .map(|r| {
            let (net, answers) = expected[r["stratum"].as_str().expect("name")];
            r["population"].as_f64().expect("N") / population * net as f64 / answers as f64
        })
        .sum::<f64>()
        * 100.0;
    let result = &estimate["estimate"];
    assert!(
        (result["nps"].as_f64().expect("nps") - by_hand).abs() < 1e-9,
        "{result} vs {by_hand}"
    );
    assert_eq!(result["respondents"], 45);
    let (low, high) = (
        result["ci_low"].as_f64().expect("low"),
        result["ci_high"].as_f64().expect("high"),
    );
    assert!(low < by_hand && by_hand < high);
    let table = ok(&db, &["sample", "estimate", "--wave", &wave]);
    assert!(
        table.contains("weighted NPS") && table.contains("95% CI"),
        "{table}"
    );
}
