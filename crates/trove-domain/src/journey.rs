use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{DomainError, Label, Slug};

/// A department (a silo) that contributes to issues and owns actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Stable id, e.g. `billing`.
    pub id: Slug,
    /// Display name.
    pub name: Label,
}

/// A point of contact between the customer and the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touchpoint {
    /// Stable id, e.g. `first-bill`.
    pub id: Slug,
    /// Display name.
    pub name: Label,
    /// A moment where customers decide to stay or go.
    pub moment_of_truth: bool,
    /// Departments that own this touchpoint.
    pub departments: Vec<Slug>,
}

/// A stage of the customer journey, with its touchpoints in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Stable id, e.g. `onboard`.
    pub id: Slug,
    /// Display name.
    pub name: Label,
    /// Touchpoints in the order customers meet them.
    pub touchpoints: Vec<Touchpoint>,
}

/// The customer journey (stages in order) and the company's departments.
/// Ids are unique across stages, across touchpoints and across departments, and every
/// department a touchpoint names exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    stages: Vec<Stage>,
    departments: Vec<Department>,
}

impl Journey {
    /// Checks ids and references.
    pub fn new(stages: Vec<Stage>, departments: Vec<Department>) -> Result<Self, DomainError> {
        let unique = |what: &'static str, ids: &mut dyn Iterator<Item = &Slug>| {
            let mut seen = HashSet::new();
            for id in ids {
                if !seen.insert(id) {
                    return Err(DomainError::invalid(what, id.as_str(), "appears twice"));
                }
            }
            Ok(seen.len())
        };
        if stages.is_empty() {
            return Err(DomainError::Empty {
                what: "journey stages",
            });
        }
        unique("stage id", &mut stages.iter().map(|s| &s.id))?;
        unique(
            "touchpoint id",
            &mut stages.iter().flat_map(|s| &s.touchpoints).map(|t| &t.id),
        )?;
        unique("department id", &mut departments.iter().map(|d| &d.id))?;
        let known: HashSet<&Slug> = departments.iter().map(|d| &d.id).collect();
        for touchpoint in stages.iter().flat_map(|s| &s.touchpoints) {
            if let Some(missing) = touchpoint.departments.iter().find(|d| !known.contains(d)) {
                return Err(DomainError::invalid(
                    "department id",
                    missing.as_str(),
                    format!(
                        "touchpoint {} names a department that is not defined",
                        touchpoint.id
                    ),
                ));
            }
        }
        Ok(Self {
            stages,
            departments,
        })
    }

    /// Stages in journey order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Departments.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// The stage a touchpoint (by id or by name, case-insensitive) belongs to.
    pub fn stage_of_touchpoint(&self, touchpoint: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| {
            stage.touchpoints.iter().any(|t| {
                t.id.as_str() == touchpoint || t.name.as_str().eq_ignore_ascii_case(touchpoint)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::parse("id", s).unwrap()
    }
    fn label(s: &str) -> Label {
        Label::parse("name", s).unwrap()
    }
    fn touchpoint(id: &str, departments: &[&str]) -> Touchpoint {
        Touchpoint {
            id: slug(id),
            name: label(id),
            moment_of_truth: false,
            departments: departments.iter().map(|d| slug(d)).collect(),
        }
    }

    #[test]
    fn a_journey_refuses_duplicate_ids_and_unknown_departments() {
        let billing = Department {
            id: slug("billing"),
            name: label("Billing"),
        };
        let pay = Stage {
            id: slug("pay"),
            name: label("Pay"),
            touchpoints: vec![touchpoint("first-bill", &["billing"])],
        };
        let journey = Journey::new(vec![pay.clone()], vec![billing.clone()]).unwrap();
        assert_eq!(
            journey
                .stage_of_touchpoint("First-Bill")
                .unwrap()
                .id
                .as_str(),
            "pay"
        );

        assert!(Journey::new(vec![pay.clone(), pay.clone()], vec![billing.clone()]).is_err());
        let orphan = Stage {
            id: slug("use"),
            name: label("Use"),
            touchpoints: vec![touchpoint("app", &["it"])],
        };
        let error = Journey::new(vec![pay, orphan], vec![billing])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("touchpoint app names a department"),
            "{error}"
        );
    }
}
