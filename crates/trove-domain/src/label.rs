use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A short, trimmed, non-empty name: a business unit, a product, a region, a segment...
/// At most [`Label::MAX_BYTES`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    /// The longest label accepted, in bytes.
    pub const MAX_BYTES: usize = 200;

    /// Trims `raw` and checks it is non-empty and short enough; `what` names it in errors.
    pub fn parse(what: &'static str, raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty { what });
        }
        if trimmed.len() > Self::MAX_BYTES {
            return Err(DomainError::TooLong {
                what,
                len: trimmed.len(),
                max: Self::MAX_BYTES,
            });
        }
        crate::error::refuse_nul(what, trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// Like [`Label::parse`], but an empty or blank value is simply absent.
    pub fn parse_optional(what: &'static str, raw: &str) -> Result<Option<Self>, DomainError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(what, raw).map(Some)
        }
    }

    /// The label's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Label {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("label", &value)
    }
}

impl From<Label> for String {
    fn from(value: Label) -> Self {
        value.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stable machine identifier: lowercase ASCII letters, digits and `-`, `_`, `.`, `/`,
/// starting with a letter or digit, at most 100 bytes. Made from any name with [`Slug::from_name`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    /// The longest slug accepted, in bytes.
    pub const MAX_BYTES: usize = 100;

    /// Checks that `raw` already is a slug.
    pub fn parse(what: &'static str, raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() {
            return Err(DomainError::Empty { what });
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(DomainError::TooLong {
                what,
                len: raw.len(),
                max: Self::MAX_BYTES,
            });
        }
        let first_ok = raw.as_bytes()[0].is_ascii_lowercase() || raw.as_bytes()[0].is_ascii_digit();
        let all_ok = raw.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.' | b'/')
        });
        if !(first_ok && all_ok) {
            return Err(DomainError::invalid(
                what,
                raw,
                "use lowercase letters, digits, '-', '_', '.', '/', starting with a letter or digit",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// Makes a slug from a human name: lowercased, runs of other characters become one `-`.
    /// Returns `None` when the name has no letter or digit at all.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut out = String::with_capacity(name.len());
        for c in name.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        while out.ends_with('-') {
            out.pop();
        }
        out.truncate(Self::MAX_BYTES);
        while out.ends_with('-') {
            out.pop();
        }
        if out.is_empty() {
            None
        } else {
            Some(Self(out))
        }
    }

    /// The slug's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("id", &value)
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> Self {
        value.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_blank_ones_are_absent() {
        assert_eq!(
            Label::parse("unit", "  Retail ").unwrap().as_str(),
            "Retail"
        );
        assert_eq!(Label::parse_optional("unit", "   ").unwrap(), None);
        assert!(matches!(
            Label::parse("unit", ""),
            Err(DomainError::Empty { .. })
        ));
        assert!(matches!(
            Label::parse("unit", &"x".repeat(201)),
            Err(DomainError::TooLong { .. })
        ));
    }

    #[test]
    fn slugs_are_made_from_names_and_checked() {
        assert_eq!(
            Slug::from_name("Late Flight / Delay!").unwrap().as_str(),
            "late-flight-delay"
        );
        assert_eq!(Slug::from_name("--"), None);
        assert!(Slug::parse("id", "billing/unexpected-fee").is_ok());
        assert!(Slug::parse("id", "Billing").is_err());
        assert!(Slug::parse("id", "-x").is_err());
    }
}
