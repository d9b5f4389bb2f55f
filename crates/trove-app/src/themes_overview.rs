//! The themes page's read: the current taxonomy as a tree (kind, stage, departments, items
//! tagged by its rules), the coverage, and the newest whole-corpus discovery run whose
//! clusters may become themes (previewed and promoted with [`App::add_theme_from_cluster`]).

use std::collections::HashMap;

use trove_domain::ThemeKind;
use trove_store::{Coverage, FeedbackFilter};
use trove_text::Taxonomy;

use crate::{App, DiscoverError, StoredDiscovery};

/// A theme of the current taxonomy, in tree order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How deep it sits (0 for a top theme).
    pub depth: usize,
    /// `problem`, `praise`, `suggestion` or `question`.
    pub kind: &'static str,
    /// Its journey stage, when it has one.
    pub stage: Option<String>,
    /// The departments that contribute to it.
    pub departments: Vec<String>,
    /// Items its rules tag (a parent counts its children's items, each item once).
    pub items: u64,
}

/// What the themes page shows.
#[derive(Debug, Clone)]
pub struct TaxonomyOverview {
    /// The current taxonomy's version, if one is loaded.
    pub version: Option<i64>,
    /// Its themes, parents before their children.
    pub themes: Vec<ThemeRow>,
    /// How many items carry a theme, overall and per source.
    pub coverage: Coverage,
    /// The newest discovery run over the whole corpus, if any.
    pub discovery: Option<StoredDiscovery>,
}

/// A theme kind's name.
fn kind_name(kind: ThemeKind) -> &'static str {
    match kind {
        ThemeKind::Problem => "problem",
        ThemeKind::Praise => "praise",
        ThemeKind::Suggestion => "suggestion",
        ThemeKind::Question => "question",
    }
}

impl App {
    /// The current taxonomy with its counts, the coverage and the newest discovery run (made
    /// with the embedding model `model` when one is configured, see
    /// [`App::newest_discovery`]).
    pub fn taxonomy_overview(
        &self,
        model: Option<&std::path::Path>,
    ) -> Result<TaxonomyOverview, DiscoverError> {
        let filter = FeedbackFilter::default();
        let coverage = self.coverage(&filter)?;
        let discovery = self.newest_discovery(model)?;
        let Some(current) = self.store().current_taxonomy()? else {
            return Ok(TaxonomyOverview {
                version: None,
                themes: Vec::new(),
                coverage,
                discovery,
            });
        };
        let taxonomy = Taxonomy::parse("the current taxonomy", &current.toml)
            .map_err(|e| DiscoverError::BadRun(current.version, e.to_string()))?;
        let counts: HashMap<String, u64> = self
            .rule_theme_counts(&filter)?
            .into_iter()
            .map(|(_, c)| (c.theme.as_str().to_owned(), c.items))
            .collect();
        Ok(TaxonomyOverview {
            version: Some(current.version),
            themes: tree(&taxonomy)
                .into_iter()
                .map(|(depth, t)| ThemeRow {
                    id: t.id.as_str().to_owned(),
                    name: t.name.clone(),
                    depth,
                    kind: kind_name(t.kind),
                    stage: t.stage.as_ref().map(|s| s.as_str().to_owned()),
                    departments: t
                        .departments
                        .iter()
                        .map(|d| d.as_str().to_owned())
                        .collect(),
                    items: counts.get(t.id.as_str()).copied().unwrap_or(0),
                })
                .collect(),
            coverage,
            discovery,
        })
    }
}

/// The themes depth first, each parent before its children, siblings in the file's order; a
/// theme whose parent is missing counts as a top theme.
fn tree(taxonomy: &Taxonomy) -> Vec<(usize, &trove_text::ThemeDef)> {
    let known: std::collections::HashSet<&str> =
        taxonomy.themes.iter().map(|t| t.id.as_str()).collect();
    let parent_of = |t: &trove_text::ThemeDef| {
        t.parent
            .as_ref()
            .map(|p| p.as_str())
            .filter(|p| known.contains(p))
            .map(str::to_owned)
    };
    let children = |parent: Option<&str>| -> Vec<&trove_text::ThemeDef> {
        taxonomy
            .themes
            .iter()
            .filter(|t| parent_of(t).as_deref() == parent)
            .collect()
    };
    let mut out = Vec::new();
    let mut stack: Vec<(usize, &trove_text::ThemeDef)> =
        children(None).into_iter().rev().map(|t| (0, t)).collect();
    while let Some((depth, theme)) = stack.pop() {
        // A cycle cannot parse, but a bound keeps a bad file from looping.
        if out.len() > taxonomy.themes.len() {
            break;
        }
        out.push((depth, theme));
        let below = children(Some(theme.id.as_str()));
        stack.extend(below.into_iter().rev().map(|t| (depth + 1, t)));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn parents_come_before_their_children_in_the_files_order() {
        let taxonomy = Taxonomy::parse(
            "t.toml",
            r#"
[[themes]]
id = "billing"
name = "Billing"
[[themes]]
id = "claims"
name = "Claims"
[[themes]]
id = "fee"
name = "Fee"
parent = "billing"
keywords = ["fee"]
[[themes]]
id = "late-payout"
name = "Late payout"
parent = "claims"
keywords = ["late"]
[[themes]]
id = "refund"
name = "Refund"
parent = "billing"
keywords = ["refund"]
"#,
        )
        .expect("a taxonomy");
        let order: Vec<(usize, &str)> = tree(&taxonomy)
            .into_iter()
            .map(|(d, t)| (d, t.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                (0, "billing"),
                (1, "fee"),
                (1, "refund"),
                (0, "claims"),
                (1, "late-payout")
            ]
        );
    }
}
