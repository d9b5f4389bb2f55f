use thiserror::Error;

/// Why a raw value could not become a domain value. Messages are lowercase and name the value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A required value was empty or only whitespace.
    #[error("{what} is empty")]
    Empty {
        /// What was expected.
        what: &'static str,
    },
    /// A value was longer than its limit.
    #[error("{what} is {len} bytes, over the limit of {max}")]
    TooLong {
        /// What was expected.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// A number was outside its allowed range.
    #[error("{what} {value} is out of range {min}..={max}")]
    OutOfRange {
        /// What was expected.
        what: &'static str,
        /// The value as given.
        value: String,
        /// Lowest allowed.
        min: i64,
        /// Highest allowed.
        max: i64,
    },
    /// A value could not be read at all.
    #[error("{what} {value:?} is not valid: {why}")]
    Invalid {
        /// What was expected.
        what: &'static str,
        /// The value as given (truncated).
        value: String,
        /// Why it was refused.
        why: String,
    },
}

impl DomainError {
    pub(crate) fn invalid(what: &'static str, value: &str, why: impl Into<String>) -> Self {
        let value: String = value.chars().take(60).collect();
        Self::Invalid {
            what,
            value,
            why: why.into(),
        }
    }
}

/// Refuses text with a NUL character: no database stores it in text, and no person writes it.
pub(crate) fn refuse_nul(what: &'static str, text: &str) -> Result<(), DomainError> {
    match text.find('\0') {
        Some(at) => Err(DomainError::invalid(
            what,
            &text[..at],
            format!("contains a NUL character at byte {at}"),
        )),
        None => Ok(()),
    }
}
