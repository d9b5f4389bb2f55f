//! End-to-end over HTTP on the demo: the suggestion flag stored per item, counted on a theme's
//! page and linked to `/items?...&suggestion=yes`, which shows exactly that count with the
//! filter shown and removable; the theme's story examples say different things; and no
//! sign-off name is left unmasked in the demo's texts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::HashSet;

use common::web::Server;
use common::{json, ok};

const ADA: &str = "ada@example.com";
const PASSWORD: &str = "a long test passphrase";

fn unescape(html: &str) -> String {
    html.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
}

/// The count in the page's heading ("1,144 items mentioning ...").
fn heading_count(body: &str) -> u64 {
    let h1 = body.find("<h1").expect("a heading");
    let at = h1 + body[h1..].find('>').expect("a heading's tag") + 1;
    let digits: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a count heads the page")
}

/// The link and number of the theme page's "Suggestions" tile.
fn suggestions_tile(body: &str) -> (String, u64) {
    let at = body
        .find("<dt>Suggestions</dt>")
        .expect("a suggestions tile");
    let rest = &body[at..];
    let href = rest.split("<a href=\"").nth(1).unwrap().split('"').next();
    let number = rest.split("\">").nth(1).unwrap().split('<').next().unwrap();
    (
        unescape(href.unwrap()),
        number.replace(',', "").parse().unwrap(),
    )
}

#[test]
fn a_themes_suggestions_link_to_exactly_those_items_and_the_filter_is_removable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo", "--data-only"]);
    ok(
        &db,
        &["user", "add", ADA, "--name", "Ada", "--role", "admin"],
    );
    assert!(
        common::web::set_password(&db, ADA, ADA, PASSWORD)
            .status
            .success()
    );

    // The theme with the most stored suggestions, as `trove cues` reads the flag.
    let cues = json(&db, &["cues", "--format", "json"]);
    let stored = cues["suggestions"].as_u64().unwrap();
    assert!(stored > 0, "the demo's texts carry suggestions");
    let themes = cues["themes"].as_array().unwrap();
    let theme = themes
        .iter()
        .max_by_key(|t| t["suggestions"].as_u64().unwrap())
        .unwrap();
    let id = theme["theme"].as_str().unwrap();
    assert!(theme["suggestions"].as_u64().unwrap() > 0);

    let server = Server::start(&db, &dir.path().join("serve.log"));
    let ada = server.sign_in(ADA, PASSWORD).session();
    let page = server.get(&format!("/themes/{id}"), Some(&ada));
    assert_eq!(page.status, 200, "{}", page.body);
    let (href, count) = suggestions_tile(&page.body);
    assert!(href.starts_with("/items?from="), "{href}");
    assert!(href.contains(&format!("theme={id}")) && href.ends_with("&suggestion=yes"));
    assert!(count > 0, "the window holds some of {id}'s suggestions");

    let items = server.get(&href, Some(&ada));
    assert_eq!(items.status, 200, "{}", items.body);
    assert_eq!(
        heading_count(&items.body),
        count,
        "the number that linked here"
    );
    assert!(
        items.body.contains("Suggestions only <a href=\""),
        "the filter is shown"
    );
    let listed = items.body.matches("<li class=\"drill-item\">").count() as u64;
    assert_eq!(listed, count.min(50));
    assert_eq!(
        items.body.matches("class=\"suggestion-mark\"").count() as u64,
        listed,
        "every item listed is marked a suggestion"
    );
    // Removing the filter gives the theme's items in the window: more than its suggestions.
    let removal = href.replace("&suggestion=yes", "");
    assert!(
        unescape(&items.body).contains(&format!(
            "<a href=\"{removal}\" aria-label=\"Remove the filter Suggestions only\""
        )),
        "the filter's removal keeps the others"
    );
    let all = server.get(&removal, Some(&ada));
    assert!(heading_count(&all.body) > count);
    // The other side of the filter adds up.
    let others = server.get(&href.replace("suggestion=yes", "suggestion=no"), Some(&ada));
    assert_eq!(
        heading_count(&others.body) + count,
        heading_count(&all.body)
    );
    let refused = server.get("/items?suggestion=maybe", Some(&ada));
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("suggestion: `maybe` is not one of yes, no")
    );

    // The stories' examples of a part say three different things.
    let stories = server.get("/themes/claim-payout-delay", Some(&ada));
    let at = stories.body.find("id=\"stories-title\"").unwrap();
    let section = &stories.body[at..at + stories.body[at..].find("</section>").unwrap()];
    for row in section.split("<tr><th scope=\"row\">").skip(1) {
        let texts: Vec<String> = row
            .split("<li><a href=\"/items/")
            .skip(1)
            .map(|l| l.split_once("\">").unwrap().1.split("</a>").next().unwrap())
            .map(|t| unescape(t).to_lowercase())
            .collect();
        let distinct: HashSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), texts.len(), "{texts:?}");
    }
}

#[test]
fn the_demo_leaves_no_sign_off_name_unmasked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo", "--data-only"]);
    let out = dir.path().join("items.csv");
    ok(
        &db,
        &["export", "--format", "csv", "--out", out.to_str().unwrap()],
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    let signed = csv.matches("Regards, [name]").count();
    assert!(signed > 100, "the demo's e-mails sign off: {signed}");
    let lower = csv.to_ascii_lowercase();
    let mut left = Vec::new();
    for phrase in ["regards, ", "thanks, ", "thank you, ", "cheers, ", "best, "] {
        for (at, _) in lower.match_indices(phrase) {
            let rest = &csv[at + phrase.len()..];
            let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
            let after = rest[word.len()..].trim_start_matches(['.', '!']);
            let ends = after.is_empty() || after.starts_with(['"', '\n', '\r', ',']);
            if word.chars().next().is_some_and(char::is_uppercase) && ends {
                left.push(csv[at..at + phrase.len() + word.len()].to_owned());
            }
        }
    }
    assert!(left.is_empty(), "unmasked sign-offs: {left:?}");
}
