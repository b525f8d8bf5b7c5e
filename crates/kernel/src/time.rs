//! UTC time. The database keeps UTC as a naive timestamp (the one type both
//! backends share); the API speaks RFC 3339 with a `Z`, which is what chrono's
//! `DateTime<Utc>` serializes to and what the spec's `date-time` format declares.
//! Timestamps are made in the application at microsecond precision, because SQLite's
//! `CURRENT_TIMESTAMP` has whole seconds and PostgreSQL keeps microseconds: both
//! backends then store and return the same value.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

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
