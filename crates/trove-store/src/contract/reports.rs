//! Kept monthly reports: replaced per unit and month, the newest months kept per unit.

use crate::{ReportHead, Store, StoredReport};

fn report(unit: &str, month: &str, at: i64) -> StoredReport {
    StoredReport {
        business_unit: unit.into(),
        month: month.into(),
        generated_at: at,
        json: format!("{{\"unit\":\"{unit}\",\"month\":\"{month}\",\"at\":{at},\"é\":\"✓\"}}"),
    }
}

/// A report of the same unit and month replaces the old one; each unit keeps its `keep`
/// newest months, whatever the order they were made in; other units are untouched.
pub fn reports_are_replaced_per_unit_and_month_and_the_newest_months_kept(store: &dyn Store) {
    assert!(store.report_heads().unwrap().is_empty());
    assert_eq!(store.stored_report("Motor", "2026-01").unwrap(), None);
    store.save_report(&report("Home", "2026-01", 1), 3).unwrap();
    for (month, at) in [
        ("2026-02", 10),
        ("2026-01", 11),
        ("2026-04", 12),
        ("2026-03", 13),
    ] {
        store.save_report(&report("Motor", month, at), 3).unwrap();
    }
    // Made again: replaced, still one row.
    store
        .save_report(&report("Motor", "2026-03", 20), 3)
        .unwrap();
    let heads = store.report_heads().unwrap();
    let head = |unit: &str, month: &str, at: i64| ReportHead {
        business_unit: unit.into(),
        month: month.into(),
        generated_at: at,
    };
    assert_eq!(
        heads,
        vec![
            head("Home", "2026-01", 1),
            head("Motor", "2026-04", 12),
            head("Motor", "2026-03", 20),
            head("Motor", "2026-02", 10),
        ],
        "2026-01 of Motor is the fourth month: dropped"
    );
    assert_eq!(
        store.stored_report("Motor", "2026-03").unwrap(),
        Some(report("Motor", "2026-03", 20)),
        "read back byte for byte"
    );
    assert_eq!(store.stored_report("Motor", "2026-01").unwrap(), None);
}
