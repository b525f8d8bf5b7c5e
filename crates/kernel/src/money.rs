//! Money as an integer count of the currency's minor unit (分 for CNY), never a
//! float, with the ISO 4217 code beside it.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// An ISO 4217 currency code: three upper-case letters. Defaults to `CNY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "CNY")]
pub struct Currency(String);

impl Currency {
    pub fn cny() -> Self {
        Currency("CNY".to_owned())
    }

    pub fn parse(code: &str) -> Result<Self, ApiError> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code.to_owned()))
        } else {
            Err(ApiError::invalid_field(
                "currency",
                "currency",
                "must be an ISO 4217 code such as CNY",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::cny()
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Currency::parse(&s).map_err(|e| e.detail.to_string())
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in minor units with its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Minor units (分): 5000000 is 50,000.00 CNY.
    #[schema(example = 5_000_000)]
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn cny(amount: i64) -> Self {
        Money {
            amount,
            currency: Currency::cny(),
        }
    }

    /// Adds two amounts of the same currency; `None` on overflow or a mix.
    pub fn checked_add(&self, other: &Money) -> Option<Money> {
        (self.currency == other.currency).then_some(())?;
        Some(Money {
            amount: self.amount.checked_add(other.amount)?,
            currency: self.currency.clone(),
        })
    }
}

/// Sums minor-unit amounts without overflowing silently.
pub fn checked_sum<I: IntoIterator<Item = i64>>(amounts: I) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0_i64, |acc, a| acc.checked_add(a))
}

impl fmt::Display for Money {
    /// `50,000.00 CNY`: two decimals, as all of Branchline's currencies use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let major = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in major.chars().enumerate() {
            if i > 0 && (major.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{sign}{grouped}.{:02} {}", abs % 100, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Money::cny(5_000_000).to_string(), "50,000.00 CNY");
        assert_eq!(Money::cny(-105).to_string(), "-1.05 CNY");
        assert_eq!(Money::cny(0).to_string(), "0.00 CNY");
    }

    #[test]
    fn currency_rules() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("USDT").is_err());
        assert_eq!(
            serde_json::from_str::<Currency>("\"USD\"")
                .unwrap()
                .as_str(),
            "USD"
        );
        assert!(serde_json::from_str::<Currency>("\"us\"").is_err());
    }

    #[test]
    fn sums_refuse_overflow_and_mixed_currencies() {
        assert_eq!(checked_sum([1, 2, 3]), Some(6));
        assert_eq!(checked_sum([i64::MAX, 1]), None);
        let usd = Money {
            amount: 1,
            currency: Currency::parse("USD").unwrap(),
        };
        assert_eq!(Money::cny(1).checked_add(&usd), None);
        assert_eq!(
            Money::cny(1).checked_add(&Money::cny(2)),
            Some(Money::cny(3))
        );
    }
}
