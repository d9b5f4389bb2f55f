//! The journey file: departments, then stages with their touchpoints, in TOML.
//!
//! ```toml
//! [[departments]]
//! id = "billing"
//! name = "Billing"
//!
//! [[stages]]
//! id = "pay"
//! name = "Pay"
//! [[stages.touchpoints]]
//! id = "first-bill"
//! name = "First bill"
//! moment_of_truth = true
//! departments = ["billing"]
//! ```

use serde::{Deserialize, Serialize};
use trove_domain::{Department, DomainError, Journey, Label, Slug, Stage, Touchpoint};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JourneyFile {
    #[serde(default)]
    departments: Vec<NamedFile>,
    stages: Vec<StageFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedFile {
    id: String,
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageFile {
    id: String,
    name: String,
    #[serde(default)]
    touchpoints: Vec<TouchpointFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TouchpointFile {
    id: String,
    name: String,
    #[serde(default)]
    moment_of_truth: bool,
    #[serde(default)]
    departments: Vec<String>,
}

/// Reads a journey file; errors name the file and, for syntax, the line.
pub fn parse_journey(file: &str, toml_text: &str) -> Result<Journey, String> {
    let raw: JourneyFile = toml::from_str(toml_text).map_err(|e| format!("{file}: {e}"))?;
    let at = |place: String| move |e: DomainError| format!("{file}: {place}: {e}");
    let departments = raw
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let place = format!("departments[{i}]");
            Ok(Department {
                id: Slug::parse("id", &d.id).map_err(at(place.clone()))?,
                name: Label::parse("name", &d.name).map_err(at(place))?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut stages = Vec::new();
    for (i, stage) in raw.stages.iter().enumerate() {
        let place = format!("stages[{i}] ({})", stage.id);
        let mut touchpoints = Vec::new();
        for (j, t) in stage.touchpoints.iter().enumerate() {
            let place = format!("{place}.touchpoints[{j}] ({})", t.id);
            touchpoints.push(Touchpoint {
                id: Slug::parse("id", &t.id).map_err(at(place.clone()))?,
                name: Label::parse("name", &t.name).map_err(at(place.clone()))?,
                moment_of_truth: t.moment_of_truth,
                departments: t
                    .departments
                    .iter()
                    .map(|d| Slug::parse("department id", d).map_err(at(place.clone())))
                    .collect::<Result<_, _>>()?,
            });
        }
        stages.push(Stage {
            id: Slug::parse("id", &stage.id).map_err(at(place.clone()))?,
            name: Label::parse("name", &stage.name).map_err(at(place))?,
            touchpoints,
        });
    }
    Journey::new(stages, departments).map_err(|e| format!("{file}: {e}"))
}

/// Writes a journey in the same format [`parse_journey`] reads.
pub fn journey_to_toml(journey: &Journey) -> String {
    let file = JourneyFile {
        departments: journey
            .departments()
            .iter()
            .map(|d| NamedFile {
                id: d.id.to_string(),
                name: d.name.to_string(),
            })
            .collect(),
        stages: journey
            .stages()
            .iter()
            .map(|s| StageFile {
                id: s.id.to_string(),
                name: s.name.to_string(),
                touchpoints: s
                    .touchpoints
                    .iter()
                    .map(|t| TouchpointFile {
                        id: t.id.to_string(),
                        name: t.name.to_string(),
                        moment_of_truth: t.moment_of_truth,
                        departments: t.departments.iter().map(ToString::to_string).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    toml::to_string_pretty(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[departments]]
id = "billing"
name = "Billing"

[[stages]]
id = "pay"
name = "Pay"
[[stages.touchpoints]]
id = "first-bill"
name = "First bill"
moment_of_truth = true
departments = ["billing"]
"#;

    #[test]
    fn a_journey_file_round_trips() {
        let journey = parse_journey("j.toml", SAMPLE).unwrap();
        assert!(journey.stages()[0].touchpoints[0].moment_of_truth);
        let again = parse_journey("j.toml", &journey_to_toml(&journey)).unwrap();
        assert_eq!(again, journey);
    }

    #[test]
    fn errors_name_the_file_and_the_place() {
        let unknown = SAMPLE.replace("departments = [\"billing\"]", "departments = [\"legal\"]");
        let error = parse_journey("j.toml", &unknown).unwrap_err();
        assert!(
            error.starts_with("j.toml: ") && error.contains("legal"),
            "{error}"
        );
        let bad_id = SAMPLE.replace("id = \"first-bill\"", "id = \"First Bill\"");
        let error = parse_journey("j.toml", &bad_id).unwrap_err();
        assert!(
            error.contains("stages[0] (pay).touchpoints[0] (First Bill)"),
            "{error}"
        );
        let typo = SAMPLE.replace("moment_of_truth", "moment_of_truht");
        let error = parse_journey("j.toml", &typo).unwrap_err();
        assert!(error.contains("line"), "{error}");
    }
}
