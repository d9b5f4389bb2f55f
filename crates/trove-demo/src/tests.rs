//! Checks that the planted truth is really in the generated feedback.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use trove_domain::{Channel, FeedbackItem, ThemeId};

use super::*;

/// An item with its true themes.
type Tagged = (FeedbackItem, Vec<ThemeId>);

/// The default company and its feedback, generated once for all tests.
fn demo() -> &'static (DemoCompany, Vec<Tagged>) {
    static DEMO: OnceLock<(DemoCompany, Vec<Tagged>)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let company = generate(&DemoConfig::default()).unwrap();
        let items = company.feedback_with_truth().collect();
        (company, items)
    })
}

fn local_date(item: &FeedbackItem) -> Date {
    let at = item.received_at;
    at.timestamp()
        .to_zoned(TimeZone::fixed(
            Offset::from_seconds(at.offset_seconds()).unwrap(),
        ))
        .date()
}

fn month_of(item: &FeedbackItem) -> (i16, i8) {
    let date = local_date(item);
    (date.year(), date.month())
}

fn mentions(themes: &[ThemeId], id: &ThemeId) -> bool {
    themes.contains(id)
}

/// Items per month, and of those, items mentioning `id`.
fn monthly(items: &[Tagged], id: &ThemeId) -> BTreeMap<(i16, i8), (usize, usize)> {
    let mut months = BTreeMap::new();
    for (item, themes) in items {
        let entry = months.entry(month_of(item)).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += usize::from(mentions(themes, id));
    }
    months
}

fn nps_mean(scores: impl Iterator<Item = u8>) -> f64 {
    let values: Vec<f64> = scores.map(f64::from).collect();
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn the_same_seed_gives_identical_output_and_different_seeds_differ() {
    let config = DemoConfig {
        customers: 800,
        feedback: 3_000,
        ..DemoConfig::default()
    };
    let run = |config: &DemoConfig| {
        let company = generate(config).unwrap();
        let items: Vec<_> = company.feedback_with_truth().collect();
        (company.customers, items)
    };
    let (customers, items) = run(&config);
    assert_eq!((customers.clone(), items.clone()), run(&config));
    let (other_customers, other_items) = run(&DemoConfig { seed: 7, ..config });
    assert_ne!(customers, other_customers);
    assert_ne!(items, other_items);
}

#[test]
fn the_company_has_a_full_journey_and_enough_customers() {
    let (company, _) = demo();
    let stages = company.journey.stages();
    let touchpoints: Vec<_> = stages.iter().flat_map(|s| &s.touchpoints).collect();
    assert!((6..=8).contains(&stages.len()), "{} stages", stages.len());
    assert!(
        (12..=20).contains(&touchpoints.len()),
        "{} touchpoints",
        touchpoints.len()
    );
    let moments = touchpoints.iter().filter(|t| t.moment_of_truth).count();
    assert!((6..=10).contains(&moments), "{moments} moments of truth");
    assert!((6..=9).contains(&company.journey.departments().len()));
    assert_eq!(company.business_units.len(), 3);
    assert!(company.customers.len() >= 5_000);
    assert_eq!(company.customers[122].id.as_str(), "C000123");
    assert!(company.customers.iter().all(|c| {
        c.email.as_ref().is_some_and(|e| {
            e.as_str().ends_with("@example.com") || e.as_str().ends_with("@example.org")
        })
    }));
    let emails: HashSet<_> = company.customers.iter().map(|c| c.email.clone()).collect();
    assert_eq!(
        emails.len(),
        company.customers.len(),
        "e-mail addresses are unique"
    );
    assert!(company.customers.iter().all(|c| {
        c.value
            .is_some_and(|v| v.minor() > 0 && v.currency() == company.currency)
    }));
}

#[test]
fn every_truth_theme_is_in_the_taxonomy_and_the_journey() {
    let (company, _) = demo();
    let taxonomy: HashSet<_> = company.themes.iter().map(|t| &t.id).collect();
    let departments: HashSet<_> = company
        .journey
        .departments()
        .iter()
        .map(|d| &d.id)
        .collect();
    assert!(company.truth.themes.len() >= 15);
    for theme in &company.truth.themes {
        assert!(
            taxonomy.contains(&theme.id) && taxonomy.contains(&theme.parent),
            "{}",
            theme.id
        );
        assert!(
            company.journey.stages().iter().any(|s| s.id == theme.stage),
            "{}",
            theme.id
        );
        for touchpoint in &theme.touchpoints {
            assert!(
                company
                    .journey
                    .stage_of_touchpoint(touchpoint.as_str())
                    .is_some(),
                "{touchpoint}"
            );
        }
        assert!(
            theme.departments.iter().all(|d| departments.contains(d)),
            "{}",
            theme.id
        );
    }
    assert_eq!(company.truth.chronic().count(), 3);
    assert!(company.truth.spike().is_some() && company.truth.fixed().is_some());
}

#[test]
fn feedback_has_the_requested_count_in_time_order_over_eighteen_months() {
    let (company, items) = demo();
    assert_eq!(items.len(), 60_000);
    assert_eq!(company.feedback().len(), 60_000);
    assert!(
        items
            .windows(2)
            .all(|w| w[0].0.received_at.unix_seconds() <= w[1].0.received_at.unix_seconds())
    );
    let months: HashSet<_> = items.iter().map(|(item, _)| month_of(item)).collect();
    assert_eq!(months.len(), 18);
    assert_eq!(local_date(&items[0].0), company.truth.start);
    assert_eq!(local_date(&items[items.len() - 1].0), company.truth.end);
    assert!(
        items
            .iter()
            .all(|(item, _)| item.received_at.offset_seconds() == -5 * 3600
                && item.source.as_str() == "northwind-demo"
                && item.language.as_ref().is_some_and(|l| l.as_str() == "en"))
    );
}

#[test]
fn ids_are_unique_touchpoints_match_stages_and_customers_exist() {
    let (company, items) = demo();
    let ids: HashSet<_> = items
        .iter()
        .map(|(item, _)| item.external_id.as_str())
        .collect();
    assert_eq!(ids.len(), items.len());
    let customers: HashSet<_> = company.customers.iter().map(|c| &c.id).collect();
    let mut with_customer = 0;
    for (item, _) in items {
        if let Some(touchpoint) = &item.touchpoint {
            let stage = company
                .journey
                .stage_of_touchpoint(touchpoint.as_str())
                .unwrap();
            assert_eq!(
                item.journey_stage.as_ref().map(|s| s.as_str()),
                Some(stage.id.as_str())
            );
        }
        if let Some(id) = &item.customer_id {
            assert!(customers.contains(id), "{id}");
            with_customer += 1;
        }
    }
    assert!(
        with_customer as f64 > 0.85 * items.len() as f64,
        "{with_customer}"
    );
}

#[test]
fn channels_carry_realistic_scores_and_text() {
    let (_, items) = demo();
    let by_channel = |channel| {
        items
            .iter()
            .filter(move |(item, _)| item.channel == channel)
            .map(|(item, _)| item)
    };
    assert!(
        Channel::ALL.iter().all(|c| by_channel(*c).count() > 50),
        "every channel is used"
    );
    let surveys: Vec<_> = by_channel(Channel::Survey).collect();
    assert!(surveys.iter().all(|s| s.scores.nps.is_some()));
    let empty = surveys.iter().filter(|s| s.text.is_empty()).count() as f64 / surveys.len() as f64;
    assert!(
        (0.15..0.5).contains(&empty),
        "{empty} of surveys are score-only"
    );
    assert!(
        surveys.iter().any(|s| s.scores.csat.is_some())
            && surveys.iter().any(|s| s.scores.ces.is_some())
    );
    for channel in [
        Channel::Ticket,
        Channel::Call,
        Channel::Chat,
        Channel::Email,
    ] {
        assert!(
            by_channel(channel).all(|i| i.scores.nps.is_none() && !i.text.is_empty()),
            "{channel}"
        );
    }
    assert!(by_channel(Channel::Call).all(|i| i.attributes.get("agent").is_some()));
}

#[test]
fn texts_vary_so_a_tagger_has_real_work() {
    let (company, items) = demo();
    // Comments about nothing in particular repeat ("Fine.", "ok"); themed ones mostly do not.
    let themed: Vec<_> = items
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(i, _)| i.text.as_str())
        .collect();
    let distinct: HashSet<_> = themed.iter().collect();
    assert!(
        distinct.len() as f64 > 0.6 * themed.len() as f64,
        "{} of {} distinct",
        distinct.len(),
        themed.len()
    );
    let fee = &company.truth.theme("surprise-fee").unwrap().id;
    let about_fees: Vec<_> = items
        .iter()
        .filter(|(_, t)| t.first() == Some(fee))
        .collect();
    let say_fee = about_fees
        .iter()
        .filter(|(i, _)| i.text.as_str().to_lowercase().contains("fee"))
        .count() as f64;
    let share = say_fee / about_fees.len() as f64;
    assert!(
        (0.2..0.8).contains(&share),
        "{share} of fee items say 'fee'"
    );
    assert!(
        items
            .iter()
            .all(|(item, _)| !item.text.as_str().contains('{'))
    );
}

#[test]
fn chronic_themes_are_steady_and_spread_across_channels_units_and_customers() {
    let (company, items) = demo();
    for theme in company.truth.chronic() {
        let shares: Vec<f64> = monthly(items, &theme.id)
            .values()
            .map(|(n, k)| *k as f64 / *n as f64)
            .collect();
        let (min, max) = shares
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        assert!(
            min > 0.0 && max / min < 2.0,
            "{}: monthly shares {min:.3}..{max:.3}",
            theme.id
        );
        let about: Vec<_> = items
            .iter()
            .filter(|(_, t)| mentions(t, &theme.id))
            .map(|(i, _)| i)
            .collect();
        let channels: HashSet<_> = about.iter().map(|i| i.channel).collect();
        let units: HashSet<_> = about
            .iter()
            .filter_map(|i| i.business_unit.as_ref())
            .collect();
        let touchpoints: HashSet<_> = about.iter().filter_map(|i| i.touchpoint.as_ref()).collect();
        let customers: HashSet<_> = about
            .iter()
            .filter_map(|i| i.customer_id.as_ref())
            .collect();
        assert!(
            channels.len() >= 3 && units.len() >= 3 && touchpoints.len() >= 3,
            "{}",
            theme.id
        );
        assert!(
            customers.len() >= 300,
            "{}: {} customers",
            theme.id,
            customers.len()
        );
    }
}

#[test]
fn the_spike_is_a_burst_in_its_window_on_one_channel_and_unit() {
    let (company, items) = demo();
    let spike = company.truth.spike().unwrap();
    let ThemeKind::Spike {
        start,
        end,
        channel,
        business_unit,
    } = &spike.kind
    else {
        panic!("not a spike")
    };
    let (start, end) = (*start, *end);
    assert_eq!(
        (*channel, business_unit.as_str()),
        (Channel::Social, "Home")
    );
    let about: Vec<_> = items
        .iter()
        .filter(|(_, t)| mentions(t, &spike.id))
        .map(|(i, _)| i)
        .collect();
    let inside = about
        .iter()
        .filter(|i| (start..=end).contains(&local_date(i)))
        .count() as f64;
    assert!(
        inside / about.len() as f64 >= 0.7,
        "{inside} of {} in the window",
        about.len()
    );
    let social = about
        .iter()
        .filter(|i| i.channel == Channel::Social)
        .count() as f64;
    assert!(social / about.len() as f64 > 0.5, "{social} social");
    let home = about
        .iter()
        .filter(|i| {
            i.business_unit
                .as_ref()
                .is_some_and(|u| u.as_str() == "Home")
        })
        .count();
    let with_unit = about.iter().filter(|i| i.business_unit.is_some()).count();
    assert!(home as f64 > 0.8 * with_unit as f64);
    let months = monthly(items, &spike.id);
    let noticeable = months
        .values()
        .filter(|(n, k)| *k as f64 > 0.002 * *n as f64)
        .count();
    assert!(
        noticeable <= 2,
        "{noticeable} months with a noticeable share"
    );
}

#[test]
fn the_fixed_theme_drops_below_four_tenths_of_its_rate_after_the_fix() {
    let (company, items) = demo();
    let fixed = company.truth.fixed().unwrap();
    let ThemeKind::Fixed { fix_date, .. } = fixed.kind.clone() else {
        panic!("not fixed")
    };
    let rate = |after: bool| {
        let period: Vec<_> = items
            .iter()
            .filter(|(i, _)| (local_date(i) >= fix_date) == after)
            .collect();
        period
            .iter()
            .filter(|(_, t)| mentions(t, &fixed.id))
            .count() as f64
            / period.len() as f64
    };
    let (before, after) = (rate(false), rate(true));
    assert!(after < 0.4 * before, "before {before:.4}, after {after:.4}");
    assert!(fixed.share_on(fix_date) < 0.5 * fixed.share_on(company.truth.start));
}

#[test]
fn items_about_chronic_themes_score_clearly_lower_than_overall() {
    let (company, items) = demo();
    let overall = nps_mean(
        items
            .iter()
            .filter_map(|(i, _)| i.scores.nps)
            .map(|n| n.value()),
    );
    for theme in company.truth.chronic() {
        let about = items.iter().filter(|(_, t)| mentions(t, &theme.id));
        let mean = nps_mean(about.filter_map(|(i, _)| i.scores.nps).map(|n| n.value()));
        assert!(
            mean < overall - 2.0,
            "{}: {mean:.2} vs {overall:.2}",
            theme.id
        );
    }
    let praise = company.truth.theme("helpful-agent").unwrap();
    let mean = nps_mean(
        items
            .iter()
            .filter(|(_, t)| t.first() == Some(&praise.id))
            .filter_map(|(i, _)| i.scores.nps)
            .map(|n| n.value()),
    );
    assert!(mean > overall + 0.5, "praise {mean:.2} vs {overall:.2}");
}

#[test]
fn seasonality_moves_volume_but_not_the_chronic_share() {
    let (company, items) = demo();
    let theme = company.truth.chronic().next().unwrap();
    let months = monthly(items, &theme.id);
    // Share in the busiest three months against the quietest three.
    let mut by_volume: Vec<_> = months.values().copied().collect();
    by_volume.sort();
    let volumes: Vec<f64> = by_volume.iter().map(|(n, _)| *n as f64).collect();
    assert!(
        volumes[volumes.len() - 1] > 1.2 * volumes[0],
        "volumes {volumes:?}"
    );
    let share = |group: &[(usize, usize)]| {
        group.iter().map(|(_, k)| *k).sum::<usize>() as f64
            / group.iter().map(|(n, _)| *n).sum::<usize>() as f64
    };
    let (quiet, busy) = (
        share(&by_volume[..3]),
        share(&by_volume[by_volume.len() - 3..]),
    );
    assert!(
        (busy / quiet - 1.0).abs() < 0.25,
        "quiet {quiet:.4}, busy {busy:.4}"
    );
    let weekend = items
        .iter()
        .filter(|(i, _)| local_date(i).weekday().to_monday_zero_offset() >= 5)
        .count();
    assert!(
        (weekend as f64) < 0.8 * items.len() as f64 * 2.0 / 7.0,
        "{weekend} on weekends"
    );
}

#[test]
fn customers_who_hit_chronic_issues_churn_more_often() {
    let (company, items) = demo();
    let chronic: HashSet<_> = company.truth.chronic().map(|t| &t.id).collect();
    let hit: HashSet<_> = items
        .iter()
        .filter(|(_, t)| t.iter().any(|id| chronic.contains(id)))
        .filter_map(|(i, _)| i.customer_id.as_ref())
        .collect();
    let churn = |hit_them: bool| {
        let group: Vec<_> = company
            .customers
            .iter()
            .filter(|c| hit.contains(&c.id) == hit_them)
            .collect();
        group.iter().filter(|c| c.churned).count() as f64 / group.len() as f64
    };
    assert!(
        churn(true) > 1.5 * churn(false),
        "{} vs {}",
        churn(true),
        churn(false)
    );
}

#[test]
fn the_true_themes_match_what_the_text_is_about() {
    let (company, items) = demo();
    let counts: HashMap<&ThemeId, usize> =
        items
            .iter()
            .flat_map(|(_, t)| t.first())
            .fold(HashMap::new(), |mut m, id| {
                *m.entry(id).or_default() += 1;
                m
            });
    for theme in &company.truth.themes {
        assert!(
            counts.get(&theme.id).copied().unwrap_or(0) > 20,
            "{} is rare",
            theme.id
        );
    }
    assert!(
        items
            .iter()
            .all(|(item, themes)| !item.text.is_empty() || themes.is_empty())
    );
}

#[test]
fn the_truth_reads_as_a_summary_and_round_trips_through_serde() {
    let (company, _) = demo();
    let text = company.truth.to_string();
    for needle in [
        "surprise-fee",
        "2026-06-08",
        "2026-03-15",
        "Praise:",
        "Seasonality",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let json = serde_json::to_string(&company.truth).unwrap();
    assert_eq!(serde_json::from_str::<Truth>(&json).unwrap(), company.truth);
}

#[test]
fn observed_main_theme_shares_match_the_expected_shares() {
    let (company, items) = demo();
    let regular = (items.len() - company.truth.burst_items) as f64;
    for theme in company
        .truth
        .themes
        .iter()
        .filter(|t| matches!(t.kind, ThemeKind::Chronic | ThemeKind::Background))
    {
        let main = items
            .iter()
            .filter(|(_, t)| t.first() == Some(&theme.id))
            .count() as f64;
        let ratio = main / regular / theme.share;
        assert!(
            (0.85..1.15).contains(&ratio),
            "{}: observed/expected {ratio:.2}",
            theme.id
        );
    }
}

#[test]
fn bad_configs_are_refused_with_the_field_named() {
    let error = generate(&DemoConfig {
        months: 1,
        ..DemoConfig::default()
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("months"), "{error}");
    assert!(
        generate(&DemoConfig {
            customers: 0,
            ..DemoConfig::default()
        })
        .is_err()
    );
    let empty = generate(&DemoConfig {
        feedback: 0,
        customers: 10,
        ..DemoConfig::default()
    })
    .unwrap();
    assert_eq!(empty.feedback().count(), 0);
}

#[test]
#[ignore = "a timing report; run with --release --ignored --nocapture"]
fn generating_and_streaming_the_default_company_is_fast() {
    let started = std::time::Instant::now();
    let company = generate(&DemoConfig::default()).unwrap();
    let generated = started.elapsed();
    let bytes: usize = company.feedback().map(|i| i.text.as_str().len()).sum();
    println!("{}", company.truth);
    println!(
        "generate {generated:?}, generate + 60k items {:?} ({bytes} bytes of text)",
        started.elapsed()
    );
}
