//! Reporting periods as the regulations speak of them: a year (`2026`), a quarter
//! (`2026-Q3`) or a month (`2026-07`).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Year(i32),
    Quarter(i32, u8),
    Month(i32, u8),
}

impl Period {
    pub fn year(&self) -> i32 {
        match *self {
            Period::Year(y) | Period::Quarter(y, _) | Period::Month(y, _) => y,
        }
    }

    /// First calendar day of the period.
    pub fn first_day(&self) -> NaiveDate {
        let (y, m) = match *self {
            Period::Year(y) => (y, 1),
            Period::Quarter(y, q) => (y, u32::from(q) * 3 - 2),
            Period::Month(y, m) => (y, u32::from(m)),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Last calendar day of the period.
    pub fn last_day(&self) -> NaiveDate {
        let (y, m) = match *self {
            Period::Year(y) => (y, 12),
            Period::Quarter(y, q) => (y, u32::from(q) * 3),
            Period::Month(y, m) => (y, u32::from(m)),
        };
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The month that contains a date.
    pub fn month_of(date: NaiveDate) -> Period {
        Period::Month(date.year(), date.month() as u8)
    }
}

/// In the spec a period is a string with a pattern.
impl utoipa::PartialSchema for Period {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"))
            .description(Some(
                "A year (`2026`), quarter (`2026-Q3`) or month (`2026-07`).",
            ))
            .examples(["2026-Q3"])
            .into()
    }
}

impl utoipa::ToSchema for Period {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodParseError(String);

impl fmt::Display for PeriodParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a period: use 2026, 2026-Q3 or 2026-07",
            self.0
        )
    }
}

impl std::error::Error for PeriodParseError {}

impl FromStr for Period {
    type Err = PeriodParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodParseError(s.to_owned());
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let y: i32 = year.parse().map_err(|_| err())?;
        match rest {
            None => Ok(Period::Year(y)),
            Some(r) if r.len() == 2 && r.starts_with('Q') => match r.as_bytes()[1] {
                q @ b'1'..=b'4' => Ok(Period::Quarter(y, q - b'0')),
                _ => Err(err()),
            },
            Some(r) if r.len() == 2 && r.bytes().all(|b| b.is_ascii_digit()) => {
                let m: u8 = r.parse().map_err(|_| err())?;
                if (1..=12).contains(&m) {
                    Ok(Period::Month(y, m))
                } else {
                    Err(err())
                }
            }
            Some(_) => Err(err()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Period::Year(y) => write!(f, "{y:04}"),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in ["2026", "2026-Q3", "2026-07", "2024-12"] {
            assert_eq!(s.parse::<Period>().unwrap().to_string(), s);
        }
        for bad in [
            "26", "2026-Q5", "2026-13", "2026-7", "2026-q1", "abcd", "2026-",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds() {
        let q1 = Period::Quarter(2024, 1);
        assert_eq!(
            (q1.first_day(), q1.last_day()),
            (d(2024, 1, 1), d(2024, 3, 31))
        );
        assert_eq!(Period::Month(2024, 2).last_day(), d(2024, 2, 29));
        assert_eq!(Period::Month(2026, 12).last_day(), d(2026, 12, 31));
        assert!(Period::Year(2026).contains(d(2026, 7, 1)));
        assert!(!Period::Quarter(2026, 3).contains(d(2026, 10, 1)));
        assert_eq!(Period::month_of(d(2026, 11, 22)), Period::Month(2026, 11));
    }
}
