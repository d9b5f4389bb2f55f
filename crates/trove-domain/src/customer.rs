use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::{DomainError, Label, Money};

/// A customer's identifier in the company's systems. Non-empty, at most 200 bytes, case-sensitive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerId(String);

impl CustomerId {
    /// Trims and checks an id.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Label::parse("customer id", raw).map(|label| Self(label.into()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CustomerId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CustomerId> for String {
    fn from(value: CustomerId) -> Self {
        value.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A customer. `name` and `email` are personal data: shown only to roles allowed to see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Identifier, unique per company.
    pub id: CustomerId,
    /// Full name.
    pub name: Option<Label>,
    /// E-mail address (checked to have one `@` with text on both sides).
    pub email: Option<Label>,
    /// Segment (e.g. "SMB", "Premium").
    pub segment: Option<Label>,
    /// Business unit that serves the customer.
    pub business_unit: Option<Label>,
    /// Region.
    pub region: Option<Label>,
    /// Lifetime value or annual revenue.
    pub value: Option<Money>,
    /// First day the company saw the customer (tenure starts here).
    pub first_seen: Option<Date>,
    /// Whether the customer has left.
    pub churned: bool,
}

impl Customer {
    /// Checks that `raw` looks like an e-mail address and returns it as a label.
    pub fn parse_email(raw: &str) -> Result<Option<Label>, DomainError> {
        let Some(email) = Label::parse_optional("email", raw)? else {
            return Ok(None);
        };
        match email.as_str().split_once('@') {
            Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@') =>
            {
                Ok(Some(email))
            }
            _ => Err(DomainError::invalid(
                "email",
                raw,
                "expected an address like name@example.com",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(Customer::parse_email("ana@example.com").unwrap().is_some());
        assert!(Customer::parse_email("").unwrap().is_none());
        assert!(Customer::parse_email("ana.example.com").is_err());
        assert!(Customer::parse_email("@example.com").is_err());
        assert!(Customer::parse_email("a@b@c.com").is_err());
    }
}
