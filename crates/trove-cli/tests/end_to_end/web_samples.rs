//! End-to-end: the Samples page of `trove serve`, over real HTTP. 200 customers in two
//! segments (generated here), a wave of 60 drawn by segment, three in four invitees answering:
//! the list shows the wave with its invited, answered and response rate; the wave's page shows
//! the allocation table (population, sample, design weight) and the design-weighted NPS with
//! its interval (as `trove scores --wave` prints it) beside the unweighted one, checked by
//! hand; a viewer is refused; an unknown wave is a 404.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::fmt::Write as _;

use common::web::{Server, set_password};
use common::{json, ok};

const ADMIN: &str = "ada@example.com";
const ANALYST: &str = "ann@example.com";
const VIEWER: &str = "vic@example.com";
const PASSWORD: &str = "correct horse battery staple";

#[test]
fn the_samples_page_shows_waves_allocations_and_weighted_beside_unweighted_nps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("samples.db");
    // Segment A: customers 1-120; B: 121-200.
    let mut customers = String::from("id,segment,region\n");
    for i in 1..=200 {
        let segment = if i <= 120 { "A" } else { "B" };
        writeln!(customers, "C{i:03},{segment},North").unwrap();
    }
    let file = dir.path().join("customers.csv");
    std::fs::write(&file, customers).unwrap();
    ok(&db, &["import", "customers", file.to_str().unwrap()]);
    ok(
        &db,
        &["user", "add", ADMIN, "--name", "Ada", "--role", "admin"],
    );
    for (email, name, role) in [(ANALYST, "Ann", "analyst"), (VIEWER, "Vic", "viewer")] {
        ok(
            &db,
            &[
                "user", "add", email, "--name", name, "--role", role, "--as", ADMIN,
            ],
        );
    }
    for email in [ADMIN, ANALYST, VIEWER] {
        assert!(set_password(&db, ADMIN, email, PASSWORD).status.success());
    }
    ok(
        &db,
        &["rehearsal", "on", "--reason", "samples page", "--as", ADMIN],
    );
    let drawn = json(
        &db,
        &[
            "sample",
            "--n",
            "60",
            "--strata",
            "segment",
            "--seed",
            "5",
            "--format",
            "json",
            "--now",
            "2026-01-05",
            "--as",
            ADMIN,
        ],
    );
    let wave = drawn["wave"].as_i64().unwrap();
    let invited: Vec<(String, String)> = ok(&db, &["sample", "list", "--wave", &wave.to_string()])
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned())
        })
        .collect();
    assert_eq!(invited.len(), 60);

    // Three in four invitees answer, 10, 8 or 3 by turn.
    let mut csv = String::from("id,date,customer,nps,comment\n");
    let (mut promoters, mut detractors, mut answers) = (0_i64, 0_i64, 0_i64);
    for (k, (customer, _)) in invited.iter().enumerate() {
        if k % 4 == 3 {
            continue;
        }
        let score = [10, 8, 3][k % 3];
        writeln!(csv, "w-{k},2026-01-10,{customer},{score},answer").unwrap();
        answers += 1;
        promoters += i64::from(score == 10);
        detractors += i64::from(score == 3);
    }
    let file = dir.path().join("answers.csv");
    std::fs::write(&file, csv).unwrap();
    ok(
        &db,
        &[
            "import",
            file.to_str().unwrap(),
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

    // `trove scores --wave` is `trove sample estimate --wave`.
    let estimate = json(
        &db,
        &["scores", "--wave", &wave.to_string(), "--format", "json"],
    );
    assert_eq!(
        estimate,
        json(
            &db,
            &[
                "sample",
                "estimate",
                "--wave",
                &wave.to_string(),
                "--format",
                "json"
            ]
        )
    );
    let weighted = &estimate["estimate"];
    assert_eq!(weighted["respondents"].as_i64(), Some(answers));
    // The unweighted NPS by hand: every answer once, Wald interval of the ±1 code.
    let n = answers as f64;
    let (p, d) = (promoters as f64 / n, detractors as f64 / n);
    let plain = 100.0 * (p - d);
    let half = 100.0 * 1.959_963_984_540_054 * ((p + d - (p - d).powi(2)) / n).sqrt();
    let unweighted = &estimate["unweighted"];
    assert!(
        (unweighted["value"].as_f64().unwrap() - plain).abs() < 1e-9,
        "{unweighted}"
    );
    assert!((unweighted["ci_high"].as_f64().unwrap() - (plain + half)).abs() < 1e-9);

    let server = Server::start(&db, &dir.path().join("serve.log"));
    let admin = server.sign_in(ADMIN, PASSWORD).session();
    let list = server.get("/samples", Some(&admin));
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        list.body.contains("aria-current=\"page\">Samples<"),
        "in the navigation"
    );
    assert!(list.body.contains(&format!("href=\"/samples/{wave}\"")));
    let rate = format!("{:.1}%", 100.0 * n / 60.0);
    assert!(
        list.body.contains(&format!(
            "<td class=\"num\">60</td><td class=\"num\">{answers}</td><td class=\"num\">{rate}</td>"
        )),
        "invited, answered, response rate: {}",
        list.body
    );
    assert!(list.body.contains("<td>segment</td><td>proportional</td>"));

    let analyst = server.sign_in(ANALYST, PASSWORD).session();
    let page = server.get(&format!("/samples/{wave}"), Some(&analyst));
    assert_eq!(page.status, 200, "{}", page.body);
    let weighted_text = format!(
        "{:.1} (95% CI {:.1} to {:.1})",
        weighted["nps"].as_f64().unwrap(),
        weighted["ci_low"].as_f64().unwrap(),
        weighted["ci_high"].as_f64().unwrap()
    );
    assert!(
        page.body
            .contains(&format!("<dt>Design-weighted</dt><dd>{weighted_text}</dd>")),
        "{}",
        page.body
    );
    let unweighted_text = format!(
        "{plain:.1} (95% CI {:.1} to {:.1}, n = {answers})",
        plain - half,
        plain + half
    );
    assert!(
        page.body
            .contains(&format!("<dt>Unweighted</dt><dd>{unweighted_text}</dd>")),
        "{}",
        page.body
    );
    for row in drawn["plan"]["rows"].as_array().unwrap() {
        let line = format!(
            "<th scope=\"row\">{}</th><td class=\"num\">{}</td>",
            row["stratum"].as_str().unwrap(),
            row["population"]
        );
        assert!(page.body.contains(&line), "{line} in {}", page.body);
        let weight = format!(
            "<td class=\"num\">{:.2}</td>",
            row["weight"].as_f64().unwrap()
        );
        assert!(page.body.contains(&weight), "the design weight {weight}");
    }
    assert!(
        page.body
            .contains("<th scope=\"row\">All strata</th><td class=\"num\">200</td>")
    );

    let viewer = server.sign_in(VIEWER, PASSWORD).session();
    let refused = server.get("/samples", Some(&viewer));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("analysts and admins"));
    assert_eq!(server.get("/samples/99", Some(&admin)).status, 404);
    assert_eq!(server.get("/samples/x", Some(&admin)).status, 404);
    assert_eq!(
        server.get("/samples", None).status,
        303,
        "signed-in people only"
    );
}
