//! The contract of an [`Analytics`] backend: after a sync, its reads answer exactly what the
//! system of record's own reads answer on the same data, and a sync follows every change
//! (new items, re-tagging, deleted items, a customer's new segment) writing only what changed.
//!
//! These cases take a store (the system of record, fresh and empty) and an analytics backend
//! (fresh and empty) that the backend's integration test makes.

use std::ops::ControlFlow;

use jiff::Timestamp;
use trove_domain::{Ces, Channel, Csat, Customer, CustomerId, FeedbackItem, Nps, Scores};

use super::{at, customer, item, label, rule_tag, taxonomy, theme_record};
use crate::{
    Analytics, Dimension, FeedbackFilter, ItemTags, ItemThemes, MonthTally, NewImportRun, NewModel,
    Store, ThemeOrigin, theme_tallies_of,
};

/// Items of [`fill_for_analytics`]: more than one page of the sync's ledger (10,000 ids).
pub const ANALYTICS_ITEMS: usize = 12_500;

const UNITS: [&str; 3] = ["Home", "Motor", "Travel"];
const CHANNELS: [Channel; 4] = [
    Channel::Survey,
    Channel::Ticket,
    Channel::Chat,
    Channel::Email,
];
const STAGES: [&str; 3] = ["buy", "use", "pay"];
const TOUCHPOINTS: [&str; 4] = ["web", "app", "branch", "phone"];
const THEMES: [&str; 6] = ["fee", "wait", "app-crash", "refund", "staff", "claim"];
const SEGMENTS: [&str; 3] = ["gold", "silver", "bronze"];

/// The `i`th generated item: every field varies with `i`, some left out.
fn generated(i: usize) -> FeedbackItem {
    let month = i % 14;
    let day = 1 + (i * 7) % 28;
    let received = format!(
        "{}-{:02}-{day:02}T{:02}:{:02}:00Z",
        2024 + (month + 2) / 12,
        1 + (month + 2) % 12,
        i % 24,
        i % 60
    );
    let pick = |options: &[&str], every: usize| {
        (!i.is_multiple_of(every)).then(|| label(options[i % options.len()]))
    };
    FeedbackItem {
        channel: CHANNELS[i % CHANNELS.len()],
        received_at: at(&received, (i % 5) as i8 - 2),
        customer_id: (!i.is_multiple_of(4))
            .then(|| CustomerId::parse(&format!("C-{}", i % 60)).unwrap()),
        business_unit: pick(&UNITS, 7),
        product: pick(&["Basic", "Plus"], 3),
        region: pick(&["North", "South"], 5),
        touchpoint: pick(&TOUCHPOINTS, 6),
        journey_stage: pick(&STAGES, 8),
        sentiment: (!i.is_multiple_of(3)).then(|| ((i % 41) as f32 - 20.0) / 20.0),
        scores: Scores {
            nps: i
                .is_multiple_of(2)
                .then(|| Nps::try_from((i % 11) as i64).unwrap()),
            csat: i
                .is_multiple_of(3)
                .then(|| Csat::try_from(1 + (i % 5) as i64).unwrap()),
            ces: i
                .is_multiple_of(5)
                .then(|| Ces::try_from(1 + (i % 7) as i64).unwrap()),
        },
        source_themes: if i.is_multiple_of(9) {
            vec![label("Billing"), label("Fee")]
        } else {
            Vec::new()
        },
        ..item(
            if i.is_multiple_of(2) { "survey" } else { "crm" },
            &format!("A-{i}"),
        )
    }
}

/// Customers C-0 .. C-49 (C-50 .. C-59 are named by items but unknown), in three segments.
fn customers() -> Vec<Customer> {
    (0..50)
        .map(|i| customer(&format!("C-{i}"), SEGMENTS[i % SEGMENTS.len()]))
        .collect()
}

/// Rule tags (with mention sentiment, on most items), model tags (on some) for `ids`.
fn tags_of(ids: &[i64], salt: usize) -> (Vec<ItemTags>, Vec<ItemTags>) {
    let mut rule = Vec::new();
    let mut model = Vec::new();
    for (n, &id) in ids.iter().enumerate() {
        let i = n + salt;
        let theme = |k: usize| THEMES[(i + k) % THEMES.len()];
        let mut tags = Vec::new();
        if i % 4 != 3 {
            tags.push(crate::RuleTag {
                sentiment: (i % 3 != 1).then(|| ((i % 17) as f32 - 8.0) / 8.0),
                ..rule_tag(theme(0), theme(0), 0, 3)
            });
        }
        if i.is_multiple_of(5) {
            tags.push(rule_tag(theme(2), theme(2), 4, 8));
            // The same theme twice: one item, counted once.
            tags.push(crate::RuleTag {
                sentiment: Some(0.5),
                ..rule_tag(theme(2), theme(2), 9, 12)
            });
        }
        rule.push(ItemTags {
            feedback_id: id,
            tags,
            sentiment: None,
            suggestion: false,
        });
        if i.is_multiple_of(6) {
            model.push(ItemTags {
                feedback_id: id,
                tags: vec![rule_tag(theme(1), "", 0, 0)],
                sentiment: None,
                suggestion: false,
            });
        }
    }
    (rule, model)
}

/// Stores [`ANALYTICS_ITEMS`] varied items with customers, rule tags and model tags; returns
/// the taxonomy version and the items' ids.
pub fn fill_for_analytics(store: &dyn Store) -> (i64, Vec<i64>) {
    store.upsert_customers(&customers()).unwrap();
    let version = store
        .save_taxonomy_version(&taxonomy(
            "v1",
            THEMES.iter().map(|t| theme_record(t, None, None)).collect(),
        ))
        .unwrap();
    let items: Vec<FeedbackItem> = (0..ANALYTICS_ITEMS).map(generated).collect();
    for batch in items.chunks(2_500) {
        store.insert_feedback(batch, None).unwrap();
    }
    let ids: Vec<i64> = super::read_all(store, &FeedbackFilter::default())
        .iter()
        .map(|s| s.id)
        .collect();
    store
        .save_model(&NewModel {
            name: "default".into(),
            created_at: 1,
            labels_file: "train.csv".into(),
            metrics: "{}".into(),
            model: vec![1],
        })
        .unwrap();
    let (rule, model) = tags_of(&ids, 0);
    store.replace_rule_tags(version, &rule).unwrap();
    store.replace_model_tags(1, &model).unwrap();
    (version, ids)
}

/// The filters every read is compared under.
fn filters() -> Vec<FeedbackFilter> {
    let text = |s: &str| Some(s.to_owned());
    let since = |s: &str| Some(s.parse::<Timestamp>().unwrap().as_second());
    vec![
        FeedbackFilter::default(),
        FeedbackFilter {
            since: since("2024-06-01T00:00:00Z"),
            until: since("2025-01-15T00:00:00Z"),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            source: text("crm"),
            channel: Some(Channel::Ticket),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            business_unit: text("Motor"),
            journey_stage: text("use"),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            touchpoint: text("app"),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            segment: text("gold"),
            ..FeedbackFilter::default()
        },
        FeedbackFilter {
            business_unit: text("nowhere"),
            ..FeedbackFilter::default()
        },
    ]
}

const ORIGINS: [ThemeOrigin; 4] = [
    ThemeOrigin::Rule,
    ThemeOrigin::Source,
    ThemeOrigin::Model,
    ThemeOrigin::Any,
];

fn collect(
    read: impl FnOnce(&mut crate::PageVisitor<'_, ItemThemes>) -> crate::StoreResult<()>,
) -> Vec<ItemThemes> {
    let mut all = Vec::new();
    read(&mut |page| {
        all.extend(page);
        ControlFlow::Continue(())
    })
    .unwrap();
    all
}

/// The month tallies computed with the store's own `tally_by`, month by month.
fn month_tallies_of(
    store: &dyn Store,
    dimension: Dimension,
    filter: &FeedbackFilter,
) -> Vec<MonthTally> {
    let mut all = Vec::new();
    for month in store.tally_by(Dimension::Month, filter).unwrap() {
        let month = month.key.unwrap();
        let start: Timestamp = format!("{month}-01T00:00:00Z").parse().unwrap();
        let end = start
            .to_zoned(jiff::tz::TimeZone::UTC)
            .checked_add(jiff::Span::new().months(1))
            .unwrap()
            .timestamp();
        let within = FeedbackFilter {
            since: Some(filter.since.unwrap_or(i64::MIN).max(start.as_second())),
            until: Some(filter.until.unwrap_or(i64::MAX).min(end.as_second())),
            ..filter.clone()
        };
        for group in store.tally_by(dimension, &within).unwrap() {
            all.push(MonthTally {
                month: month.clone(),
                key: group.key,
                tally: group.tally,
            });
        }
    }
    all.sort_by(|a, b| (&a.month, &a.key).cmp(&(&b.month, &b.key)));
    all
}

/// Every read of `analytics` equals the store's, under every filter.
pub fn assert_reads_match(store: &dyn Store, analytics: &dyn Analytics) {
    assert_reads_match_under(store, analytics, &filters(), &ORIGINS, &Dimension::ALL);
}

/// The reads a change most affects (all items and a segment; themes of any origin and rule
/// tags; tallies by unit and month) equal the store's: a quicker check after each change.
pub fn assert_main_reads_match(store: &dyn Store, analytics: &dyn Analytics) {
    let gold = FeedbackFilter {
        segment: Some("gold".into()),
        ..FeedbackFilter::default()
    };
    assert_reads_match_under(
        store,
        analytics,
        &[FeedbackFilter::default(), gold],
        &[ThemeOrigin::Any, ThemeOrigin::Rule],
        &[Dimension::BusinessUnit, Dimension::Month],
    );
}

fn assert_reads_match_under(
    store: &dyn Store,
    analytics: &dyn Analytics,
    filters: &[FeedbackFilter],
    origins: &[ThemeOrigin],
    dimensions: &[Dimension],
) {
    for filter in filters {
        let filter = filter.clone();
        for &origin in origins {
            let expected = collect(|v| store.scan_item_themes(&filter, origin, 1_000, v));
            let found = collect(|v| analytics.scan_facts(&filter, origin, 1_000, v));
            assert_eq!(
                found.len(),
                expected.len(),
                "items of {origin:?} under {filter:?}"
            );
            for (found, expected) in found.iter().zip(&expected) {
                assert_eq!(found, expected, "{origin:?} under {filter:?}");
            }
            assert_eq!(
                analytics.theme_tallies(&filter, origin).unwrap(),
                theme_tallies_of(store, &filter, origin).unwrap(),
                "theme tallies of {origin:?} under {filter:?}"
            );
        }
        for &dimension in dimensions {
            assert_eq!(
                analytics.tally_by(dimension, &filter).unwrap(),
                store.tally_by(dimension, &filter).unwrap(),
                "tallies by {dimension:?} under {filter:?}"
            );
        }
        for &dimension in dimensions
            .iter()
            .filter(|d| **d != Dimension::Month)
            .take(3)
        {
            assert_eq!(
                analytics.tally_by_month(dimension, &filter).unwrap(),
                month_tallies_of(store, dimension, &filter),
                "month tallies by {dimension:?} under {filter:?}"
            );
        }
    }
}

/// After a sync, every read of the analytics backend equals the store's: the items of each
/// theme origin (fields, themes, mention sentiments, in id order) and the tallies by each
/// dimension, by month and dimension, by month and theme, under filters of every field.
pub fn analytics_reads_match_the_store(store: &dyn Store, analytics: &dyn Analytics) {
    assert_eq!(analytics.synced_version().unwrap(), None, "never synced");
    fill_for_analytics(store);
    let report = analytics.sync(store).unwrap();
    assert_eq!(report.items, ANALYTICS_ITEMS as u64);
    assert_eq!(report.rows_written, ANALYTICS_ITEMS as u64);
    assert_eq!(report.data_version, store.data_version().unwrap());
    assert_eq!(
        analytics.synced_version().unwrap(),
        Some(report.data_version)
    );
    // A hand-checked figure, so that a bug shared by both sides cannot pass unseen: the
    // generator gives every other item an NPS (0..=10 cycling with the item), so items
    // 0, 2, ..., 12,498 hold i % 11.
    let overall = analytics
        .tally_by(Dimension::Channel, &FeedbackFilter::default())
        .unwrap();
    let nps_n: u64 = overall.iter().map(|g| g.tally.nps_n).sum();
    let promoters: u64 = overall.iter().map(|g| g.tally.promoters).sum();
    let expected_promoters = (0..ANALYTICS_ITEMS)
        .filter(|i| i.is_multiple_of(2) && i % 11 >= 9)
        .count() as u64;
    assert_eq!(nps_n, (ANALYTICS_ITEMS as u64).div_ceil(2));
    assert_eq!(promoters, expected_promoters);
    assert_reads_match(store, analytics);
}

/// A sync writes only the pages that changed, and follows new items, re-tagged items,
/// deleted items and a customer's new segment; a sync of unchanged data writes nothing.
pub fn a_sync_follows_every_change_and_writes_only_what_changed(
    store: &dyn Store,
    analytics: &dyn Analytics,
) {
    let (version, ids) = fill_for_analytics(store);
    let first = analytics.sync(store).unwrap();
    assert!(first.pages_written >= 2, "{first:?}");

    let again = analytics.sync(store).unwrap();
    assert_eq!(
        (again.rows_written, again.pages_written),
        (0, 0),
        "unchanged data: {again:?}"
    );
    assert_eq!(again.pages_unchanged, first.pages_written);

    // Re-tag three items of the first page only.
    let (mut retagged, _) = tags_of(&ids[..3], 1);
    retagged[0].tags.push(rule_tag("claim", "claim", 0, 5));
    store.replace_rule_tags(version, &retagged).unwrap();
    let report = analytics.sync(store).unwrap();
    assert_eq!(report.pages_written, 1, "only the first page: {report:?}");
    assert_main_reads_match(store, analytics);

    // New items of an import (ids past the last page), then the import deleted again.
    let run = store
        .start_import(&NewImportRun {
            kind: "feedback".into(),
            source: "late".into(),
            file: "late.csv".into(),
            started_at: 1,
        })
        .unwrap();
    let late: Vec<FeedbackItem> = (0..50)
        .map(|i| FeedbackItem {
            business_unit: Some(label("Late")),
            ..generated(ANALYTICS_ITEMS + i)
        })
        .collect();
    store.insert_feedback(&late, Some(run.id())).unwrap();
    let report = analytics.sync(store).unwrap();
    assert!(report.rows_written <= 50 + 10_000, "{report:?}");
    assert_main_reads_match(store, analytics);
    drop(run);
    store.delete_import(run_id(store), 2).unwrap();
    analytics.sync(store).unwrap();
    let late_unit = FeedbackFilter {
        business_unit: Some("Late".into()),
        ..FeedbackFilter::default()
    };
    assert!(collect(|v| analytics.scan_facts(&late_unit, ThemeOrigin::Any, 100, v)).is_empty());
    assert_main_reads_match(store, analytics);

    // A customer's new segment changes the facts of their items.
    store
        .upsert_customers(&[customer("C-1", "platinum")])
        .unwrap();
    analytics.sync(store).unwrap();
    let platinum = FeedbackFilter {
        segment: Some("platinum".into()),
        ..FeedbackFilter::default()
    };
    let found = collect(|v| analytics.scan_facts(&platinum, ThemeOrigin::Any, 100, v));
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|item| item.customer_id.as_deref() == Some("C-1"))
    );
    assert_main_reads_match(store, analytics);
}

/// The id of the newest import run.
fn run_id(store: &dyn Store) -> i64 {
    store.import_runs(1).unwrap()[0].id
}
