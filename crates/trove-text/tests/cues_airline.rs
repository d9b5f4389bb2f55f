//! Expectation and advice cues on the real airline tweets (skipped when ../shared/data is
//! absent): tweets that plainly carry a cue must get it, whatever their punctuation.

use trove_text::{Advice, ClauseCues, Expectation, clause_cues};

/// Whether a clause carries the cue a check expects.
type Expected = Box<dyn Fn(&ClauseCues) -> bool>;

const TWEETS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/airline-tweets/Tweets.csv"
);

fn texts() -> Option<Vec<String>> {
    let Ok(mut reader) = csv::Reader::from_path(TWEETS) else {
        eprintln!("skipped: {TWEETS} is absent");
        return None;
    };
    let headers = reader.headers().ok()?.clone();
    let text = headers.iter().position(|h| h == "text")?;
    Some(
        reader
            .records()
            .filter_map(Result::ok)
            .map(|r| r[text].to_owned())
            .collect(),
    )
}

#[test]
fn tweets_with_a_plain_cue_are_classified_by_it() {
    let Some(texts) = texts() else { return };
    let with = |phrase: &str| -> Vec<&String> {
        texts
            .iter()
            .filter(|t| t.to_lowercase().contains(phrase))
            .collect()
    };
    let checks: [(&str, Expected); 4] = [
        (
            "supposed to",
            Box::new(|c| {
                c.expectation
                    .as_ref()
                    .is_some_and(|e| e.0 == Expectation::Unmet)
            }),
        ),
        (
            "please add",
            Box::new(|c| c.advice.as_ref().is_some_and(|a| a.0 == Advice::DoMore)),
        ),
        (
            "too many",
            Box::new(|c| c.advice.as_ref().is_some_and(|a| a.0 == Advice::DoLess)),
        ),
        (
            "keep up the",
            Box::new(|c| c.advice.as_ref().is_some_and(|a| a.0 == Advice::KeepDoing)),
        ),
    ];
    for (phrase, expected) in checks {
        let tweets = with(phrase);
        assert!(!tweets.is_empty(), "no tweet says {phrase:?}");
        let found = tweets
            .iter()
            .filter(|t| clause_cues(t).iter().any(&expected))
            .count();
        eprintln!("{phrase:?}: {found} of {} tweets", tweets.len());
        assert_eq!(
            found,
            tweets.len(),
            "{phrase:?}: {found} of {}",
            tweets.len()
        );
    }
    let with_cue = texts.iter().filter(|t| !clause_cues(t).is_empty()).count();
    eprintln!("{with_cue} of {} tweets carry a cue", texts.len());
    assert!(with_cue > 500 && with_cue < texts.len() / 2, "{with_cue}");
}

#[test]
fn the_fast_suggestion_check_agrees_with_the_clause_reports_on_every_tweet() {
    let Some(texts) = texts() else { return };
    let mut suggestions = 0;
    for text in &texts {
        let fast = trove_text::is_suggestion(text);
        assert_eq!(
            fast,
            trove_text::question::suggestion(text).is_some(),
            "{text}"
        );
        suggestions += usize::from(fast);
    }
    // Some tweets ask for more or less, most do not.
    assert!(
        suggestions > 100 && suggestions < texts.len() / 2,
        "{suggestions}"
    );
}
