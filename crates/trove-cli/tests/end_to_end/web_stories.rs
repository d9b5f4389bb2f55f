//! End-to-end over HTTP: a theme's page shows its contact-centre stories beside its verbatims
//! (on the demo's claim-payout-delay): per part, how many of the theme's calls, chats, e-mails,
//! tickets and notes tell it, and up to three examples, each linked to an item whose text says
//! it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::web::{Server, set_password};
use common::{demo, ok};

const ADA: &str = "ada@example.com";
const PASSWORD: &str = "a long test passphrase";

/// Text as the page escapes it, back to plain.
fn plain(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

#[test]
fn a_themes_page_shows_its_stories_each_example_linked_to_its_item() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo(&db, &["demo", "--data-only"]);
    ok(
        &db,
        &["user", "add", ADA, "--name", "Ada", "--role", "admin"],
    );
    assert!(set_password(&db, ADA, ADA, PASSWORD).status.success());
    let server = Server::start(&db, &dir.path().join("serve.log"));
    let ada = server.sign_in(ADA, PASSWORD).session();

    let page = server.get("/themes/claim-payout-delay", Some(&ada));
    assert_eq!(page.status, 200, "{}", page.body);
    let at = page
        .body
        .find("<h2 id=\"stories-title\">Their stories</h2>")
        .expect("the stories section");
    let section = &page.body[at..page.body[at..].find("</section>").unwrap() + at];
    assert!(section.contains("tell part of a story"), "{section}");
    let mut examples = 0;
    for row in section.split("<tr><th scope=\"row\">").skip(1) {
        let items: u64 = row
            .split("<td class=\"num\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap();
        let links: Vec<(&str, &str)> = row
            .split("<li><a href=\"/items/")
            .skip(1)
            .map(|l| {
                let (id, rest) = l.split_once("\">").unwrap();
                (id, rest.split("</a>").next().unwrap())
            })
            .collect();
        assert!(links.len() as u64 <= items.min(3), "{row}");
        for (id, text) in links {
            let item = server.get(&format!("/items/{id}"), Some(&ada));
            assert_eq!(item.status, 200);
            assert!(
                plain(&item.body).contains(&plain(text)),
                "item {id} says {text:?}"
            );
            examples += 1;
        }
    }
    assert!(
        examples >= 3,
        "the demo's claim calls tell stories: {section}"
    );
}
