use serde::{Deserialize, Serialize};

use crate::DomainError;

macro_rules! bounded_score {
    ($(#[$doc:meta])* $name:ident, $what:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "u8")]
        pub struct $name(u8);

        impl $name {
            /// Lowest valid answer.
            pub const MIN: u8 = $min;
            /// Highest valid answer.
            pub const MAX: u8 = $max;

            /// The answer as a number.
            pub fn value(self) -> u8 {
                self.0
            }

            /// Reads an answer written as text: an integer, or a number with a zero fraction
            /// ("9.0", as spreadsheets export it).
            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                let raw = raw.trim();
                let number: f64 = raw
                    .parse()
                    .map_err(|_| DomainError::invalid($what, raw, "not a number"))?;
                if number.fract() != 0.0 {
                    return Err(DomainError::invalid($what, raw, "not a whole number"));
                }
                Self::try_from(number as i64).map_err(|_| DomainError::OutOfRange {
                    what: $what,
                    value: raw.to_owned(),
                    min: $min,
                    max: $max,
                })
            }
        }

        impl TryFrom<i64> for $name {
            type Error = DomainError;
            fn try_from(value: i64) -> Result<Self, Self::Error> {
                if (i64::from($min)..=i64::from($max)).contains(&value) {
                    Ok(Self(value as u8))
                } else {
                    Err(DomainError::OutOfRange { what: $what, value: value.to_string(), min: $min, max: $max })
                }
            }
        }

        impl From<$name> for u8 {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

bounded_score!(
    /// A Net Promoter answer, 0..=10 ("how likely are you to recommend us").
    Nps, "nps score", 0, 10
);
bounded_score!(
    /// A customer satisfaction answer, 1..=5.
    Csat, "csat score", 1, 5
);
bounded_score!(
    /// A customer effort answer, 1..=7 (7: it was very easy).
    Ces, "ces score", 1, 7
);

impl Nps {
    /// 9 or 10.
    pub fn is_promoter(self) -> bool {
        self.0 >= 9
    }
    /// 0 to 6.
    pub fn is_detractor(self) -> bool {
        self.0 <= 6
    }
}

/// The survey scores an item carries; each is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// Net Promoter answer.
    pub nps: Option<Nps>,
    /// Satisfaction answer.
    pub csat: Option<Csat>,
    /// Effort answer.
    pub ces: Option<Ces>,
}

impl Scores {
    /// True when no score is present.
    pub fn is_empty(&self) -> bool {
        self.nps.is_none() && self.csat.is_none() && self.ces.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_accept_their_range_and_refuse_the_rest() {
        assert_eq!(Nps::parse("10").unwrap().value(), 10);
        assert_eq!(Nps::parse(" 0 ").unwrap().value(), 0);
        assert_eq!(Nps::parse("9.0").unwrap().value(), 9);
        assert!(matches!(
            Nps::parse("11"),
            Err(DomainError::OutOfRange { .. })
        ));
        assert!(matches!(
            Csat::parse("0"),
            Err(DomainError::OutOfRange { .. })
        ));
        assert!(matches!(
            Ces::parse("8"),
            Err(DomainError::OutOfRange { .. })
        ));
        assert!(matches!(
            Ces::parse("4.5"),
            Err(DomainError::Invalid { .. })
        ));
        assert!(matches!(
            Nps::parse("ten"),
            Err(DomainError::Invalid { .. })
        ));
    }

    #[test]
    fn promoters_and_detractors_follow_the_textbook_cut_offs() {
        let kinds: Vec<(bool, bool)> = (0..=10)
            .map(|v| Nps::try_from(v).unwrap())
            .map(|n| (n.is_promoter(), n.is_detractor()))
            .collect();
        assert!(kinds[..=6].iter().all(|k| *k == (false, true)));
        assert!(kinds[7..=8].iter().all(|k| *k == (false, false)));
        assert!(kinds[9..].iter().all(|k| *k == (true, false)));
    }
}

/// Sufficient statistics of the scores of a group of items: enough to compute NPS, CSAT and
/// CES (with their intervals) without the items. Built the same way in memory ([`ScoreTally::add`])
/// and by `GROUP BY` in a database, so both paths can be checked against each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreTally {
    /// Items in the group.
    pub items: u64,
    /// Items with an NPS answer.
    pub nps_n: u64,
    /// NPS answers 9-10.
    pub promoters: u64,
    /// NPS answers 0-6.
    pub detractors: u64,
    /// Items with a CSAT answer.
    pub csat_n: u64,
    /// CSAT answers 4-5 (top two boxes).
    pub csat_top2: u64,
    /// Items with a CES answer.
    pub ces_n: u64,
    /// Sum of the CES answers (for the mean).
    pub ces_sum: u64,
    /// CES answers 5-7.
    pub ces_high: u64,
    /// Sum of the squared CES answers (for the variance of the mean); absent in tallies
    /// recorded before it was kept, hence the default.
    #[serde(default)]
    pub ces_sum_sq: u64,
}

impl ScoreTally {
    /// Counts one item's scores.
    pub fn add(&mut self, scores: &Scores) {
        self.items += 1;
        if let Some(nps) = scores.nps {
            self.nps_n += 1;
            self.promoters += u64::from(nps.is_promoter());
            self.detractors += u64::from(nps.is_detractor());
        }
        if let Some(csat) = scores.csat {
            self.csat_n += 1;
            self.csat_top2 += u64::from(csat.value() >= 4);
        }
        if let Some(ces) = scores.ces {
            self.ces_n += 1;
            self.ces_sum += u64::from(ces.value());
            self.ces_high += u64::from(ces.value() >= 5);
            self.ces_sum_sq += u64::from(ces.value()).pow(2);
        }
    }

    /// Adds another group's counts.
    pub fn merge(&mut self, other: &Self) {
        self.items += other.items;
        self.nps_n += other.nps_n;
        self.promoters += other.promoters;
        self.detractors += other.detractors;
        self.csat_n += other.csat_n;
        self.csat_top2 += other.csat_top2;
        self.ces_n += other.ces_n;
        self.ces_sum += other.ces_sum;
        self.ces_high += other.ces_high;
        self.ces_sum_sq += other.ces_sum_sq;
    }
}
