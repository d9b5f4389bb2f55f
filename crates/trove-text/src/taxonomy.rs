//! The taxonomy: the themes an analyst defines in a TOML file, with the phrases that find them.
//!
//! ```toml
//! name = "Demo insurer"
//!
//! [[themes]]
//! id = "billing"                  # stable slug: trends follow it across versions
//! name = "Billing"
//! description = "Charges, fees and payments"
//! stage = "pay"                   # journey stage id (children inherit it)
//! departments = ["finance"]
//! kind = "problem"                # or "praise", "suggestion", "question": only problems are
//!                                 # ranked as issues and carry revenue at risk
//!
//! [[themes]]
//! id = "surprise-fee"
//! name = "Surprise fee"
//! parent = "billing"
//! phrases = ["surprise fee", "hidden charge"]   # stemmed token sequences
//! keywords = ["overcharged"]                    # single words (stemmed)
//! exclude = ["no surprise"]       # any of these in the same sentence vetoes the theme
//! negatable = true                # "not overcharged" within 3 words of the same clause: no tag
//! ```
//!
//! A theme with children may have no phrases of its own (it collects its children's tags at
//! read time); a leaf must have at least one phrase or keyword.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use trove_domain::{Slug, ThemeKind};

use crate::normalize::Normalizer;

/// A whole taxonomy file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    /// A name for the taxonomy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its themes, in the file's order.
    #[serde(default)]
    pub themes: Vec<ThemeDef>,
}

/// One theme as the analyst wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeDef {
    /// Stable id (a slug).
    pub id: Slug,
    /// Display name.
    pub name: String,
    /// What belongs here (and what does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The parent theme's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Slug>,
    /// The journey stage's id; when absent, the nearest ancestor's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Slug>,
    /// The departments that contribute to it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<Slug>,
    /// What it is: a problem (the default), praise, a suggestion or a question.
    #[serde(default, skip_serializing_if = "ThemeKind::is_problem")]
    pub kind: ThemeKind,
    /// Multi-word phrases that signal the theme.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phrases: Vec<String>,
    /// Single words that signal the theme.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Words or phrases that veto the theme in the same sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// Whether a negator up to 3 words before a match, in the same clause, cancels it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negatable: bool,
}

/// Why a taxonomy file was refused: where, which theme, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyError {
    /// The file as named.
    pub file: String,
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// The theme's id, when the fault is in one theme.
    pub theme: Option<String>,
    /// The field at fault.
    pub field: Option<&'static str>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(":")?;
        if let Some(theme) = &self.theme {
            write!(f, " theme `{theme}`")?;
        }
        if let Some(field) = self.field {
            write!(f, " field `{field}`")?;
        }
        if self.theme.is_some() || self.field.is_some() {
            f.write_str(":")?;
        }
        write!(f, " {}", self.message)
    }
}

impl std::error::Error for TaxonomyError {}

/// The line of each `[[themes]]` header, in order, so validation errors can point at a theme.
fn theme_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[themes]]"))
        .map(|(i, _)| i + 1)
        .collect()
}

impl Taxonomy {
    /// Parses and validates a taxonomy file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, TaxonomyError> {
        let taxonomy: Taxonomy = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            TaxonomyError {
                file: file.to_owned(),
                line,
                theme: None,
                field: None,
                message: e.message().trim().to_owned(),
            }
        })?;
        let lines = theme_lines(text);
        taxonomy.validate().map_err(|(index, field, message)| {
            let theme = index.map(|i| taxonomy.themes[i].id.to_string());
            TaxonomyError {
                file: file.to_owned(),
                line: index.and_then(|i| lines.get(i).copied()),
                theme,
                field,
                message,
            }
        })?;
        Ok(taxonomy)
    }

    /// Checks ids, parents, cycles and phrases; the error names the theme's index and field.
    #[allow(clippy::type_complexity, reason = "private error triple")]
    fn validate(&self) -> Result<(), (Option<usize>, Option<&'static str>, String)> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, theme) in self.themes.iter().enumerate() {
            if let Some(first) = index.insert(theme.id.as_str(), i) {
                return Err((
                    Some(i),
                    Some("id"),
                    format!("the id is already used by theme number {}", first + 1),
                ));
            }
            if theme.name.trim().is_empty() {
                return Err((Some(i), Some("name"), "the name is empty".into()));
            }
        }
        let mut has_children = vec![false; self.themes.len()];
        for (i, theme) in self.themes.iter().enumerate() {
            if let Some(parent) = &theme.parent {
                match index.get(parent.as_str()) {
                    Some(&p) => has_children[p] = true,
                    None => {
                        return Err((
                            Some(i),
                            Some("parent"),
                            format!("no theme has the id `{parent}`"),
                        ));
                    }
                }
            }
        }
        for (i, theme) in self.themes.iter().enumerate() {
            // Walk up; more steps than themes means a cycle.
            let mut current = theme.parent.as_ref();
            let mut steps = 0;
            while let Some(parent) = current {
                steps += 1;
                if steps > self.themes.len() || parent == &theme.id {
                    return Err((Some(i), Some("parent"), "the parents form a cycle".into()));
                }
                current = index
                    .get(parent.as_str())
                    .and_then(|&p| self.themes[p].parent.as_ref());
            }
        }
        let normalizer = Normalizer::new();
        for (i, theme) in self.themes.iter().enumerate() {
            if !has_children[i] && theme.phrases.is_empty() && theme.keywords.is_empty() {
                return Err((
                    Some(i),
                    Some("phrases"),
                    "a theme without children needs at least one phrase or keyword".into(),
                ));
            }
            for (field, list) in [
                ("phrases", &theme.phrases),
                ("keywords", &theme.keywords),
                ("exclude", &theme.exclude),
            ] {
                for phrase in list {
                    let stems = normalizer.phrase_stems(phrase);
                    if stems.is_empty() {
                        return Err((
                            Some(i),
                            Some(field),
                            format!("`{phrase}` has no word in it"),
                        ));
                    }
                    if field == "keywords" && stems.len() > 1 {
                        return Err((
                            Some(i),
                            Some(field),
                            format!("`{phrase}` is several words: put it under `phrases`"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The taxonomy as TOML (parsing it gives back an equal taxonomy).
    pub fn to_toml(&self) -> String {
        // Serialising plain strings, vectors and options cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// The theme with this id.
    pub fn theme(&self, id: &str) -> Option<&ThemeDef> {
        self.themes.iter().find(|t| t.id.as_str() == id)
    }

    /// A theme's stage, or its nearest ancestor's.
    pub fn effective_stage(&self, id: &str) -> Option<&Slug> {
        let mut current = self.theme(id);
        let mut steps = 0;
        while let Some(theme) = current {
            if let Some(stage) = &theme.stage {
                return Some(stage);
            }
            steps += 1;
            if steps > self.themes.len() {
                return None;
            }
            current = theme.parent.as_ref().and_then(|p| self.theme(p.as_str()));
        }
        None
    }

    /// What changed from `old` to `self`.
    pub fn diff_from(&self, old: &Taxonomy) -> TaxonomyDiff {
        diff(old, self)
    }
}

/// What changed between two taxonomies, by theme id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaxonomyDiff {
    /// Themes new in the new taxonomy.
    pub added: Vec<String>,
    /// Themes gone from it (retired: old tags still resolve).
    pub removed: Vec<String>,
    /// Themes present in both whose definition changed, with the fields that changed.
    pub changed: Vec<ThemeChange>,
}

/// A theme whose definition changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeChange {
    /// The theme's id.
    pub id: String,
    /// The fields that differ.
    pub fields: Vec<String>,
}

impl TaxonomyDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl fmt::Display for TaxonomyDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no change");
        }
        for id in &self.added {
            writeln!(f, "+ {id}")?;
        }
        for id in &self.removed {
            writeln!(f, "- {id}")?;
        }
        for change in &self.changed {
            writeln!(f, "~ {} ({})", change.id, change.fields.join(", "))?;
        }
        Ok(())
    }
}

/// What changed from `old` to `new` (themes matched by id; order in the file does not count).
pub fn diff(old: &Taxonomy, new: &Taxonomy) -> TaxonomyDiff {
    let old_themes: BTreeMap<&str, &ThemeDef> =
        old.themes.iter().map(|t| (t.id.as_str(), t)).collect();
    let new_themes: BTreeMap<&str, &ThemeDef> =
        new.themes.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut result = TaxonomyDiff::default();
    for (id, theme) in &new_themes {
        match old_themes.get(id) {
            None => result.added.push((*id).to_owned()),
            Some(before) => {
                let fields = changed_fields(before, theme);
                if !fields.is_empty() {
                    result.changed.push(ThemeChange {
                        id: (*id).to_owned(),
                        fields,
                    });
                }
            }
        }
    }
    result.removed = old_themes
        .keys()
        .filter(|id| !new_themes.contains_key(*id))
        .map(|id| (*id).to_owned())
        .collect();
    result
}

fn changed_fields(a: &ThemeDef, b: &ThemeDef) -> Vec<String> {
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    let mut fields = Vec::new();
    let mut check = |name: &str, differs: bool| {
        if differs {
            fields.push(name.to_owned());
        }
    };
    check("name", a.name != b.name);
    check("description", a.description != b.description);
    check("parent", a.parent != b.parent);
    check("stage", a.stage != b.stage);
    check("kind", a.kind != b.kind);
    check(
        "departments",
        a.departments.iter().collect::<BTreeSet<_>>() != b.departments.iter().collect(),
    );
    check("phrases", set(&a.phrases) != set(&b.phrases));
    check("keywords", set(&a.keywords) != set(&b.keywords));
    check("exclude", set(&a.exclude) != set(&b.exclude));
    check("negatable", a.negatable != b.negatable);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
name = "Sample"

[[themes]]
id = "billing"
name = "Billing"
stage = "pay"
departments = ["finance", "it"]

[[themes]]
id = "surprise-fee"
name = "Surprise fee"
parent = "billing"
phrases = ["surprise fee", "hidden charge"]
keywords = ["overcharged"]
exclude = ["no surprise"]
negatable = true
"#;

    #[test]
    fn a_taxonomy_parses_and_round_trips_through_toml() {
        let taxonomy = Taxonomy::parse("t.toml", SAMPLE).unwrap();
        assert_eq!(taxonomy.themes.len(), 2);
        assert_eq!(
            taxonomy.effective_stage("surprise-fee").unwrap().as_str(),
            "pay"
        );
        let again = Taxonomy::parse("again.toml", &taxonomy.to_toml()).unwrap();
        assert_eq!(again, taxonomy);
    }

    fn error(text: &str) -> TaxonomyError {
        Taxonomy::parse("t.toml", text).unwrap_err()
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let e = error("[[themes]]\nid = \"a\"\nname = \"A\"\nphrases = [\"x\"\n");
        assert_eq!(e.file, "t.toml");
        assert!(e.line.is_some(), "{e}");
        let e = error("[[themes]]\nid = \"Not A Slug\"\nname = \"A\"\n");
        assert_eq!(e.line, Some(2), "{e}");
        let e = error("[[themes]]\nid = \"a\"\nname = \"A\"\nphrase = [\"x\"]\n");
        assert!(e.message.contains("phrase"), "{e}");
    }

    #[test]
    fn validation_errors_name_the_theme_and_field() {
        let dup = "[[themes]]\nid = \"a\"\nname = \"A\"\nkeywords = [\"x\"]\n\n[[themes]]\nid = \"a\"\nname = \"B\"\nkeywords = [\"y\"]\n";
        let e = error(dup);
        assert_eq!(
            (e.line, e.theme.as_deref(), e.field),
            (Some(6), Some("a"), Some("id"))
        );
        let e =
            error("[[themes]]\nid = \"a\"\nname = \"A\"\nparent = \"zz\"\nkeywords = [\"x\"]\n");
        assert_eq!(e.field, Some("parent"));
        assert_eq!(
            e.to_string(),
            "t.toml:1: theme `a` field `parent`: no theme has the id `zz`"
        );
        let cycle = "[[themes]]\nid = \"a\"\nname = \"A\"\nparent = \"b\"\n[[themes]]\nid = \"b\"\nname = \"B\"\nparent = \"a\"\n";
        assert!(error(cycle).message.contains("cycle"));
        let empty = "[[themes]]\nid = \"a\"\nname = \"A\"\n";
        assert_eq!(error(empty).field, Some("phrases"));
        let multi = "[[themes]]\nid = \"a\"\nname = \"A\"\nkeywords = [\"two words\"]\n";
        assert_eq!(error(multi).field, Some("keywords"));
    }

    #[test]
    fn a_theme_can_be_praise_and_a_wrong_kind_is_named() {
        let text = "[[themes]]\nid = \"thanks\"\nname = \"Thanks\"\nkind = \"praise\"\nkeywords = [\"thanks\"]\n";
        let taxonomy = Taxonomy::parse("t.toml", text).unwrap();
        assert_eq!(taxonomy.themes[0].kind, ThemeKind::Praise);
        assert!(taxonomy.to_toml().contains("kind = \"praise\""));
        // The default is a problem, and it is not written out.
        let sample = Taxonomy::parse("t.toml", SAMPLE).unwrap();
        assert!(sample.themes.iter().all(|t| t.kind == ThemeKind::Problem));
        assert!(!sample.to_toml().contains("kind"));
        let wrong = text.replace("praise", "compliment");
        let err = Taxonomy::parse("t.toml", &wrong).unwrap_err();
        assert!(err.to_string().contains("compliment"), "{err}");
        assert_eq!(err.line, Some(4), "{err}");
    }

    #[test]
    fn a_diff_lists_added_removed_and_changed_themes() {
        let old = Taxonomy::parse("t.toml", SAMPLE).unwrap();
        let mut new = old.clone();
        new.themes[1].phrases.push("extra fee".into());
        new.themes.remove(0);
        new.themes[0].parent = None;
        new.themes.push(ThemeDef {
            id: Slug::parse("id", "claims").unwrap(),
            name: "Claims".into(),
            description: None,
            parent: None,
            stage: None,
            departments: vec![],
            kind: ThemeKind::Problem,
            phrases: vec![],
            keywords: vec!["claim".into()],
            exclude: vec![],
            negatable: false,
        });
        let d = diff(&old, &new);
        assert_eq!(d.added, ["claims"]);
        assert_eq!(d.removed, ["billing"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].fields, ["parent", "phrases"]);
        assert!(diff(&old, &old).is_empty());
    }
}
