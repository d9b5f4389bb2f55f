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

mod analytics_cases;
mod artifacts_cases;
mod bulk_cases;
mod embeddings_cases;
mod fact_pages_cases;
mod import_items_cases;
mod items_cases;
mod labels_cases;
mod layout_cases;
mod mail_cases;
mod report_mail_cases;
mod reports;
mod suggestion_cases;
mod surveys_cases;
mod totals_cases;
mod webhooks_cases;
pub use analytics_cases::*;
pub use artifacts_cases::*;
pub use bulk_cases::*;
pub use embeddings_cases::*;
pub use fact_pages_cases::*;
pub use import_items_cases::*;
pub use items_cases::*;
pub use labels_cases::*;
pub use layout_cases::*;
pub use mail_cases::*;
pub use report_mail_cases::*;
pub use reports::*;
pub use suggestion_cases::*;
pub use surveys_cases::*;
pub use totals_cases::*;
pub use webhooks_cases::*;

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
            filters_select_by_time_source_channel_unit_stage_touchpoint_and_segment,
            tallies_by_dimension_match_the_tally_of_the_items,
            month_groups_use_utc_calendar_months,
            source_themes_are_created_once_and_read_back,
            customers_are_upserted_by_id,
            a_scan_of_customers_visits_all_in_pages,
            a_journey_is_replaced_and_departments_are_kept,
            themes_are_upserted_and_listed_by_id,
            import_runs_record_their_end,
            a_run_nobody_holds_reads_as_interrupted_with_the_items_it_stored,
            a_replacing_insert_overwrites_stored_items_in_place,
            deleting_an_import_removes_exactly_its_items_and_records_it,
            an_import_finds_and_deletes_exactly_its_items_when_imports_interleave,
            ids_freed_by_a_deleted_import_belong_to_the_import_that_takes_them,
            a_large_batch_is_stored_whole,
            a_large_tagged_batch_keeps_batch_order_and_skips_stored_keys,
            items_for_analysis_carry_their_theme_ids_without_text,
            compact_facts_follow_every_write_that_changes_an_item_or_its_tags,
            running_totals_equal_the_scan_after_every_write_that_changes_an_item,
            fact_pages_give_the_full_reads_facts_and_their_digests_follow_changes,
            taxonomy_versions_are_numbered_and_retire_removed_themes,
            rule_tags_replace_an_items_rule_tags_and_keep_source_themes,
            rule_tags_by_key_find_stored_items_and_skip_others,
            tags_naming_no_theme_are_refused_and_change_nothing,
            coverage_counts_tagged_items_per_source_and_places_items,
            a_tagged_insert_stores_the_items_and_their_rule_tags,
            a_repeated_tagged_insert_changes_nothing,
            theme_counts_include_descendants_once_per_item,
            analysis_runs_are_listed_newest_first_and_read_back_exactly,
            discovery_runs_are_listed_newest_first_and_read_back_exactly,
            models_are_versioned_per_name_and_their_tags_sit_beside_rule_tags,
            a_sources_question_is_set_and_replaced,
            sentiment_is_stored_per_item_and_per_mention,
            workflow_events_append_in_order_and_read_back_exactly,
            a_stale_append_is_a_conflict_and_appends_nothing,
            appenders_racing_from_the_same_view_cannot_both_win,
            a_password_is_set_replaced_and_read_back,
            sessions_are_found_by_hash_touched_and_ended,
            a_new_password_ends_the_persons_sessions,
            expired_and_idle_sessions_are_deleted,
            forms_are_stored_listed_and_closed_once,
            a_forms_answers_of_a_day_share_one_import_run,
            api_tokens_are_found_by_hash_touched_revoked_and_rotated,
            webhook_events_are_queued_once_per_subscription_claimed_and_logged,
            every_write_an_analysis_reads_moves_the_data_version,
            stored_results_are_replaced_by_key_and_listed_newest_first,
            reports_are_replaced_per_unit_and_month_and_the_newest_months_kept,
            drill_down_filters_by_every_field_and_counts_each_item_once,
            drill_down_items_carry_their_themes_and_matched_spans,
            drill_down_pages_have_no_gaps_or_repeats_in_either_direction,
            artifacts_are_stored_listed_by_target_read_back_and_removed,
            items_are_read_by_id_with_their_themes,
            waves_are_stored_with_their_invitations_and_found_by_time,
            an_opt_out_is_recorded_once,
            a_self_assessment_replaces_the_persons_month_only,
            mail_settings_are_set_once_and_replaced,
            an_address_keeps_its_token_and_opts_out_once,
            a_delivery_is_claimed_once_and_retried_only_after_failing,
            report_recipients_are_one_per_unit_and_address_and_removed_exactly,
            the_report_send_day_is_set_and_replaced,
            embeddings_are_kept_per_model_replaced_and_go_with_their_items,
            sentiment_labels_replace_and_labelled_items_leave_the_candidates,
            the_suggestion_flag_is_stored_retagged_and_filtered,
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

pub(crate) fn label(raw: &str) -> Label {
    Label::parse("label", raw).unwrap()
}

fn slug(raw: &str) -> Slug {
    Slug::parse("id", raw).unwrap()
}

pub(crate) fn at(rfc3339: &str, offset_hours: i8) -> ReceivedAt {
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
        sentiment: None,
        suggestion: false,
        scores: Scores::default(),
        language: None,
        source_themes: Vec::new(),
        attributes: Attributes::default(),
    }
}

pub(crate) fn full_item() -> FeedbackItem {
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

pub(crate) fn read_all(
    store: &dyn Store,
    filter: &FeedbackFilter,
) -> Vec<trove_domain::StoredFeedback> {
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

pub fn filters_select_by_time_source_channel_unit_stage_touchpoint_and_segment(store: &dyn Store) {
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
        business_unit: Some(label("Home")),
        journey_stage: Some(label("pay")),
        touchpoint: Some(label("first-bill")),
        customer_id: Some(CustomerId::parse("C-9").unwrap()),
        ..item("b", "3")
    };
    store
        .upsert_customers(&[customer("C-9", "SMB"), customer("C-1", "Premium")])
        .unwrap();
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
    assert_eq!(
        count(FeedbackFilter {
            business_unit: Some("Home".into()),
            ..Default::default()
        }),
        1
    );
    for filter in [
        FeedbackFilter {
            journey_stage: Some("pay".into()),
            ..Default::default()
        },
        FeedbackFilter {
            touchpoint: Some("first-bill".into()),
            ..Default::default()
        },
        FeedbackFilter {
            segment: Some("SMB".into()),
            ..Default::default()
        },
    ] {
        assert_eq!(count(filter.clone()), 1, "{filter:?}");
    }
    assert_eq!(
        count(FeedbackFilter {
            segment: Some("Premium".into()),
            ..Default::default()
        }),
        0
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

pub(crate) fn customer(id: &str, segment: &str) -> Customer {
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

pub(crate) fn new_run(file: &str) -> NewImportRun {
    NewImportRun {
        kind: "feedback".into(),
        source: "s".into(),
        file: file.into(),
        started_at: 1_700_000_000,
    }
}

pub fn import_runs_record_their_end(store: &dyn Store) {
    let first = store.start_import(&new_run("a.csv")).unwrap();
    let second = store.start_import(&new_run("b.csv")).unwrap();
    let totals = ImportTotals {
        rows: 10,
        imported: 7,
        duplicates: 2,
        rejected: 1,
        replaced: 0,
    };
    store
        .finish_import(first.id(), ImportStatus::Completed, &totals, None)
        .unwrap();
    let failed = ImportTotals {
        replaced: 3,
        ..totals
    };
    let third = store.start_import(&new_run("c.csv")).unwrap();
    store
        .finish_import(third.id(), ImportStatus::Failed, &failed, Some("disk full"))
        .unwrap();
    let runs = store.import_runs(10).unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].id, third.id(), "newest first");
    assert_eq!(runs[0].status, ImportStatus::Failed);
    assert_eq!(runs[0].totals, failed);
    assert_eq!(runs[0].reason.as_deref(), Some("disk full"));
    assert_eq!(runs[1].id, second.id());
    assert_eq!(runs[1].status, ImportStatus::Running, "its hold is alive");
    assert_eq!(runs[1].finished_at, None);
    assert_eq!(runs[2].status, ImportStatus::Completed);
    assert_eq!(runs[2].totals, totals);
    assert_eq!(runs[2].reason, None);
    assert!(runs[2].finished_at.is_some());
}

pub fn a_run_nobody_holds_reads_as_interrupted_with_the_items_it_stored(store: &dyn Store) {
    let hold = store.start_import(&new_run("big.csv")).unwrap();
    let run = hold.id();
    let batch: Vec<FeedbackItem> = (0..3).map(|i| item("s", &i.to_string())).collect();
    store.insert_feedback(&batch, Some(run)).unwrap();
    store.insert_feedback(&[item("s", "other")], None).unwrap();
    assert_eq!(
        store.import_runs(1).unwrap()[0].status,
        ImportStatus::Running
    );
    // What a dying process leaves: a run recorded as running that nobody holds.
    drop(hold);
    let runs = store.import_runs(1).unwrap();
    assert_eq!(runs[0].status, ImportStatus::Interrupted);
    assert_eq!(runs[0].totals.imported, 3, "counted from the stored items");
    assert_eq!(runs[0].finished_at, None);
}

pub fn a_replacing_insert_overwrites_stored_items_in_place(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("fee", None, None),
                theme_record("late", None, None),
            ],
        ))
        .unwrap();
    let first = store.start_import(&new_run("wrong.csv")).unwrap();
    let misdated = FeedbackItem {
        received_at: at("2025-01-03T10:00:00Z", 0),
        source_themes: vec![label("Old coding")],
        sentiment: Some(-0.5),
        ..item("s", "1")
    };
    let untouched = item("s", "2");
    store
        .insert_tagged_feedback(
            &[misdated, untouched.clone()],
            Some(first.id()),
            &[vec![rule_tag("fee", "fine", 0, 4)], vec![]],
            version,
        )
        .unwrap();
    let before = read_all(store, &FeedbackFilter::default());

    let second = store.start_import(&new_run("right.csv")).unwrap();
    let mut fixed = full_item();
    fixed.source = label("s");
    fixed.external_id = ExternalId::parse("1").unwrap();
    fixed.received_at = at("2025-03-01T10:00:00Z", 1);
    fixed.sentiment = Some(0.25);
    let draft = FeedbackItem {
        text: FeedbackText::parse("draft").unwrap(),
        ..item("s", "3")
    };
    let new = FeedbackItem {
        text: FeedbackText::parse("late again").unwrap(),
        ..item("s", "3")
    };
    let outcome = store
        .replace_feedback(
            &[fixed.clone(), draft, new.clone()],
            Some(second.id()),
            Some((
                &[
                    vec![rule_tag("late", "surprise", 4, 12)],
                    vec![],
                    vec![rule_tag("late", "late", 0, 4)],
                ],
                version,
            )),
        )
        .unwrap();
    assert_eq!(
        (outcome.inserted, outcome.replaced, outcome.duplicates),
        (1, 2, 0),
        "a key repeated in the batch overwrites its earlier occurrence"
    );

    let after = read_all(store, &FeedbackFilter::default());
    assert_eq!(after.len(), 3);
    assert_eq!(
        after[0].id, before[0].id,
        "an overwritten item keeps its id"
    );
    let mut got = after[0].item.clone();
    got.source_themes.sort();
    let mut expected = fixed;
    expected.source_themes.sort();
    assert_eq!(got, expected, "every field comes from the file");
    assert_eq!(
        after[1], before[1],
        "items not in the file stay as they were"
    );
    assert_eq!(after[2].item, new, "the last occurrence of a key wins");

    let tags = store.item_tags(after[0].id).unwrap();
    let themes: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| (t.origin.as_str(), t.theme.as_str()))
        .collect();
    assert_eq!(
        themes,
        [
            ("rule", "late"),
            ("source", "billing"),
            ("source", "surprise-fee")
        ],
        "the old source coding and rule tags are gone"
    );
    let runs = store.import_runs(10).unwrap();
    assert!(runs.iter().all(|r| r.deleted_at.is_none()));
    // The overwritten item still belongs to the run that added it; the new one to the second.
    assert_eq!(
        store
            .import_items_among(first.id(), &[after[0].id, after[2].id])
            .unwrap(),
        [after[0].id]
    );
    assert_eq!(
        store
            .import_items_among(second.id(), &[after[0].id, after[2].id])
            .unwrap(),
        [after[2].id]
    );
    assert_eq!(
        store.replace_feedback(&[], None, None).unwrap(),
        crate::InsertOutcome::default()
    );
}

pub fn deleting_an_import_removes_exactly_its_items_and_records_it(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    store.insert_feedback(&[item("s", "before")], None).unwrap();
    let hold = store.start_import(&new_run("a.csv")).unwrap();
    let run = hold.id();
    let coded = FeedbackItem {
        source_themes: vec![label("Billing")],
        sentiment: Some(0.5),
        ..item("s", "1")
    };
    store
        .insert_tagged_feedback(
            &[coded, item("s", "2")],
            Some(run),
            &[vec![rule_tag("fee", "fine", 0, 4)], vec![]],
            version,
        )
        .unwrap();
    let totals = ImportTotals {
        rows: 2,
        imported: 2,
        ..ImportTotals::default()
    };
    store
        .finish_import(run, ImportStatus::Completed, &totals, None)
        .unwrap();
    drop(hold);
    let other = store.start_import(&new_run("b.csv")).unwrap();
    store
        .insert_feedback(&[item("s", "3")], Some(other.id()))
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(store.import_items_among(run, &ids).unwrap(), ids[1..3]);

    assert_eq!(store.delete_import(run, 1_800_000_000).unwrap(), 2);
    let left: Vec<String> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.item.external_id.as_str().to_owned())
        .collect();
    assert_eq!(left, ["before", "3"]);
    assert!(store.item_tags(ids[1]).unwrap().is_empty());
    assert_eq!(
        store.coverage(&FeedbackFilter::default()).unwrap().tagged,
        0
    );
    let runs = store.import_runs(10).unwrap();
    let deleted = runs.iter().find(|r| r.id == run).unwrap();
    assert_eq!(deleted.deleted_at, Some(1_800_000_000));
    assert_eq!(deleted.deleted_items, Some(2));
    assert_eq!(deleted.status, ImportStatus::Completed);
    assert_eq!(deleted.totals, totals, "the history keeps what the run did");
    assert_eq!(store.delete_import(run, 1_800_000_001).unwrap(), 0);
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

pub(crate) fn theme_record(
    id: &str,
    parent: Option<&str>,
    stage: Option<&str>,
) -> crate::ThemeRecord {
    crate::ThemeRecord {
        id: slug(id),
        name: label(&id.to_uppercase()),
        parent: parent.map(slug),
        description: Some(format!("about {id}")),
        stage: stage.map(slug),
        departments: vec![slug("billing"), slug("it")],
    }
}

pub(crate) fn taxonomy(toml: &str, themes: Vec<crate::ThemeRecord>) -> crate::NewTaxonomyVersion {
    crate::NewTaxonomyVersion {
        created_at: 1_700_000_000,
        toml: toml.into(),
        diff: r#"{"added":[],"removed":[],"changed":[]}"#.into(),
        themes,
    }
}

pub(crate) fn rule_tag(theme: &str, phrase: &str, start: u32, end: u32) -> crate::RuleTag {
    crate::RuleTag {
        theme: slug(theme),
        phrase: phrase.into(),
        start,
        end,
        sentiment: None,
    }
}

pub fn taxonomy_versions_are_numbered_and_retire_removed_themes(store: &dyn Store) {
    assert_eq!(store.current_taxonomy().unwrap(), None);
    // A source-coded theme is never retired by a taxonomy.
    let coded = FeedbackItem {
        source_themes: vec![label("Late Flight")],
        ..item("s", "1")
    };
    store.insert_feedback(&[coded], None).unwrap();
    let first = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("billing", None, Some("pay")),
                theme_record("fee", Some("billing"), Some("pay")),
            ],
        ))
        .unwrap();
    let second = store
        .save_taxonomy_version(&taxonomy("v2", vec![theme_record("billing", None, None)]))
        .unwrap();
    assert!(second > first);
    let current = store.current_taxonomy().unwrap().unwrap();
    assert_eq!((current.version, current.toml.as_str()), (second, "v2"));
    assert!(current.diff.contains("added"));
    let records = store.theme_records().unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.theme.id.as_str()).collect();
    assert_eq!(ids, ["billing", "fee", "late-flight"]);
    assert_eq!(records[0].theme, theme_record("billing", None, None));
    assert_eq!(
        (records[0].taxonomy_version, records[0].retired_in),
        (Some(second), None)
    );
    assert_eq!(
        records[1].theme,
        theme_record("fee", Some("billing"), Some("pay"))
    );
    assert_eq!(records[1].retired_in, Some(second), "removed, not deleted");
    assert_eq!(
        (records[2].taxonomy_version, records[2].retired_in),
        (None, None)
    );
    // A theme that comes back is active again.
    let third = store
        .save_taxonomy_version(&taxonomy(
            "v3",
            vec![theme_record("fee", None, Some("pay"))],
        ))
        .unwrap();
    let records = store.theme_records().unwrap();
    assert_eq!(records[0].retired_in, Some(third));
    assert_eq!(records[1].retired_in, None);
}

pub fn rule_tags_replace_an_items_rule_tags_and_keep_source_themes(store: &dyn Store) {
    let coded = FeedbackItem {
        source_themes: vec![label("Late Flight")],
        ..item("s", "1")
    };
    store
        .insert_feedback(&[coded, item("s", "2")], None)
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("fee", None, None),
                theme_record("delay", None, None),
            ],
        ))
        .unwrap();
    let stored = store
        .replace_rule_tags(
            version,
            &[
                crate::ItemTags {
                    feedback_id: ids[0],
                    tags: vec![
                        rule_tag("fee", "hidden fee", 0, 10),
                        rule_tag("delay", "late", 12, 16),
                    ],
                    sentiment: None,
                    suggestion: false,
                },
                crate::ItemTags {
                    feedback_id: ids[1],
                    tags: vec![rule_tag("delay", "delayed", 3, 10)],
                    sentiment: None,
                    suggestion: false,
                },
            ],
        )
        .unwrap();
    assert_eq!(stored, 3);
    let tags = store.item_tags(ids[0]).unwrap();
    #[allow(clippy::type_complexity, reason = "one tuple per stored tag")]
    let summary: Vec<(
        &str,
        &str,
        Option<&str>,
        Option<u32>,
        Option<u32>,
        Option<i64>,
    )> = tags
        .iter()
        .map(|t| {
            (
                t.origin.as_str(),
                t.theme.as_str(),
                t.phrase.as_deref(),
                t.start,
                t.end,
                t.taxonomy_version,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "rule",
                "delay",
                Some("late"),
                Some(12),
                Some(16),
                Some(version)
            ),
            (
                "rule",
                "fee",
                Some("hidden fee"),
                Some(0),
                Some(10),
                Some(version)
            ),
            ("source", "late-flight", None, None, None, None),
        ]
    );
    // Re-tagging replaces the rule tags of the listed items only.
    store
        .replace_rule_tags(
            version,
            &[crate::ItemTags {
                feedback_id: ids[0],
                tags: vec![],
                sentiment: None,
                suggestion: false,
            }],
        )
        .unwrap();
    let left: Vec<String> = store
        .item_tags(ids[0])
        .unwrap()
        .iter()
        .map(|t| format!("{}:{}", t.origin, t.theme))
        .collect();
    assert_eq!(left, ["source:late-flight"]);
    assert_eq!(store.item_tags(ids[1]).unwrap().len(), 1);
}

/// A tag names a theme the store holds: the tags are keyed by the theme's number, and a theme
/// without one must not be stored under some other number or silently dropped.
pub fn tags_naming_no_theme_are_refused_and_change_nothing(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    store
        .insert_tagged_feedback(
            &[item("s", "1")],
            None,
            &[vec![rule_tag("fee", "fee", 0, 3)]],
            version,
        )
        .unwrap();
    let id = read_all(store, &FeedbackFilter::default())[0].id;
    let tags_of_the_item = || -> Vec<String> {
        let tags = store.item_tags(id).unwrap();
        tags.iter()
            .map(|t| format!("{}:{}", t.origin, t.theme))
            .collect()
    };
    let nowhere = |tags| crate::ItemTags {
        feedback_id: id,
        tags,
        sentiment: None,
        suggestion: false,
    };
    let unknown = || vec![rule_tag("fee", "fee", 0, 3), rule_tag("nope", "no", 4, 6)];
    assert!(
        store
            .replace_rule_tags(version, &[nowhere(unknown())])
            .is_err()
    );
    assert!(store.replace_model_tags(1, &[nowhere(unknown())]).is_err());
    assert!(
        store
            .insert_tagged_feedback(&[item("s", "2")], None, &[unknown()], version)
            .is_err()
    );
    assert_eq!(tags_of_the_item(), ["rule:fee"]);
    assert_eq!(store.count_feedback(&FeedbackFilter::default()).unwrap(), 1);
}

pub fn rule_tags_by_key_find_stored_items_and_skip_others(store: &dyn Store) {
    store.insert_feedback(&[item("s", "1")], None).unwrap();
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let keyed = |external: &str| crate::KeyedTags {
        source: label("s"),
        external_id: ExternalId::parse(external).unwrap(),
        tags: vec![rule_tag("fee", "fee", 0, 3)],
    };
    let stored = store
        .replace_rule_tags_by_key(version, &[keyed("missing"), keyed("1"), keyed("1")])
        .unwrap();
    assert!(stored >= 1);
    let id = read_all(store, &FeedbackFilter::default())[0].id;
    let tags = store.item_tags(id).unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].phrase.as_deref(), Some("fee"));
}

pub fn coverage_counts_tagged_items_per_source_and_places_items(store: &dyn Store) {
    let empty = store.coverage(&FeedbackFilter::default()).unwrap();
    assert_eq!((empty.total, empty.tagged), (0, 0));
    store
        .replace_journey(&journey(&["buy", "pay"], &["billing"]))
        .unwrap();
    let at_touchpoint = FeedbackItem {
        touchpoint: Some(label("pay-web")),
        journey_stage: Some(label("buy")),
        ..item("a", "1")
    };
    let unknown_touchpoint_with_stage = FeedbackItem {
        touchpoint: Some(label("nowhere")),
        journey_stage: Some(label("buy")),
        ..item("a", "2")
    };
    let coded_only = FeedbackItem {
        source_themes: vec![label("Late Flight")],
        ..item("a", "3")
    };
    store
        .insert_feedback(
            &[
                at_touchpoint,
                unknown_touchpoint_with_stage,
                coded_only,
                item("a", "4"),
                item("b", "1"),
            ],
            None,
        )
        .unwrap();
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("fee", None, Some("pay")),
                theme_record("misc", None, None),
            ],
        ))
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    let tags = |id: i64, theme: &str| crate::ItemTags {
        feedback_id: id,
        tags: vec![rule_tag(theme, theme, 0, 4)],
        sentiment: None,
        suggestion: false,
    };
    // a/1 (touchpoint) and a/3 (coded, theme with a stage) and b/1 (theme without a stage).
    store
        .replace_rule_tags(
            version,
            &[
                tags(ids[0], "fee"),
                tags(ids[2], "fee"),
                tags(ids[4], "misc"),
            ],
        )
        .unwrap();
    let coverage = store.coverage(&FeedbackFilter::default()).unwrap();
    assert_eq!((coverage.total, coverage.tagged), (5, 3));
    let per_source: Vec<(&str, u64, u64)> = coverage
        .by_source
        .iter()
        .map(|s| (s.source.as_str(), s.total, s.tagged))
        .collect();
    assert_eq!(per_source, [("a", 4, 2), ("b", 1, 1)]);
    assert_eq!(
        coverage.placement,
        crate::Placement {
            by_touchpoint: 1,
            by_given_stage: 1,
            by_theme: 1,
            unplaced: 2,
        }
    );
    let only_b = store
        .coverage(&FeedbackFilter {
            source: Some("b".into()),
            ..FeedbackFilter::default()
        })
        .unwrap();
    assert_eq!(
        (only_b.total, only_b.tagged, only_b.by_source.len()),
        (1, 1, 1)
    );
}

pub fn a_tagged_insert_stores_the_items_and_their_rule_tags(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let batch = [item("s", "1"), item("s", "2"), item("s", "1")];
    let tags = [
        vec![rule_tag("fee", "fee", 0, 3)],
        vec![],
        vec![rule_tag("fee", "fee", 0, 3)],
    ];
    let outcome = store
        .insert_tagged_feedback(&batch, None, &tags, version)
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (2, 1));
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    let first = store.item_tags(ids[0]).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].origin.as_str(), first[0].taxonomy_version),
        ("rule", Some(version))
    );
    assert!(store.item_tags(ids[1]).unwrap().is_empty());
    assert_eq!(
        store.coverage(&FeedbackFilter::default()).unwrap().tagged,
        1
    );
}

pub fn a_repeated_tagged_insert_changes_nothing(store: &dyn Store) {
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("fee", None, None),
                theme_record("late", None, None),
            ],
        ))
        .unwrap();
    let batch = [item("s", "1"), item("s", "2")];
    let first = store
        .insert_tagged_feedback(
            &batch,
            None,
            &[vec![rule_tag("fee", "fee", 0, 3)], vec![]],
            version,
        )
        .unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 0));
    let tags_before: Vec<Vec<crate::StoredTag>> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| store.item_tags(s.id).unwrap())
        .collect();
    let again = store
        .insert_tagged_feedback(
            &batch,
            None,
            &[
                vec![rule_tag("late", "late", 0, 4)],
                vec![rule_tag("fee", "fee", 0, 3)],
            ],
            version,
        )
        .unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2));
    let stored = read_all(store, &FeedbackFilter::default());
    assert_eq!(stored.len(), 2);
    let tags_after: Vec<Vec<crate::StoredTag>> = stored
        .iter()
        .map(|s| store.item_tags(s.id).unwrap())
        .collect();
    assert_eq!(
        tags_after, tags_before,
        "a duplicate keeps the tags it was stored with"
    );
}

pub fn theme_counts_include_descendants_once_per_item(store: &dyn Store) {
    let coded = FeedbackItem {
        source_themes: vec![label("Late Flight")],
        ..item("s", "1")
    };
    store
        .insert_feedback(&[coded, item("s", "2"), item("t", "3")], None)
        .unwrap();
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            vec![
                theme_record("billing", None, None),
                theme_record("fee", Some("billing"), None),
                theme_record("surprise", Some("fee"), None),
                theme_record("refund", Some("billing"), None),
            ],
        ))
        .unwrap();
    let ids: Vec<i64> = read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    let tagged = |id: i64, themes: &[&str]| crate::ItemTags {
        feedback_id: id,
        tags: themes.iter().map(|t| rule_tag(t, t, 0, 1)).collect(),
        sentiment: None,
        suggestion: false,
    };
    store
        .replace_rule_tags(
            version,
            &[
                tagged(ids[0], &["surprise", "refund"]),
                tagged(ids[1], &["fee"]),
                tagged(ids[2], &["refund"]),
            ],
        )
        .unwrap();
    let counts = |filter: &FeedbackFilter, origin: &str| -> Vec<(String, u64)> {
        store
            .theme_counts(filter, origin)
            .unwrap()
            .into_iter()
            .map(|c| (c.theme.to_string(), c.items))
            .collect()
    };
    let all = counts(&FeedbackFilter::default(), "rule");
    let expected: Vec<(String, u64)> = [("billing", 3), ("fee", 2), ("refund", 2), ("surprise", 1)]
        .iter()
        .map(|(t, n)| ((*t).to_owned(), *n))
        .collect();
    assert_eq!(all, expected);
    let only_s = counts(
        &FeedbackFilter {
            source: Some("s".into()),
            ..FeedbackFilter::default()
        },
        "rule",
    );
    assert_eq!(only_s[0], ("billing".to_owned(), 2));
    assert_eq!(
        counts(&FeedbackFilter::default(), "source"),
        [("late-flight".to_owned(), 1)]
    );
}

pub fn items_for_analysis_carry_their_theme_ids_without_text(store: &dyn Store) {
    use crate::{ItemThemes, ThemeOrigin};
    let batch: Vec<FeedbackItem> = (0..30)
        .map(|i| FeedbackItem {
            customer_id: (i % 2 == 0).then(|| CustomerId::parse(&format!("C{i}")).unwrap()),
            business_unit: Some(label("Home")),
            channel: if i % 3 == 0 {
                Channel::Ticket
            } else {
                Channel::Survey
            },
            scores: Scores {
                nps: Some(Nps::try_from((i % 11) as i64).unwrap()),
                ..Scores::default()
            },
            source_themes: match i % 3 {
                0 => vec![label("Late Flight"), label("Bad Food")],
                1 => vec![label("Late Flight")],
                _ => vec![],
            },
            ..item("s", &i.to_string())
        })
        .collect();
    store.insert_feedback(&batch, None).unwrap();
    let mut seen: Vec<ItemThemes> = Vec::new();
    let filter = FeedbackFilter {
        channel: Some(Channel::Ticket),
        ..Default::default()
    };
    store
        .scan_item_themes(&filter, ThemeOrigin::Source, 4, &mut |page| {
            seen.extend(page);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(
        seen.len(),
        10,
        "the filter keeps the tickets, items 0, 3, ..., 27"
    );
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id));
    for (n, item) in seen.iter().enumerate() {
        let i = n * 3;
        assert_eq!(
            item.themes,
            vec!["bad-food".to_owned(), "late-flight".to_owned()],
            "item {i}"
        );
        assert_eq!(item.channel, Channel::Ticket);
        assert_eq!(item.customer_id, (i % 2 == 0).then(|| format!("C{i}")));
        assert_eq!(
            item.scores.nps.map(|n| i64::from(n.value())),
            Some((i % 11) as i64)
        );
        assert_eq!(item.business_unit.as_deref(), Some("Home"));
    }
    // Unfiltered pages are dense runs of ids; each item still gets exactly its own themes.
    let mut all: Vec<ItemThemes> = Vec::new();
    store
        .scan_item_themes(
            &FeedbackFilter::default(),
            ThemeOrigin::Any,
            7,
            &mut |page| {
                all.extend(page);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!(all.len(), 30);
    for (i, item) in all.iter().enumerate() {
        let expected: &[&str] = match i % 3 {
            0 => &["bad-food", "late-flight"],
            1 => &["late-flight"],
            _ => &[],
        };
        assert_eq!(item.themes, expected, "item {i}");
        assert_eq!(item.mention_sentiments.len(), expected.len(), "item {i}");
    }
    let mut rule_themes = 0;
    store
        .scan_item_themes(
            &FeedbackFilter::default(),
            ThemeOrigin::Rule,
            100,
            &mut |page| {
                rule_themes += page.iter().map(|i| i.themes.len()).sum::<usize>();
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!(rule_themes, 0, "no rule tags were stored");
}

pub fn analysis_runs_are_listed_newest_first_and_read_back_exactly(store: &dyn Store) {
    assert!(store.analysis_runs(10).unwrap().is_empty());
    assert_eq!(store.analysis_run(1).unwrap(), None);
    let first = crate::NewAnalysisRun {
        created_at: 1_760_000_000,
        taxonomy_version: None,
        filter: r#"{"source":null,"origin":"any"}"#.into(),
        params: r#"{"period":"month","window":6}"#.into(),
        items: 0,
        chronic: 0,
        result: "{}".into(),
    };
    // Whitespace, key order, escapes, non-ASCII text and long decimals must survive as written.
    let result = concat!(
        r#"{"z": 1, "a":[1.0000000000000002, -0.0, 1e300],"#,
        "\n  ",
        r#""text":"Zürich \"ok\" \u00e9 😀", "big": 12345678901234567890}"#
    );
    let second = crate::NewAnalysisRun {
        created_at: 1_760_000_600,
        taxonomy_version: Some(3),
        filter: r#"{"source":"survey","business_unit":"Home","origin":"rule"}"#.into(),
        params: r#"{"period":"iso_week","window":12,"until":1759276800}"#.into(),
        items: 3_000_000_000,
        chronic: 7,
        result: result.into(),
    };
    let first_id = store.save_analysis_run(&first).unwrap();
    let second_id = store.save_analysis_run(&second).unwrap();
    assert!(second_id > first_id);
    let listed = store.analysis_runs(10).unwrap();
    let ids: Vec<i64> = listed.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![second_id, first_id], "newest first");
    assert_eq!(store.analysis_runs(1).unwrap().len(), 1);
    let expected = crate::AnalysisRunSummary {
        id: second_id,
        created_at: second.created_at,
        taxonomy_version: second.taxonomy_version,
        filter: second.filter.clone(),
        params: second.params.clone(),
        items: second.items,
        chronic: second.chronic,
    };
    assert_eq!(listed[0], expected);
    assert_eq!(listed[1].taxonomy_version, None);
    let read = store.analysis_run(second_id).unwrap().unwrap();
    assert_eq!(read.summary, expected);
    assert_eq!(
        read.result, result,
        "the result JSON reads back byte for byte"
    );
    assert_eq!(store.analysis_run(first_id).unwrap().unwrap().result, "{}");
    assert_eq!(store.analysis_run(second_id + 1000).unwrap(), None);
}

pub fn discovery_runs_are_listed_newest_first_and_read_back_exactly(store: &dyn Store) {
    assert!(store.discovery_runs(10).unwrap().is_empty());
    assert_eq!(store.discovery_run(1).unwrap(), None);
    let first = crate::NewDiscoveryRun {
        created_at: 1_760_000_000,
        params: r#"{"source":null,"clusters":null,"seed":1,"max_items":50000}"#.into(),
        clusters: 0,
        items: 0,
        result: "{}".into(),
    };
    let result = concat!(
        r#"{"clusters":[{"id":1,"name":"cancelled, refund","members":[3, 9007199254740993]}],"#,
        "\n ",
        r#""text":"Zürich \"ok\" 😀", "share": 0.30000000000000004}"#
    );
    let second = crate::NewDiscoveryRun {
        created_at: 1_760_000_600,
        params: r#"{"source":"tweets","clusters":30,"seed":7,"max_items":1000}"#.into(),
        clusters: 30,
        items: 3_000_000_000,
        result: result.into(),
    };
    let first_id = store.save_discovery_run(&first).unwrap();
    let second_id = store.save_discovery_run(&second).unwrap();
    assert!(second_id > first_id);
    let listed = store.discovery_runs(10).unwrap();
    let ids: Vec<i64> = listed.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![second_id, first_id], "newest first");
    assert_eq!(store.discovery_runs(1).unwrap().len(), 1);
    let expected = crate::DiscoveryRunSummary {
        id: second_id,
        created_at: second.created_at,
        params: second.params.clone(),
        clusters: 30,
        items: 3_000_000_000,
    };
    assert_eq!(listed[0], expected);
    let read = store.discovery_run(second_id).unwrap().unwrap();
    assert_eq!(read.summary, expected);
    assert_eq!(
        read.result, result,
        "the result JSON reads back byte for byte"
    );
    assert_eq!(store.discovery_run(first_id).unwrap().unwrap().result, "{}");
    assert_eq!(store.discovery_run(second_id + 1000).unwrap(), None);
}

/// A source's question is set, replaced, and listed per source.
pub fn a_sources_question_is_set_and_replaced(store: &dyn Store) {
    use crate::SourceQuestion;
    assert!(store.source_questions().unwrap().is_empty());
    let question = |source: &str, question: &str, kind: &str, at: i64| SourceQuestion {
        source: source.into(),
        question: question.into(),
        kind: kind.into(),
        updated_at: at,
    };
    let improve = question("survey", "What could we improve?", "improve", 10);
    store.set_source_question(&improve).unwrap();
    store
        .set_source_question(&question("nps", "Why that score?", "open", 11))
        .unwrap();
    let liked = question("survey", "What did you like?", "praise", 12);
    store.set_source_question(&liked).unwrap();
    assert_eq!(
        store.source_questions().unwrap(),
        vec![question("nps", "Why that score?", "open", 11), liked]
    );
    let wrong = question("x", "?", "better", 13);
    assert!(
        store.set_source_question(&wrong).is_err(),
        "kinds are checked"
    );
}

pub fn models_are_versioned_per_name_and_their_tags_sit_beside_rule_tags(store: &dyn Store) {
    use crate::{ItemTags, NewModel, ThemeOrigin};
    assert!(store.models().unwrap().is_empty());
    assert_eq!(store.latest_model("default").unwrap(), None);
    let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    let model = |name: &str, created_at: i64, model: Vec<u8>| NewModel {
        name: name.into(),
        created_at,
        labels_file: "train.csv".into(),
        metrics: r#"{"accuracy": 0.9, "macro_f1": 0.88}"#.into(),
        model,
    };
    assert_eq!(
        store.save_model(&model("default", 10, vec![1, 2])).unwrap(),
        1
    );
    assert_eq!(store.save_model(&model("other", 11, vec![3])).unwrap(), 1);
    assert_eq!(
        store
            .save_model(&model("default", 12, bytes.clone()))
            .unwrap(),
        2
    );
    let latest = store.latest_model("default").unwrap().unwrap();
    assert_eq!(latest.summary.version, 2);
    assert_eq!(latest.summary.created_at, 12);
    assert_eq!(latest.summary.labels_file, "train.csv");
    assert_eq!(
        latest.summary.metrics,
        r#"{"accuracy": 0.9, "macro_f1": 0.88}"#
    );
    assert_eq!(latest.summary.bytes, bytes.len() as u64);
    assert_eq!(latest.model, bytes, "the bytes read back exactly");
    let listed: Vec<(String, i64, u64)> = store
        .models()
        .unwrap()
        .into_iter()
        .map(|m| (m.name, m.version, m.bytes))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("default".to_owned(), 1, 2),
            ("default".to_owned(), 2, bytes.len() as u64),
            ("other".to_owned(), 1, 1),
        ]
    );

    // Model tags replace model tags only; rule tags and source themes stay.
    let coded = FeedbackItem {
        source_themes: vec![label("Fee")],
        ..item("s", "1")
    };
    store.insert_feedback(&[coded], None).unwrap();
    let mut ids = Vec::new();
    store
        .scan_feedback(&FeedbackFilter::default(), 10, &mut |page| {
            ids.extend(page.iter().map(|i| i.id));
            ControlFlow::Continue(())
        })
        .unwrap();
    let id = ids[0];
    store
        .upsert_themes(&[
            Theme {
                id: slug("refund"),
                name: label("Refund"),
                parent: None,
            },
            Theme {
                id: slug("card"),
                name: label("Card"),
                parent: None,
            },
        ])
        .unwrap();
    let tags = |theme: &str| ItemTags {
        feedback_id: id,
        tags: vec![rule_tag(theme, "", 0, 0)],
        sentiment: None,
        suggestion: false,
    };
    store.replace_rule_tags(1, &[tags("refund")]).unwrap();
    assert_eq!(store.replace_model_tags(2, &[tags("card")]).unwrap(), 1);
    assert_eq!(store.replace_model_tags(2, &[tags("refund")]).unwrap(), 1);
    let themes = |origin: ThemeOrigin| {
        let mut themes = Vec::new();
        store
            .scan_item_themes(&FeedbackFilter::default(), origin, 10, &mut |page| {
                themes.extend(page.into_iter().flat_map(|i| i.themes));
                ControlFlow::Continue(())
            })
            .unwrap();
        themes
    };
    assert_eq!(
        themes(ThemeOrigin::Model),
        ["refund"],
        "the second replaced the first"
    );
    assert_eq!(themes(ThemeOrigin::Rule), ["refund"]);
    assert_eq!(themes(ThemeOrigin::Source), ["fee"]);
    assert_eq!(
        themes(ThemeOrigin::Any),
        ["fee", "refund"],
        "each theme once"
    );
    let model_tag = store
        .item_tags(id)
        .unwrap()
        .into_iter()
        .find(|t| t.origin == "model")
        .unwrap();
    assert_eq!(
        (model_tag.phrase, model_tag.start, model_tag.end),
        (None, None, None)
    );
    assert_eq!(
        store
            .theme_counts(&FeedbackFilter::default(), "model")
            .unwrap()[0]
            .theme
            .as_str(),
        "refund"
    );
    assert_eq!(
        store
            .replace_model_tags(
                2,
                &[ItemTags {
                    feedback_id: id,
                    tags: vec![],
                    sentiment: None,
                    suggestion: false
                }]
            )
            .unwrap(),
        0
    );
    assert!(themes(ThemeOrigin::Model).is_empty());
    assert_eq!(themes(ThemeOrigin::Rule), ["refund"]);
}

/// An item's sentiment is stored at insert and replaced by re-tagging; a rule tag keeps its
/// mention's; the analysis reads the item's.
pub fn sentiment_is_stored_per_item_and_per_mention(store: &dyn Store) {
    use crate::ThemeOrigin;
    let scored = FeedbackItem {
        sentiment: Some(-0.625),
        ..item("s", "1")
    };
    store
        .insert_feedback(&[scored, item("s", "2")], None)
        .unwrap();
    let stored = read_all(store, &FeedbackFilter::default());
    let sentiments: Vec<Option<f32>> = stored.iter().map(|s| s.item.sentiment).collect();
    assert_eq!(sentiments, [Some(-0.625), None]);

    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    let tag = crate::RuleTag {
        sentiment: Some(-0.25),
        ..rule_tag("fee", "fee", 0, 3)
    };
    let retag = |first: Option<f32>| {
        vec![
            crate::ItemTags {
                feedback_id: stored[0].id,
                tags: vec![tag.clone()],
                sentiment: first,
                suggestion: false,
            },
            crate::ItemTags {
                feedback_id: stored[1].id,
                tags: vec![],
                sentiment: Some(0.5),
                suggestion: false,
            },
        ]
    };
    store.replace_rule_tags(version, &retag(None)).unwrap();
    let mention = store.item_tags(stored[0].id).unwrap()[0].sentiment;
    assert_eq!(mention, Some(-0.25));
    let mut read = Vec::new();
    store
        .scan_item_themes(
            &FeedbackFilter::default(),
            ThemeOrigin::Rule,
            10,
            &mut |page| {
                read.extend(
                    page.into_iter()
                        .map(|i| (i.sentiment, i.themes, i.mention_sentiments)),
                );
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    assert_eq!(
        read,
        [
            (Some(-0.625), vec!["fee".to_owned()], vec![Some(-0.25)]),
            (Some(0.5), vec![], vec![]),
        ],
        "no sentiment given keeps the stored one"
    );
    store
        .replace_rule_tags(version, &retag(Some(0.125)))
        .unwrap();
    let stored = read_all(store, &FeedbackFilter::default());
    assert_eq!(stored[0].item.sentiment, Some(0.125));
}

fn event(at: i64, kind: &str, payload: &str) -> crate::NewEvent {
    crate::NewEvent {
        at,
        actor: "ana@example.com".into(),
        kind: kind.into(),
        payload: payload.into(),
    }
}

fn stored(seq: i64, new: &crate::NewEvent) -> crate::StoredEvent {
    crate::StoredEvent {
        seq,
        at: new.at,
        actor: new.actor.clone(),
        kind: new.kind.clone(),
        payload: new.payload.clone(),
    }
}

pub fn workflow_events_append_in_order_and_read_back_exactly(store: &dyn Store) {
    assert!(store.events(0).unwrap().is_empty());
    // Whitespace, key order, escapes, quotes and non-ASCII text must survive as written.
    let payload = concat!(
        r#"{"z": 1, "title":"Zürich \"late\" refunds 😀 ‘quoted’ ","#,
        "\n  ",
        r#""a":[1.0000000000000002, -0.0], "esc":"\u00e9\\n"}"#
    );
    let first = vec![
        event(1_760_000_000, "issue.opened", payload),
        event(
            1_760_000_001,
            "issue.assigned",
            r#"{"to":"bo@example.com"}"#,
        ),
    ];
    assert_eq!(store.append_events(0, &first).unwrap(), 2);
    let second = vec![
        crate::NewEvent {
            actor: "trove".into(),
            ..event(1_760_000_100, "action.replanned", "{}")
        },
        event(
            1_759_999_999,
            "lesson.recorded",
            r#"{"text":"'single' and \"double\""}"#,
        ),
    ];
    assert_eq!(store.append_events(2, &second).unwrap(), 4);
    let all = store.events(0).unwrap();
    let expected: Vec<crate::StoredEvent> = first
        .iter()
        .chain(&second)
        .enumerate()
        .map(|(i, new)| stored(i as i64 + 1, new))
        .collect();
    assert_eq!(all, expected, "in seq order, not by time, byte for byte");
    assert_eq!(all[0].payload.as_bytes(), payload.as_bytes());
    assert_eq!(store.events(2).unwrap(), expected[2..].to_vec());
    assert_eq!(store.events(3).unwrap(), expected[3..].to_vec());
    assert!(store.events(4).unwrap().is_empty());
    assert!(store.events(100).unwrap().is_empty());
}

pub fn a_stale_append_is_a_conflict_and_appends_nothing(store: &dyn Store) {
    // An empty batch on an empty log is fine and leaves it empty.
    assert_eq!(store.append_events(0, &[]).unwrap(), 0);
    assert!(store.events(0).unwrap().is_empty());
    let batch = vec![
        event(1, "issue.opened", "{}"),
        event(2, "issue.closed", "{}"),
    ];
    assert_eq!(store.append_events(0, &batch).unwrap(), 2);
    for stale in [0, 1, 3] {
        match store.append_events(stale, &batch) {
            Err(crate::StoreError::Conflict {
                what,
                expected,
                found,
            }) => {
                assert_eq!(what, "the workflow log");
                assert_eq!((expected, found), (stale, 2));
            }
            other => panic!("expected a conflict from {stale}, got {other:?}"),
        }
    }
    let kept = store.events(0).unwrap();
    assert_eq!(kept.len(), 2, "a refused append writes nothing");
    assert!(matches!(
        store.append_events(1, &[]),
        Err(crate::StoreError::Conflict { found: 2, .. })
    ));
    assert_eq!(
        store.append_events(2, &[]).unwrap(),
        2,
        "an empty batch is fine"
    );
    assert_eq!(store.append_events(2, &batch[..1]).unwrap(), 3);
    let seqs: Vec<i64> = store.events(0).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3], "no gaps, even after refusals");
}

pub fn appenders_racing_from_the_same_view_cannot_both_win(store: &dyn Store) {
    let mut last = 0;
    for round in 0..5 {
        let barrier = std::sync::Barrier::new(2);
        let results: Vec<crate::StoreResult<i64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|writer| {
                    let barrier = &barrier;
                    scope.spawn(move || {
                        let batch: Vec<crate::NewEvent> = (0..3)
                            .map(|i| event(round, &format!("w{writer}.e{i}"), "{}"))
                            .collect();
                        barrier.wait();
                        store.append_events(last, &batch)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let won: Vec<i64> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .copied()
            .collect();
        assert_eq!(
            won,
            vec![last + 3],
            "round {round}: exactly one wins: {results:?}"
        );
        let lost = results.iter().filter(|r| {
            matches!(r, Err(crate::StoreError::Conflict { expected, found, .. })
                if *expected == last && *found == last + 3)
        });
        assert_eq!(
            lost.count(),
            1,
            "round {round}: the other conflicts: {results:?}"
        );
        last += 3;
    }
    let events = store.events(0).unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=15).collect::<Vec<i64>>());
    for batch in events.chunks(3) {
        let writer = &batch[0].kind[..2];
        assert!(
            batch.iter().all(|e| e.kind.starts_with(writer)),
            "a batch is never interleaved with another: {batch:?}"
        );
    }
}

fn credential(email: &str, phc: &str, set_at: i64) -> crate::Credential {
    crate::Credential {
        email: email.into(),
        phc: phc.into(),
        set_at,
    }
}

fn session(id_hash: &str, email: &str, created_at: i64, expires_at: i64) -> crate::SessionRecord {
    crate::SessionRecord {
        id_hash: id_hash.into(),
        email: email.into(),
        created_at,
        expires_at,
        last_seen_at: created_at,
    }
}

pub fn a_password_is_set_replaced_and_read_back(store: &dyn Store) {
    assert_eq!(store.credential("ann@example.com").unwrap(), None);
    let first = credential(
        "ann@example.com",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        100,
    );
    store.set_credential(&first).unwrap();
    assert_eq!(store.credential("ann@example.com").unwrap(), Some(first));
    let second = credential("ann@example.com", "$argon2id$v=19$other", 200);
    store.set_credential(&second).unwrap();
    assert_eq!(store.credential("ann@example.com").unwrap(), Some(second));
    assert_eq!(store.credential("bo@example.com").unwrap(), None);
}

pub fn sessions_are_found_by_hash_touched_and_ended(store: &dyn Store) {
    let ann = session("aa11", "ann@example.com", 1_000, 9_000);
    let bo = session("bb22", "bo@example.com", 1_500, 9_500);
    store.create_session(&ann).unwrap();
    store.create_session(&bo).unwrap();
    assert_eq!(store.session("aa11").unwrap(), Some(ann.clone()));
    assert_eq!(store.session("cc33").unwrap(), None);
    assert!(
        store.create_session(&ann).is_err(),
        "a session id hash is unique"
    );
    store.touch_session("aa11", 2_000).unwrap();
    let touched = store.session("aa11").unwrap().unwrap();
    assert_eq!(touched.last_seen_at, 2_000);
    assert_eq!(touched.created_at, 1_000, "touching keeps the start");
    store.delete_session("aa11").unwrap();
    assert_eq!(store.session("aa11").unwrap(), None);
    store.delete_session("aa11").unwrap();
    assert_eq!(store.session("bb22").unwrap(), Some(bo), "others stay");
}

pub fn a_new_password_ends_the_persons_sessions(store: &dyn Store) {
    store
        .create_session(&session("aa11", "ann@example.com", 1_000, 9_000))
        .unwrap();
    store
        .create_session(&session("aa12", "ann@example.com", 1_100, 9_000))
        .unwrap();
    store
        .create_session(&session("bb22", "bo@example.com", 1_000, 9_000))
        .unwrap();
    store
        .set_credential(&credential("ann@example.com", "$argon2id$new", 1_200))
        .unwrap();
    assert_eq!(store.session("aa11").unwrap(), None);
    assert_eq!(store.session("aa12").unwrap(), None);
    assert!(store.session("bb22").unwrap().is_some());
}

pub fn expired_and_idle_sessions_are_deleted(store: &dyn Store) {
    // Past its absolute expiry at 5,000.
    store
        .create_session(&session("old", "ann@example.com", 1_000, 5_000))
        .unwrap();
    // Idle: last seen at 2,000, before the idle limit of 3,000.
    store
        .create_session(&session("idle", "ann@example.com", 2_000, 9_000))
        .unwrap();
    // Live: seen at 4,000, ends at 9,000.
    store
        .create_session(&session("live", "ann@example.com", 1_000, 9_000))
        .unwrap();
    store.touch_session("live", 4_000).unwrap();
    assert_eq!(store.delete_expired_sessions(5_000, 3_000).unwrap(), 2);
    assert_eq!(store.session("old").unwrap(), None);
    assert_eq!(store.session("idle").unwrap(), None);
    assert!(store.session("live").unwrap().is_some());
}

fn form(id: &str, created_at: i64) -> crate::FormRecord {
    crate::FormRecord {
        id: id.into(),
        secret: format!("secret-of-{id}"),
        title: "How was your stay?".into(),
        question: "How likely are you to recommend us to a friend?".into(),
        source: "lobby-form".into(),
        touchpoint: "check-in".into(),
        business_unit: Some("hotels".into()),
        scale: crate::FormScale::Nps,
        created_by: "ann@example.com".into(),
        created_at,
        closed_at: None,
    }
}

pub fn forms_are_stored_listed_and_closed_once(store: &dyn Store) {
    let first = form("f1a2", 1_000);
    let second = crate::FormRecord {
        business_unit: None,
        scale: crate::FormScale::None,
        ..form("f3b4", 2_000)
    };
    store.create_form(&first).unwrap();
    store.create_form(&second).unwrap();
    assert!(store.create_form(&first).is_err(), "a form id is unique");
    assert_eq!(store.form("f1a2").unwrap(), Some(first.clone()));
    assert_eq!(store.form("nope").unwrap(), None);
    assert_eq!(
        store.forms().unwrap(),
        vec![second.clone(), first.clone()],
        "newest first"
    );
    assert!(store.close_form("f1a2", 3_000).unwrap());
    assert!(!store.close_form("f1a2", 4_000).unwrap(), "closed already");
    assert!(!store.close_form("nope", 4_000).unwrap());
    assert_eq!(store.form("f1a2").unwrap().unwrap().closed_at, Some(3_000));
    assert_eq!(
        store.form("f3b4").unwrap(),
        Some(second),
        "others stay open"
    );
}

pub fn a_forms_answers_of_a_day_share_one_import_run(store: &dyn Store) {
    store.create_form(&form("f1a2", 1_000)).unwrap();
    store.create_form(&form("f3b4", 1_000)).unwrap();
    let monday = store.form_import_run("f1a2", "2026-03-16", 5_000).unwrap();
    assert_eq!(
        store.form_import_run("f1a2", "2026-03-16", 6_000).unwrap(),
        monday
    );
    let tuesday = store.form_import_run("f1a2", "2026-03-17", 7_000).unwrap();
    let other = store.form_import_run("f3b4", "2026-03-16", 5_500).unwrap();
    assert_ne!(monday, tuesday);
    assert_ne!(monday, other);
    assert!(store.form_import_run("nope", "2026-03-16", 5_000).is_err());
    store
        .insert_feedback(&[item("lobby-form", "a")], Some(monday))
        .unwrap();
    let one = ImportTotals {
        rows: 1,
        imported: 1,
        ..ImportTotals::default()
    };
    let repeat = ImportTotals {
        rows: 1,
        duplicates: 1,
        ..ImportTotals::default()
    };
    store.add_to_import_run(monday, &one, 5_000).unwrap();
    store.add_to_import_run(monday, &repeat, 6_500).unwrap();
    let runs = store.import_runs(10).unwrap();
    assert_eq!(runs.len(), 3);
    let run = runs.iter().find(|r| r.id == monday).unwrap();
    assert_eq!(run.kind, "feedback");
    assert_eq!(run.source, "lobby-form");
    assert_eq!(run.file, crate::form_run_file("f1a2", "2026-03-16"));
    assert_eq!(
        run.status,
        ImportStatus::Completed,
        "nobody holds it, yet it is no interrupted run"
    );
    assert_eq!(run.started_at, 5_000);
    assert_eq!(run.finished_at, Some(6_500), "it ends with its last answer");
    assert_eq!(
        run.totals,
        ImportTotals {
            rows: 2,
            imported: 1,
            duplicates: 1,
            ..ImportTotals::default()
        }
    );
    // Its items can be undone like any import's; the day's next answer starts a new run.
    assert_eq!(store.delete_import(monday, 8_000).unwrap(), 1);
    let after = store.form_import_run("f1a2", "2026-03-16", 9_000).unwrap();
    assert_ne!(after, monday, "a deleted run takes no more answers");
    assert_eq!(
        store.form_import_run("f1a2", "2026-03-16", 9_500).unwrap(),
        after
    );
    assert_eq!(store.import_runs(10).unwrap().len(), 4);
}

fn api_token(name: &str, secret_hash: &str, created_at: i64) -> crate::NewApiToken {
    crate::NewApiToken {
        name: name.into(),
        owner: "ann@example.com".into(),
        scopes: vec!["read".into(), "ingest:web-form".into()],
        business_unit: Some("retail".into()),
        secret_hash: secret_hash.into(),
        created_at,
        expires_at: Some(created_at + 1_000),
    }
}

pub fn api_tokens_are_found_by_hash_touched_revoked_and_rotated(store: &dyn Store) {
    assert!(store.api_tokens().unwrap().is_empty());
    let first = store
        .create_api_token(&api_token("sync", "aa11", 100))
        .unwrap();
    let mut plain = api_token("reader", "bb22", 200);
    plain.scopes = vec!["read".into()];
    plain.business_unit = None;
    plain.expires_at = None;
    let second = store.create_api_token(&plain).unwrap();
    assert_ne!(first, second);
    assert!(
        store
            .create_api_token(&api_token("copy", "aa11", 300))
            .is_err(),
        "a secret hash is unique"
    );
    let found = store.api_token_by_hash("aa11").unwrap().unwrap();
    assert_eq!(
        (found.id, found.name.as_str(), found.owner.as_str()),
        (first, "sync", "ann@example.com")
    );
    assert_eq!(found.scopes, vec!["read", "ingest:web-form"]);
    assert_eq!(found.business_unit.as_deref(), Some("retail"));
    assert_eq!((found.created_at, found.expires_at), (100, Some(1_100)));
    assert_eq!(
        (found.last_used_at, found.rotated_at, found.revoked_at),
        (None, None, None)
    );
    assert_eq!(store.api_token_by_hash("cc33").unwrap(), None);
    store.touch_api_token(first, 150).unwrap();
    assert_eq!(
        store
            .api_token_by_hash("aa11")
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(150)
    );
    // Rotation: the old secret stops working, the record (and its id) stays.
    assert!(store.rotate_api_token(first, "dd44", 160).unwrap());
    assert_eq!(store.api_token_by_hash("aa11").unwrap(), None);
    let rotated = store.api_token_by_hash("dd44").unwrap().unwrap();
    assert_eq!((rotated.id, rotated.rotated_at), (first, Some(160)));
    assert_eq!(rotated.last_used_at, None, "the new secret is unused");
    assert!(store.revoke_api_token(first, 170).unwrap());
    assert!(!store.revoke_api_token(first, 180).unwrap(), "revoked once");
    assert!(!store.revoke_api_token(999, 180).unwrap(), "no such token");
    assert!(
        !store.rotate_api_token(first, "ee55", 190).unwrap(),
        "a revoked token is never rotated back to life"
    );
    let listed = store.api_tokens().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].revoked_at, Some(170));
    assert_eq!(listed[1].id, second);
    assert_eq!(listed[1].scopes, vec!["read"]);
    assert_eq!(
        (listed[1].business_unit.as_deref(), listed[1].expires_at),
        (None, None)
    );
}

pub fn every_write_an_analysis_reads_moves_the_data_version(store: &dyn Store) {
    use crate::{ItemTags, KeyedTags, NewModel};
    let mut last = store.data_version().unwrap();
    let mut moved = |what: &str| {
        let now = store.data_version().unwrap();
        assert!(now > last, "{what} left the data version at {now}");
        last = now;
    };
    store.insert_feedback(&[item("s", "1")], None).unwrap();
    moved("an insert");
    let version = store
        .save_taxonomy_version(&taxonomy("v1", vec![theme_record("fee", None, None)]))
        .unwrap();
    moved("a taxonomy version");
    let tags = vec![vec![rule_tag("fee", "fee", 0, 3)]];
    store
        .insert_tagged_feedback(&[item("s", "2")], None, &tags, version)
        .unwrap();
    moved("a tagged insert");
    let id = read_all(store, &FeedbackFilter::default())[0].id;
    let item_tags = ItemTags {
        feedback_id: id,
        tags: vec![rule_tag("fee", "fee", 0, 3)],
        sentiment: None,
        suggestion: false,
    };
    store
        .replace_rule_tags(version, std::slice::from_ref(&item_tags))
        .unwrap();
    moved("rule tags");
    let keyed = KeyedTags {
        source: label("s"),
        external_id: ExternalId::parse("1").unwrap(),
        tags: vec![],
    };
    store.replace_rule_tags_by_key(version, &[keyed]).unwrap();
    moved("rule tags by key");
    let model = store
        .save_model(&NewModel {
            name: "default".into(),
            created_at: 1,
            labels_file: "train.csv".into(),
            metrics: "{}".into(),
            model: vec![1],
        })
        .unwrap();
    store.replace_model_tags(model, &[item_tags]).unwrap();
    moved("model labels");
    store
        .replace_feedback(&[item("s", "1")], None, None)
        .unwrap();
    moved("a replacing insert");
    store.upsert_customers(&[customer("c1", "retail")]).unwrap();
    moved("customers");
    store
        .replace_journey(&journey(&["arrive"], &["ops"]))
        .unwrap();
    moved("a journey");
    store
        .upsert_themes(&[Theme {
            id: slug("delay"),
            name: label("Delay"),
            parent: None,
        }])
        .unwrap();
    moved("themes");
    let hold = store.start_import(&new_run("a.csv")).unwrap();
    store
        .insert_feedback(&[item("s", "3")], Some(hold.id()))
        .unwrap();
    drop(hold);
    moved("an import's batch");
    let run = store.import_runs(1).unwrap()[0].id;
    store.delete_import(run, 5).unwrap();
    moved("deleting an import");
    // Reads and writes that no analysis reads leave it alone.
    store.count_feedback(&FeedbackFilter::default()).unwrap();
    store.append_events(0, &[event(1, "noted", "{}")]).unwrap();
    assert_eq!(store.data_version().unwrap(), last);
}

pub fn stored_results_are_replaced_by_key_and_listed_newest_first(store: &dyn Store) {
    use crate::StoredResult;
    assert_eq!(store.stored_result("a").unwrap(), None);
    assert!(store.stored_results(10).unwrap().is_empty());
    let result = |key: &str, data_version: i64, computed_at: i64, body: &str| StoredResult {
        key: key.into(),
        request: format!(r#"{{"kind":"{key}"}}"#),
        data_version,
        computed_at,
        result: body.into(),
    };
    // Byte for byte, non-ASCII and a long body included.
    let long: String = "é\"\n{}".repeat(50_000);
    store.save_result(&result("a", 1, 100, &long)).unwrap();
    store.save_result(&result("b", 1, 200, "[]")).unwrap();
    assert_eq!(
        store.stored_result("a").unwrap(),
        Some(result("a", 1, 100, &long))
    );
    store.save_result(&result("a", 2, 300, "{}")).unwrap();
    assert_eq!(
        store.stored_result("a").unwrap(),
        Some(result("a", 2, 300, "{}"))
    );
    let heads: Vec<(String, i64, i64)> = store
        .stored_results(10)
        .unwrap()
        .into_iter()
        .map(|h| (h.key, h.data_version, h.computed_at))
        .collect();
    assert_eq!(heads, [("a".into(), 2, 300), ("b".into(), 1, 200)]);
    assert_eq!(store.stored_results(1).unwrap().len(), 1);
    assert_eq!(
        store.stored_results(1).unwrap()[0].request,
        r#"{"kind":"a"}"#
    );
}
