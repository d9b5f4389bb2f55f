//! The contract every [`Store`] backend must honour, as plain functions that panic on failure.
//!
//! A backend's integration test instantiates the whole suite with [`contract_suite!`], giving
//! it a function that returns a fresh, empty, migrated store (or `None` to skip, e.g. when no
//! PostgreSQL server is configured outside CI).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the report"
)]

use std::ops::ControlFlow;

use jiff::Timestamp;
use jiff::civil::date;
use jiff::tz::Offset;
use trove_domain::{
    Attributes, Channel, Currency, Customer, CustomerId, Department, ExternalId, FeedbackItem,
    FeedbackText, Journey, Label, Money, Nps, ReceivedAt, ScoreTally, Scores, Slug, Stage, Theme,
    Touchpoint,
};

use crate::{Dimension, FeedbackFilter, ImportStatus, ImportTotals, NewImportRun, Store};

/// Declares one `#[test]` per contract case, each on a store made by `$make`, an expression of
/// type `fn() -> Option<Box<dyn Store>>`.
#[macro_export]
macro_rules! contract_suite {
    ($make:expr) => {
        $crate::contract_suite!(@cases $make;
            migrating_twice_applies_nothing_the_second_time,
            inserted_feedback_reads_back_field_for_field,
            a_repeated_item_is_a_duplicate_within_and_across_batches,
            the_same_external_id_in_another_source_is_a_different_item,
            a_scan_visits_every_item_once_in_id_order_and_can_stop,
            filters_select_by_time_source_and_channel,
            tallies_by_dimension_match_the_tally_of_the_items,
            month_groups_use_utc_calendar_months,
            source_themes_are_created_once_and_read_back,
            customers_are_upserted_by_id,
            a_scan_of_customers_visits_all_in_pages,
            a_journey_is_replaced_and_departments_are_kept,
            themes_are_upserted_and_listed_by_id,
            import_runs_record_their_end,
            a_large_batch_is_stored_whole,
        );
    };
    (@cases $make:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                match ($make)() {
                    Some(store) => $crate::contract::$case(&*store),
                    None => eprintln!("skipped: no store of this backend is configured"),
                }
            }
        )+
    };
}

fn label(raw: &str) -> Label {
    Label::parse("label", raw).unwrap()
}

fn slug(raw: &str) -> Slug {
    Slug::parse("id", raw).unwrap()
}

fn at(rfc3339: &str, offset_hours: i8) -> ReceivedAt {
    let ts: Timestamp = rfc3339.parse().unwrap();
    ReceivedAt::new(ts, Offset::from_hours(offset_hours).unwrap())
}

/// A plain survey answer; tests adjust fields as needed.
pub fn item(source: &str, external_id: &str) -> FeedbackItem {
    FeedbackItem {
        source: label(source),
        channel: Channel::Survey,
        external_id: ExternalId::parse(external_id).unwrap(),
        received_at: at("2025-03-01T12:00:00Z", 0),
        customer_id: None,
        account: None,
        business_unit: None,
        product: None,
        region: None,
        touchpoint: None,
        journey_stage: None,
        text: FeedbackText::parse("fine").unwrap(),
        scores: Scores::default(),
        language: None,
        source_themes: Vec::new(),
        attributes: Attributes::default(),
    }
}

fn full_item() -> FeedbackItem {
    let mut attributes = Attributes::default();
    attributes.insert("agent", "Ana").unwrap();
    attributes.insert("plan", "Gold \"plus\" ünïcode").unwrap();
    FeedbackItem {
        channel: Channel::EmployeeNote,
        received_at: at("2015-02-24T19:35:52Z", -8),
        customer_id: Some(CustomerId::parse("C-1").unwrap()),
        account: Some(label("ACC-9")),
        business_unit: Some(label("Home")),
        product: Some(label("Home Plus")),
        region: Some(label("North")),
        touchpoint: Some(label("first-bill")),
        journey_stage: Some(label("pay")),
        text: FeedbackText::parse("The fee was a surprise; l'été, 日本語 and emoji 🙂 survive")
            .unwrap(),
        scores: Scores {
            nps: Some(Nps::try_from(3).unwrap()),
            csat: Some(trove_domain::Csat::try_from(2).unwrap()),
            ces: Some(trove_domain::Ces::try_from(6).unwrap()),
        },
        language: Some(label("en")),
        source_themes: vec![label("Surprise fee"), label("Billing")],
        attributes,
        ..item("crm", "N-1")
    }
}

fn read_all(store: &dyn Store, filter: &FeedbackFilter) -> Vec<trove_domain::StoredFeedback> {
    let mut all = Vec::new();
    store
        .scan_feedback(filter, 7, &mut |page| {
            all.extend(page);
            ControlFlow::Continue(())
        })
        .unwrap();
    all
}

pub fn migrating_twice_applies_nothing_the_second_time(store: &dyn Store) {
    assert!(
        store.migrate().unwrap().is_empty(),
        "a fresh store is already migrated"
    );
    assert!(store.migrate().unwrap().is_empty());
}

pub fn inserted_feedback_reads_back_field_for_field(store: &dyn Store) {
    let original = full_item();
    let bare = FeedbackItem {
        text: FeedbackText::default(),
        ..item("crm", "N-2")
    };
    let outcome = store
        .insert_feedback(&[original.clone(), bare.clone()], None)
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (2, 0));
    let stored = read_all(store, &FeedbackFilter::default());
    assert_eq!(stored.len(), 2);
    assert!(stored[0].id < stored[1].id);
    let mut expected = original;
    expected.source_themes.sort();
    let mut got = stored[0].item.clone();
    got.source_themes.sort();
    assert_eq!(got, expected);
    assert_eq!(stored[1].item, bare);
}

pub fn a_repeated_item_is_a_duplicate_within_and_across_batches(store: &dyn Store) {
    let first = store
        .insert_feedback(&[item("s", "1"), item("s", "2"), item("s", "1")], None)
        .unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 1));
    let again = store
        .insert_feedback(&[item("s", "2"), item("s", "3")], None)
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (1, 1));
    assert_eq!(store.count_feedback(&FeedbackFilter::default()).unwrap(), 3);
}

pub fn the_same_external_id_in_another_source_is_a_different_item(store: &dyn Store) {
    let outcome = store
        .insert_feedback(&[item("a", "1"), item("b", "1")], None)
        .unwrap();
    assert_eq!(outcome.inserted, 2);
}

pub fn a_scan_visits_every_item_once_in_id_order_and_can_stop(store: &dyn Store) {
    let batch: Vec<FeedbackItem> = (0..50).map(|i| item("s", &format!("id-{i:03}"))).collect();
    store.insert_feedback(&batch, None).unwrap();
    let stored = read_all(store, &FeedbackFilter::default());
    let ids: Vec<&str> = stored.iter().map(|s| s.item.external_id.as_str()).collect();
    let expected: Vec<String> = (0..50).map(|i| format!("id-{i:03}")).collect();
    assert_eq!(ids, expected);
    assert!(stored.windows(2).all(|w| w[0].id < w[1].id));

    let mut pages = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 20, &mut |page| {
            pages.push(page.len());
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(pages, vec![20], "the visitor stops the scan");

    let mut sizes = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 20, &mut |page| {
            sizes.push(page.len());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(sizes, vec![20, 20, 10]);
}

pub fn filters_select_by_time_source_and_channel(store: &dyn Store) {
    let early = FeedbackItem {
        received_at: at("2025-01-10T00:00:00Z", 0),
        ..item("a", "1")
    };
    let late = FeedbackItem {
        received_at: at("2025-02-10T00:00:00Z", 0),
        channel: Channel::Ticket,
        ..item("a", "2")
    };
    let other = FeedbackItem {
        received_at: at("2025-02-11T00:00:00Z", 0),
        ..item("b", "3")
    };
    store.insert_feedback(&[early, late, other], None).unwrap();
    let feb: i64 = "2025-02-01T00:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_second();
    let count = |filter: FeedbackFilter| store.count_feedback(&filter).unwrap();
    assert_eq!(
        count(FeedbackFilter {
            since: Some(feb),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(FeedbackFilter {
            until: Some(feb),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        count(FeedbackFilter {
            source: Some("a".into()),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        count(FeedbackFilter {
            channel: Some(Channel::Ticket),
            ..Default::default()
        }),
        1
    );
    let filter = FeedbackFilter {
        since: Some(feb),
        source: Some("a".into()),
        ..Default::default()
    };
    let scanned = read_all(store, &filter);
    assert_eq!(scanned.len(), 1);
    assert_eq!(scanned[0].item.external_id.as_str(), "2");
}

pub fn tallies_by_dimension_match_the_tally_of_the_items(store: &dyn Store) {
    let units = [None, Some("Home"), Some("Motor")];
    let batch: Vec<FeedbackItem> = (0..60)
        .map(|i| FeedbackItem {
            business_unit: units[i % 3].map(label),
            channel: if i % 4 == 0 {
                Channel::Chat
            } else {
                Channel::Survey
            },
            scores: Scores {
                nps: (i % 5 != 0).then(|| Nps::try_from((i % 11) as i64).unwrap()),
                csat: (i % 2 == 0)
                    .then(|| trove_domain::Csat::try_from((i % 5 + 1) as i64).unwrap()),
                ces: (i % 3 == 0).then(|| trove_domain::Ces::try_from((i % 7 + 1) as i64).unwrap()),
            },
            ..item("s", &i.to_string())
        })
        .collect();
    store.insert_feedback(&batch, None).unwrap();
    for dimension in [Dimension::BusinessUnit, Dimension::Channel] {
        let groups = store
            .tally_by(dimension, &FeedbackFilter::default())
            .unwrap();
        let mut expected: std::collections::BTreeMap<Option<String>, ScoreTally> =
            Default::default();
        for it in &batch {
            let key = match dimension {
                Dimension::BusinessUnit => it.business_unit.as_ref().map(|l| l.to_string()),
                _ => Some(it.channel.as_str().to_owned()),
            };
            expected.entry(key).or_default().add(&it.scores);
        }
        let got: Vec<(Option<String>, ScoreTally)> =
            groups.into_iter().map(|g| (g.key, g.tally)).collect();
        let expected: Vec<(Option<String>, ScoreTally)> = expected.into_iter().collect();
        assert_eq!(got, expected, "by {}", dimension.as_str());
    }
}

pub fn month_groups_use_utc_calendar_months(store: &dyn Store) {
    // 23:30 at -05:00 on 31 January is already February in UTC.
    let late_january_local = FeedbackItem {
        received_at: at("2025-02-01T04:30:00Z", -5),
        ..item("s", "1")
    };
    let january = FeedbackItem {
        received_at: at("2025-01-15T00:00:00Z", 0),
        ..item("s", "2")
    };
    store
        .insert_feedback(&[late_january_local, january], None)
        .unwrap();
    let groups = store
        .tally_by(Dimension::Month, &FeedbackFilter::default())
        .unwrap();
    let keys: Vec<(Option<String>, u64)> =
        groups.into_iter().map(|g| (g.key, g.tally.items)).collect();
    assert_eq!(
        keys,
        vec![(Some("2025-01".into()), 1), (Some("2025-02".into()), 1)]
    );
}

pub fn source_themes_are_created_once_and_read_back(store: &dyn Store) {
    let a = FeedbackItem {
        source_themes: vec![label("Late Flight")],
        ..item("s", "1")
    };
    let b = FeedbackItem {
        source_themes: vec![label("Late Flight"), label("Lost Luggage")],
        ..item("s", "2")
    };
    store.insert_feedback(&[a], None).unwrap();
    store.insert_feedback(&[b], None).unwrap();
    let themes = store.themes().unwrap();
    let ids: Vec<&str> = themes.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, vec!["late-flight", "lost-luggage"]);
    let stored = read_all(store, &FeedbackFilter::default());
    let mut second: Vec<String> = stored[1]
        .item
        .source_themes
        .iter()
        .map(|l| l.to_string())
        .collect();
    second.sort();
    assert_eq!(second, vec!["Late Flight", "Lost Luggage"]);
}

fn customer(id: &str, segment: &str) -> Customer {
    Customer {
        id: CustomerId::parse(id).unwrap(),
        name: Some(label("Ana Lima")),
        email: Customer::parse_email("ana.lima@example.com").unwrap(),
        segment: Some(label(segment)),
        business_unit: Some(label("Home")),
        region: None,
        value: Some(Money::from_minor(123_456, Currency::parse("EUR").unwrap())),
        first_seen: Some(date(2021, 4, 30)),
        churned: false,
    }
}

pub fn customers_are_upserted_by_id(store: &dyn Store) {
    let outcome = store
        .upsert_customers(&[customer("C1", "SMB"), customer("C2", "SMB")])
        .unwrap();
    assert_eq!((outcome.inserted, outcome.updated), (2, 0));
    let changed = Customer {
        churned: true,
        value: None,
        ..customer("C1", "Premium")
    };
    let outcome = store
        .upsert_customers(std::slice::from_ref(&changed))
        .unwrap();
    assert_eq!((outcome.inserted, outcome.updated), (0, 1));
    assert_eq!(store.customer(&changed.id).unwrap(), Some(changed));
    assert_eq!(
        store.customer(&CustomerId::parse("C2").unwrap()).unwrap(),
        Some(customer("C2", "SMB"))
    );
    assert_eq!(
        store
            .customer(&CustomerId::parse("nobody").unwrap())
            .unwrap(),
        None
    );
    assert_eq!(store.count_customers().unwrap(), 2);
}

pub fn a_scan_of_customers_visits_all_in_pages(store: &dyn Store) {
    let batch: Vec<Customer> = (0..25)
        .map(|i| customer(&format!("C{i:02}"), "SMB"))
        .collect();
    store.upsert_customers(&batch).unwrap();
    let mut seen = Vec::new();
    store
        .scan_customers(10, &mut |page| {
            seen.extend(page.into_iter().map(|c| c.id.to_string()));
            ControlFlow::Continue(())
        })
        .unwrap();
    let expected: Vec<String> = (0..25).map(|i| format!("C{i:02}")).collect();
    assert_eq!(seen, expected);
}

fn journey(stage_ids: &[&str], departments: &[&str]) -> Journey {
    let departments: Vec<Department> = departments
        .iter()
        .map(|d| Department {
            id: slug(d),
            name: label(&d.to_uppercase()),
        })
        .collect();
    let stages = stage_ids
        .iter()
        .map(|s| Stage {
            id: slug(s),
            name: label(s),
            touchpoints: vec![
                Touchpoint {
                    id: slug(&format!("{s}-web")),
                    name: label(&format!("{s} on the web")),
                    moment_of_truth: true,
                    departments: departments.iter().map(|d| d.id.clone()).collect(),
                },
                Touchpoint {
                    id: slug(&format!("{s}-call")),
                    name: label("call"),
                    moment_of_truth: false,
                    departments: vec![],
                },
            ],
        })
        .collect();
    Journey::new(stages, departments).unwrap()
}

pub fn a_journey_is_replaced_and_departments_are_kept(store: &dyn Store) {
    assert_eq!(store.journey().unwrap(), None);
    let first = journey(&["discover", "buy", "pay"], &["billing", "it"]);
    store.replace_journey(&first).unwrap();
    assert_eq!(store.journey().unwrap(), Some(first));
    let second = journey(&["pay", "renew"], &["billing"]);
    store.replace_journey(&second).unwrap();
    let stored = store.journey().unwrap().unwrap();
    assert_eq!(stored.stages(), second.stages());
    let departments: Vec<&str> = stored.departments().iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        departments,
        vec!["billing", "it"],
        "departments are never removed"
    );
}

pub fn themes_are_upserted_and_listed_by_id(store: &dyn Store) {
    let parent = Theme {
        id: slug("billing"),
        name: label("Billing"),
        parent: None,
    };
    let child = Theme {
        id: slug("billing/fee"),
        name: label("Fee"),
        parent: Some(slug("billing")),
    };
    store
        .upsert_themes(&[child.clone(), parent.clone()])
        .unwrap();
    let renamed = Theme {
        name: label("Unexpected fee"),
        ..child
    };
    store.upsert_themes(std::slice::from_ref(&renamed)).unwrap();
    assert_eq!(store.themes().unwrap(), vec![parent, renamed]);
}

pub fn import_runs_record_their_end(store: &dyn Store) {
    let run = NewImportRun {
        kind: "feedback".into(),
        source: "s".into(),
        file: "a.csv".into(),
        started_at: 1_700_000_000,
    };
    let first = store.start_import(&run).unwrap();
    let second = store
        .start_import(&NewImportRun {
            file: "b.csv".into(),
            ..run
        })
        .unwrap();
    let totals = ImportTotals {
        rows: 10,
        imported: 7,
        duplicates: 2,
        rejected: 1,
    };
    store
        .finish_import(first, ImportStatus::Completed, &totals)
        .unwrap();
    let runs = store.import_runs(10).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, second, "newest first");
    assert_eq!(runs[0].status, ImportStatus::Running);
    assert_eq!(runs[0].finished_at, None);
    assert_eq!(runs[1].status, ImportStatus::Completed);
    assert_eq!(runs[1].totals, totals);
    assert!(runs[1].finished_at.is_some());
}

pub fn a_large_batch_is_stored_whole(store: &dyn Store) {
    let batch: Vec<FeedbackItem> = (0..5_000)
        .map(|i| FeedbackItem {
            text: FeedbackText::parse(&format!("comment number {i}")).unwrap(),
            source_themes: if i % 10 == 0 {
                vec![label("Tenth")]
            } else {
                vec![]
            },
            ..item("bulk", &i.to_string())
        })
        .collect();
    let outcome = store.insert_feedback(&batch, None).unwrap();
    assert_eq!(outcome.inserted, 5_000);
    assert_eq!(
        store.count_feedback(&FeedbackFilter::default()).unwrap(),
        5_000
    );
    let again = store.insert_feedback(&batch, None).unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 5_000));
}
