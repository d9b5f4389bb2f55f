//! Contract cases of survey waves, opt-outs and the self-assessment.

use crate::{AssessmentAnswer, Invitation, NewWave, Store};

fn wave(drawn_at: i64) -> NewWave {
    NewWave {
        drawn_at,
        drawn_by: Some("ana@example.com".into()),
        seed: "18446744073709551615".into(),
        quarantine_days: 90,
        answer_window_days: 60,
        allocation: r#"{"method":"proportional"}"#.into(),
    }
}

fn invite(customer: &str, weight: f64) -> Invitation {
    Invitation {
        customer_id: customer.into(),
        stratum: "segment=SMB".into(),
        weight,
    }
}

pub fn waves_are_stored_with_their_invitations_and_found_by_time(store: &dyn Store) {
    let first = store
        .create_wave(&wave(1_000), &[invite("c2", 12.5), invite("c1", 12.5)])
        .unwrap();
    let second = store
        .create_wave(&wave(5_000), &[invite("c3", 3.0)])
        .unwrap();
    assert!(second > first);
    let waves = store.waves().unwrap();
    assert_eq!(
        waves.iter().map(|w| (w.id, w.invited)).collect::<Vec<_>>(),
        vec![(second, 1), (first, 2)]
    );
    let read = store.wave(first).unwrap().unwrap();
    assert_eq!(read.seed, "18446744073709551615");
    assert_eq!(read.drawn_by.as_deref(), Some("ana@example.com"));
    assert_eq!((read.quarantine_days, read.answer_window_days), (90, 60));
    assert_eq!(read.allocation, r#"{"method":"proportional"}"#);
    assert_eq!(store.wave(second + 1).unwrap(), None);
    assert_eq!(
        store.invitations(first).unwrap(),
        vec![invite("c1", 12.5), invite("c2", 12.5)]
    );
    assert_eq!(store.invited_since(0).unwrap(), vec!["c1", "c2", "c3"]);
    assert_eq!(store.invited_since(1_001).unwrap(), vec!["c3"]);
    assert!(store.invited_since(5_001).unwrap().is_empty());
}

pub fn an_opt_out_is_recorded_once(store: &dyn Store) {
    assert!(store.opt_out("c9", 10).unwrap());
    assert!(!store.opt_out("c9", 20).unwrap());
    assert!(store.opt_out("c1", 30).unwrap());
    assert_eq!(store.opted_out().unwrap(), vec!["c1", "c9"]);
}

fn answer(question: &str, value: u8) -> AssessmentAnswer {
    AssessmentAnswer {
        question: question.into(),
        area: question.split('-').next().unwrap().into(),
        answer: value,
    }
}

pub fn a_self_assessment_replaces_the_persons_month_only(store: &dyn Store) {
    store
        .save_assessment(
            "ana@x",
            "2026-03",
            100,
            &[answer("clarity-1", 2), answer("clarity-2", 3)],
        )
        .unwrap();
    store
        .save_assessment("bo@x", "2026-03", 110, &[answer("clarity-1", 5)])
        .unwrap();
    store
        .save_assessment("ana@x", "2026-04", 200, &[answer("clarity-1", 4)])
        .unwrap();
    // Ana answers March again: her March set is replaced, Bo's and her April stay.
    store
        .save_assessment("ana@x", "2026-03", 150, &[answer("patience-1", 1)])
        .unwrap();
    let stored: Vec<(String, String, i64, String, u8)> = store
        .assessment_answers()
        .unwrap()
        .into_iter()
        .map(|a| {
            (
                a.person,
                a.month,
                a.answered_at,
                a.answer.question,
                a.answer.answer,
            )
        })
        .collect();
    let row = |p: &str, m: &str, at: i64, q: &str, v: u8| (p.into(), m.into(), at, q.into(), v);
    assert_eq!(
        stored,
        vec![
            row("ana@x", "2026-03", 150, "patience-1", 1),
            row("bo@x", "2026-03", 110, "clarity-1", 5),
            row("ana@x", "2026-04", 200, "clarity-1", 4),
        ]
    );
}
