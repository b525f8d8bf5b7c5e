//! A JSON document kept in a text column (both backends store JSON as
//! text), read back as a value: `#[diesel(deserialize_as = store::JsonText)]`
//! on an `Option<serde_json::Value>` field of a row (a column that is never
//! null reads as `Some`).

use diesel::Queryable;

/// A JSON column read back as a value.
pub struct JsonText(Option<serde_json::Value>);

impl From<JsonText> for Option<serde_json::Value> {
    fn from(v: JsonText) -> Self {
        v.0
    }
}

impl<DB> Queryable<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB> for JsonText
where
    DB: diesel::backend::Backend,
    Option<String>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
{
    type Row = Option<String>;

    fn build(row: Option<String>) -> diesel::deserialize::Result<Self> {
        Ok(JsonText(match row {
            None => None,
            Some(text) => Some(serde_json::from_str(&text)?),
        }))
    }
}

impl<DB> Queryable<diesel::sql_types::Text, DB> for JsonText
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    type Row = String;

    fn build(row: String) -> diesel::deserialize::Result<Self> {
        Ok(JsonText(Some(serde_json::from_str(&row)?)))
    }
}
