//! UTC time. The database keeps UTC as a naive timestamp (the one type both
//! backends share); the API speaks RFC 3339 with a `Z`, which is what chrono's
//! `DateTime<Utc>` serializes to and what the spec's `date-time` format declares.
//! Timestamps are made in the application at microsecond precision, because SQLite's
//! `CURRENT_TIMESTAMP` has whole seconds and PostgreSQL keeps microseconds: both
//! backends then store and return the same value.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};

/// Now, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A stored naive UTC timestamp as an API value.
pub fn from_db(ts: NaiveDateTime) -> DateTime<Utc> {
    ts.and_utc()
}

/// An API value as a stored naive UTC timestamp.
pub fn to_db(ts: DateTime<Utc>) -> NaiveDateTime {
    ts.naive_utc()
}

/// Now, as stored.
pub fn now_db() -> NaiveDateTime {
    to_db(now())
}

/// Today's date in UTC, the date every rule on dates compares against.
pub fn today() -> NaiveDate {
    now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_with_z() {
        let ts = from_db(
            NaiveDateTime::parse_from_str("2026-11-22 08:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
        );
        assert_eq!(serde_json::to_value(ts).unwrap(), "2026-11-22T08:30:00Z");
        assert_eq!(now().timestamp_subsec_nanos() % 1000, 0);
    }
}

/// `#[serde(with = "kernel::time::utc")]` on a stored `NaiveDateTime` field:
/// serialized as RFC 3339 UTC with a `Z`. Pair it with
/// `#[schema(value_type = String, format = DateTime)]`.
pub mod utc {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&ts.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let dt = chrono::DateTime::<chrono::Utc>::deserialize(d)?;
        Ok(dt.naive_utc())
    }
}

/// Like [`utc`], for `Option<NaiveDateTime>`.
pub mod utc_opt {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match ts {
            Some(ts) => super::utc::serialize(ts, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        Ok(Option::<chrono::DateTime<chrono::Utc>>::deserialize(d)?.map(|dt| dt.naive_utc()))
    }
}
