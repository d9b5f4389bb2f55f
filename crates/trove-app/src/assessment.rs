//! The maturity self-assessment of the customer programme: twelve areas (the eight reasons
//! customer efforts fail and the four prerequisites for stopping problems from coming back),
//! two or three statements each, answered 1 (not true at all) to 5 (completely true) by the
//! people who run the programme, once a month. A person's answers of a month replace the ones
//! they gave that month before.
//!
//! Scores: a person's area score is the mean of their answers in the area; the area's score
//! of a month is the mean over the people who answered it, with that count. An area below 3
//! is low, and points to the next step and the part of Trove that helps.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use trove_store::{AssessmentAnswer, StoreError};
use trove_workflow::rules;

use crate::{App, Clock, WorkflowError};

/// An area's score below this is low.
pub const LOW_SCORE: f64 = 3.0;

/// One area of the assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Area {
    /// Its id (`clarity`).
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Which group it belongs to.
    pub group: &'static str,
    /// Its statements, answered 1-5.
    pub questions: &'static [&'static str],
    /// What to do next when it is low.
    pub next_step: &'static str,
    /// The page of Trove that helps, and its name.
    pub helps: (&'static str, &'static str),
}

const WHY_FAIL: &str = "Why customer efforts fail";
const PREVENT: &str = "Preventing recurrence";

/// The areas, in the order they are asked.
pub const AREAS: &[Area] = &[
    Area {
        id: "clarity",
        name: "Clarity of direction",
        group: WHY_FAIL,
        questions: &[
            "I can say in one sentence what our company wants to become for its customers.",
            "Leaders talk about that direction often, and in the same words.",
            "When two goals compete, people know which one serves customers best.",
        ],
        next_step: "Agree with leadership on one sentence about what customers should get from you, and open every monthly review with it.",
        helps: ("/", "the Customer Room, where leadership meets monthly"),
    },
    Area {
        id: "alignment",
        name: "Alignment of the commitment",
        group: WHY_FAIL,
        questions: &[
            "Every member of the leadership team backs the customer programme, not just one sponsor.",
            "Budgets and plans show the programme's priorities, not only speeches do.",
        ],
        next_step: "Take the top chronic issues to the leadership team and ask each member to own one.",
        helps: ("/ranking", "the ranked chronic issues"),
    },
    Area {
        id: "asset",
        name: "Customers as an asset",
        group: WHY_FAIL,
        questions: &[
            "We know what losing a customer costs us in money.",
            "Decisions about customers weigh their lifetime value, not only this quarter's cost.",
            "Keeping customers gets as much attention as winning new ones.",
        ],
        next_step: "Put the revenue at risk of each chronic issue in front of the people who decide budgets.",
        helps: ("/ranking", "impact and revenue at risk per issue"),
    },
    Area {
        id: "metrics",
        name: "Metrics and motivation",
        group: WHY_FAIL,
        questions: &[
            "Our scorecards include what customers tell us, not only internal figures.",
            "People are recognised for preventing problems, not only for fighting fires.",
        ],
        next_step: "Add the customer score and one leading indicator to each department's targets, and publish recognition for prevention work.",
        helps: ("/lessons", "lessons and recognition of prevention work"),
    },
    Area {
        id: "accountability",
        name: "Accountability",
        group: WHY_FAIL,
        questions: &[
            "Every known customer problem has a named owner.",
            "A missed commitment is noticed and followed up within days.",
            "Owners report progress without being chased.",
        ],
        next_step: "Give every open issue a lead department and due dates, and review missed commitments in each department's stream.",
        helps: ("/departments", "the departments' streams and commitments"),
    },
    Area {
        id: "together",
        name: "Working together",
        group: WHY_FAIL,
        questions: &[
            "Departments share what they learn from customers with each other.",
            "When a problem crosses departments, they solve it together instead of passing it on.",
        ],
        next_step: "For each issue that touches several departments, hold one joint session and record the plan where all of them see it.",
        helps: ("/departments", "each department's view of shared issues"),
    },
    Area {
        id: "patience",
        name: "Corporate patience",
        group: WHY_FAIL,
        questions: &[
            "We give improvements enough time to show results before judging them.",
            "The programme keeps its support when a quarter's numbers disappoint.",
        ],
        next_step: "Agree up front how long a fix needs before it is judged, and let the verification test decide when it worked.",
        helps: ("/ranking", "chronic issues and their verified fixes"),
    },
    Area {
        id: "scale",
        name: "Understanding the scale of the work",
        group: WHY_FAIL,
        questions: &[
            "We know how many problems customers report, and how often each comes back.",
            "Plans set aside enough people and time for the size of the work.",
        ],
        next_step: "Size the work from the data: count the chronic issues and what each costs, then staff the top ones.",
        helps: ("/ranking", "the size and cost of each chronic issue"),
    },
    Area {
        id: "voice",
        name: "Voice of the customer across the company",
        group: PREVENT,
        questions: &[
            "Feedback from every channel is gathered in one place.",
            "People outside customer service read customers' own words regularly.",
            "Anyone can trace a figure back to the comments behind it.",
        ],
        next_step: "Import every feedback source, and share the drill-down of customers' own words with each department.",
        helps: ("/items", "customers' own words behind every number"),
    },
    Area {
        id: "teams",
        name: "Cross-organisational teams",
        group: PREVENT,
        questions: &[
            "Recurring problems are worked on by teams drawn from all departments involved.",
            "These teams have the time and the authority to change how work is done.",
        ],
        next_step: "Staff each chronic issue with people from every department it concerns, with one lead.",
        helps: ("/departments", "the departments each issue concerns"),
    },
    Area {
        id: "roots",
        name: "Root causes",
        group: PREVENT,
        questions: &[
            "We ask why until we reach the cause, not only the symptom.",
            "Fixes change the process that made the problem, not only the one case.",
        ],
        next_step: "Pick a chronic issue, open its theme page and record the five whys with everyone involved.",
        helps: (
            "/ranking",
            "the chronic issues; each theme page holds its five whys",
        ),
    },
    Area {
        id: "adoption",
        name: "Adoption and accountability",
        group: PREVENT,
        questions: &[
            "Agreed fixes are actually put in place everywhere they apply.",
            "We check afterwards that a fix stopped the problem from coming back.",
            "What we learn is written down where others find it.",
        ],
        next_step: "Verify every fix against the data before closing it, and record the lesson in the bank.",
        helps: ("/lessons", "the lessons bank"),
    },
];

/// One question, numbered from 1 across all areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Its number (1-based, across all areas).
    pub number: usize,
    /// Its id (`clarity-2`).
    pub id: String,
    /// Its area's id.
    pub area: &'static str,
    /// The statement.
    pub text: &'static str,
}

/// Every question, in order.
pub fn questions() -> Vec<Question> {
    AREAS
        .iter()
        .flat_map(|area| {
            area.questions
                .iter()
                .enumerate()
                .map(move |(i, text)| (area.id, i + 1, *text))
        })
        .enumerate()
        .map(|(index, (area, within, text))| Question {
            number: index + 1,
            id: format!("{area}-{within}"),
            area,
            text,
        })
        .collect()
}

/// The question a reference names: its number (`7`) or its id (`clarity-2`).
pub fn find_question(reference: &str) -> Option<Question> {
    let reference = reference.trim();
    questions()
        .into_iter()
        .find(|q| q.id.eq_ignore_ascii_case(reference) || q.number.to_string() == reference)
}

/// An answer that cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum AssessError {
    /// An answer is wrong (said in words, naming it).
    #[error("{0}")]
    Invalid(String),
    /// The person or the time is refused (boxed: a refusal is large).
    #[error(transparent)]
    Workflow(Box<WorkflowError>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WorkflowError> for AssessError {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::Store(store) => AssessError::Store(store),
            other => AssessError::Workflow(Box::new(other)),
        }
    }
}

/// Checks answers given as (question reference, value text), where `at` says where each came
/// from (`--answer 3=4`, `answers.toml line 5`): every question known, each once, values 1-5.
pub fn parse_answers(
    given: &[(String, String, String)],
) -> Result<Vec<AssessmentAnswer>, AssessError> {
    let mut seen = HashSet::new();
    let mut answers = Vec::new();
    for (reference, value, at) in given {
        let question = find_question(reference).ok_or_else(|| {
            AssessError::Invalid(format!(
                "{at}: no question {reference:?}; `trove assess questions` lists them (by number or id)"
            ))
        })?;
        let answer: u8 = value
            .trim()
            .parse()
            .ok()
            .filter(|v| (1..=5).contains(v))
            .ok_or_else(|| {
                AssessError::Invalid(format!(
                    "{at}: question {} ({}): the answer is {value:?}; answer 1 (not true at all) to 5 (completely true)",
                    question.number, question.id
                ))
            })?;
        if !seen.insert(question.id.clone()) {
            return Err(AssessError::Invalid(format!(
                "{at}: question {} ({}) is answered twice",
                question.number, question.id
            )));
        }
        answers.push(AssessmentAnswer {
            question: question.id,
            area: question.area.to_owned(),
            answer,
        });
    }
    if answers.is_empty() {
        return Err(AssessError::Invalid(
            "no answers given: --answer NUMBER=1..5 (repeat) or --file answers.toml".into(),
        ));
    }
    Ok(answers)
}

/// The answers of a TOML file (`clarity-1 = 4` or `"7" = 4`, one per line), each with the line
/// it is on.
pub fn answers_from_toml(
    file: &str,
    text: &str,
) -> Result<Vec<(String, String, String)>, AssessError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| AssessError::Invalid(format!("{file}: {e}")))?;
    let line_of = |key: &str| {
        text.lines()
            .position(|line| {
                let line = line.trim_start().trim_start_matches('"');
                line.starts_with(key)
                    && line[key.len()..]
                        .trim_start_matches('"')
                        .trim_start()
                        .starts_with('=')
            })
            .map_or_else(|| file.to_owned(), |i| format!("{file} line {}", i + 1))
    };
    Ok(table
        .iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::Integer(i) => i.to_string(),
                other => other.to_string(),
            };
            (key.clone(), value, line_of(key))
        })
        .collect())
}

/// An area's score in a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaScore {
    /// The area's id.
    pub area: &'static str,
    /// The mean over people of their mean answer in the area (none when no one answered it).
    pub mean: Option<f64>,
    /// How many people answered it.
    pub people: u64,
}

/// One month of the assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// How many people answered that month.
    pub people: u64,
    /// Per area, in [`AREAS`] order.
    pub areas: Vec<AreaScore>,
}

/// The assessment over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentTrend {
    /// The months with answers, oldest first.
    pub months: Vec<AssessmentMonth>,
}

impl AssessmentTrend {
    /// The newest month, if any.
    pub fn latest(&self) -> Option<&AssessmentMonth> {
        self.months.last()
    }

    /// The areas whose newest score is low (below [`LOW_SCORE`]), lowest first.
    pub fn low_areas(&self) -> Vec<(&'static Area, f64)> {
        let Some(latest) = self.latest() else {
            return Vec::new();
        };
        let mut low: Vec<(&'static Area, f64)> = latest
            .areas
            .iter()
            .filter_map(|score| {
                let mean = score.mean.filter(|m| *m < LOW_SCORE)?;
                AREAS.iter().find(|a| a.id == score.area).map(|a| (a, mean))
            })
            .collect();
        low.sort_by(|a, b| a.1.total_cmp(&b.1));
        low
    }
}

/// The month (`YYYY-MM`, UTC) of an instant.
pub fn month_of(at: i64) -> String {
    trove_workflow::Workflow::day_of(at)
        .strftime("%Y-%m")
        .to_string()
}

impl App {
    /// Stores `person`'s answers of the month of the `clock`'s time (a pretended time only on a
    /// rehearsal database), replacing their earlier answers of that month. The person must be
    /// a Trove user. Returns the month.
    pub fn answer_assessment(
        &self,
        person: &str,
        clock: Clock,
        answers: &[AssessmentAnswer],
    ) -> Result<String, AssessError> {
        let state = self.workflow()?;
        let user = self.user(&state, person)?;
        if let Clock::Rehearsed(_) = clock {
            rules::rehearsal(&state).map_err(WorkflowError::from)?;
        }
        let at = clock.now();
        let month = month_of(at);
        self.store()
            .save_assessment(&user.email, &month, at, answers)?;
        Ok(month)
    }

    /// A person's answers of a month, by question id.
    pub fn assessment_answers_of(
        &self,
        person: &str,
        month: &str,
    ) -> Result<BTreeMap<String, u8>, StoreError> {
        let person = person.to_lowercase();
        Ok(self
            .store()
            .assessment_answers()?
            .into_iter()
            .filter(|a| a.person == person && a.month == month)
            .map(|a| (a.answer.question, a.answer.answer))
            .collect())
    }

    /// The scores per area and month.
    pub fn assessment_trend(&self) -> Result<AssessmentTrend, StoreError> {
        Ok(trend(&self.store().assessment_answers()?))
    }
}

/// Per person: the sum and count of their answers in an area.
type PersonSums<'a> = BTreeMap<&'a str, (u64, u64)>;

/// Scores per area and month from stored answers.
fn trend(answers: &[trove_store::StoredAssessmentAnswer]) -> AssessmentTrend {
    // month -> area -> person -> (sum, count)
    let mut sums: BTreeMap<&str, BTreeMap<&str, PersonSums<'_>>> = BTreeMap::new();
    let mut people: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    for a in answers {
        let cell = sums
            .entry(a.month.as_str())
            .or_default()
            .entry(a.answer.area.as_str())
            .or_default()
            .entry(a.person.as_str())
            .or_default();
        cell.0 += u64::from(a.answer.answer);
        cell.1 += 1;
        people
            .entry(a.month.as_str())
            .or_default()
            .insert(&a.person);
    }
    let months = sums
        .iter()
        .map(|(month, areas)| AssessmentMonth {
            month: (*month).to_owned(),
            people: people.get(month).map_or(0, |p| p.len() as u64),
            areas: AREAS
                .iter()
                .map(|area| {
                    let by_person = areas.get(area.id);
                    let means: Vec<f64> = by_person
                        .into_iter()
                        .flat_map(|m| m.values())
                        .map(|(sum, count)| *sum as f64 / *count as f64)
                        .collect();
                    AreaScore {
                        area: area.id,
                        mean: (!means.is_empty())
                            .then(|| means.iter().sum::<f64>() / means.len() as f64),
                        people: means.len() as u64,
                    }
                })
                .collect(),
        })
        .collect();
    AssessmentTrend { months }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trove_store::StoredAssessmentAnswer;

    fn stored(person: &str, month: &str, question: &str, answer: u8) -> StoredAssessmentAnswer {
        StoredAssessmentAnswer {
            person: person.into(),
            month: month.into(),
            answered_at: 0,
            answer: AssessmentAnswer {
                question: question.into(),
                area: question.split('-').next().unwrap().into(),
                answer,
            },
        }
    }

    #[test]
    fn twelve_areas_of_two_or_three_questions_with_unique_ids() {
        assert_eq!(AREAS.len(), 12);
        assert!(AREAS.iter().all(|a| (2..=3).contains(&a.questions.len())));
        let all = questions();
        let ids: HashSet<&str> = all.iter().map(|q| q.id.as_str()).collect();
        assert_eq!(ids.len(), all.len());
        assert_eq!(all[0].number, 1);
        assert_eq!(find_question("clarity-2").unwrap().number, 2);
        assert_eq!(find_question("4").unwrap().id, "alignment-1");
    }

    #[test]
    fn an_area_is_the_mean_over_people_of_their_own_means() {
        // Ana answers clarity 2 and 4 (her mean 3), Bo answers 5 once: (3 + 5) / 2 = 4, n = 2.
        let answers = [
            stored("ana", "2026-03", "clarity-1", 2),
            stored("ana", "2026-03", "clarity-2", 4),
            stored("bo", "2026-03", "clarity-1", 5),
            stored("bo", "2026-04", "patience-1", 1),
        ];
        let trend = trend(&answers);
        assert_eq!(trend.months.len(), 2);
        let march = &trend.months[0];
        assert_eq!((march.month.as_str(), march.people), ("2026-03", 2));
        assert_eq!(march.areas[0].mean, Some(4.0));
        assert_eq!(march.areas[0].people, 2);
        assert_eq!(march.areas[1].mean, None);
        let low = trend.low_areas();
        assert_eq!(low.len(), 1);
        assert_eq!((low[0].0.id, low[0].1), ("patience", 1.0));
    }

    #[test]
    fn answers_are_checked_naming_where_they_came_from() {
        let given = |q: &str, v: &str| vec![(q.to_owned(), v.to_owned(), "--answer".to_owned())];
        let ok = parse_answers(&given("3", "5")).unwrap();
        assert_eq!(ok[0].question, "clarity-3");
        let bad = parse_answers(&given("3", "6")).unwrap_err().to_string();
        assert!(
            bad.contains("--answer") && bad.contains("clarity-3"),
            "{bad}"
        );
        let unknown = parse_answers(&given("99", "2")).unwrap_err().to_string();
        assert!(unknown.contains("\"99\""), "{unknown}");
        let mut twice = given("1", "2");
        twice.extend(given("clarity-1", "3"));
        assert!(
            parse_answers(&twice)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn a_toml_file_names_the_line_of_a_bad_answer() {
        let text = "# my answers\nclarity-1 = 4\n\"5\" = 9\n";
        let given = answers_from_toml("answers.toml", text).unwrap();
        let error = parse_answers(&given).unwrap_err().to_string();
        assert!(error.contains("answers.toml line 3"), "{error}");
    }
}
