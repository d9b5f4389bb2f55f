use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// An ISO 4217 currency code: three uppercase ASCII letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Reads a code such as `USD` (case-insensitive).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let upper = raw.trim().to_ascii_uppercase();
        match upper.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|x| x.is_ascii_uppercase()) => Ok(Self([*a, *b, *c])),
            _ => Err(DomainError::invalid(
                "currency",
                raw,
                "expected a three-letter code such as USD",
            )),
        }
    }

    /// The code, e.g. `"EUR"`.
    pub fn as_str(&self) -> &str {
        // Only ASCII uppercase letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money in minor units (cents) with its currency. Amounts of different
/// currencies are never added together: [`Money::checked_add`] refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// An amount in minor units (cents).
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// Reads a decimal amount such as `1234.5` or `1,234.50` (at most two decimals).
    pub fn parse(raw: &str, currency: Currency) -> Result<Self, DomainError> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '_')
            .collect();
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.len() <= 2
            && fraction.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return Err(DomainError::invalid(
                "amount",
                raw,
                "expected a decimal number with at most two decimals",
            ));
        }
        let whole: i64 = whole
            .parse()
            .map_err(|_| DomainError::invalid("amount", raw, "too large"))?;
        let cents: i64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let minor = whole
            .checked_mul(100)
            .and_then(|v| v.checked_add(cents))
            .ok_or_else(|| DomainError::invalid("amount", raw, "too large"))?;
        Ok(Self {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// The amount in minor units.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The sum, or `None` when the currencies differ or the sum overflows.
    pub fn checked_add(self, other: Self) -> Option<Self> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Self {
                minor,
                currency: self.currency,
            })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_decimals_and_never_mixes_currencies() {
        let usd = Currency::parse("usd").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(Money::parse("1,234.5", usd).unwrap().minor(), 123_450);
        assert_eq!(Money::parse("-3", usd).unwrap().to_string(), "-3.00 USD");
        assert!(Money::parse("1.234", usd).is_err());
        assert!(Money::parse("abc", usd).is_err());
        let a = Money::from_minor(100, usd);
        assert_eq!(
            a.checked_add(Money::from_minor(50, usd)).unwrap().minor(),
            150
        );
        assert_eq!(a.checked_add(Money::from_minor(50, eur)), None);
        assert!(Currency::parse("US").is_err());
    }
}
