//! The employee file (員工檔案): [003] 五 and [000] 三 ask the office to keep
//! its people's records; the domain spec adds that personal data is
//! confidential. An employee is one person — with a login or without —
//! of an office or of HQ: number (the office's own), name, department,
//! position, grade, hire date, status (hired → probation → regular →
//! leaving → left) and manager.
//!
//! **Personal data** (ID number, birth date, home address, phone, emergency
//! contact, bank account for pay) is kept apart ([`PersonalData`]). It is
//! shown only to HQ HR, the office's HR holder (`personal_data:read`) and the
//! person; everyone else gets the file without it, and every read of it is
//! itself audited. The resident ID number is checked by its check digit
//! ([`check_id_number`]) and never written to the audit trail or an error in
//! clear: the trail holds it masked ([`PersonalData::masked`]).

pub mod api;
pub mod contracts;
pub mod demo;
pub mod positions;
pub mod rewards;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kernel::FieldError;
use serde::{Deserialize, Serialize};
use store::schema::{employee_personal_data as pd, employees as e};
use utoipa::ToSchema;
use validator::Validate;

/// Where an employee stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EmployeeStatus {
    /// Hired, not started.
    Hired,
    Probation,
    Regular,
    /// Leaving: the handover is under way.
    Leaving,
    /// Left: the file is kept, read-only.
    Left,
}

impl EmployeeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EmployeeStatus::Hired => "hired",
            EmployeeStatus::Probation => "probation",
            EmployeeStatus::Regular => "regular",
            EmployeeStatus::Leaving => "leaving",
            EmployeeStatus::Left => "left",
        }
    }
}

/// An employee, without their personal data.
#[derive(Debug, Clone, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = e)]
pub struct Employee {
    pub id: i64,
    /// The office; none for HQ's people.
    pub office_id: Option<i64>,
    /// Their login, if they have one.
    pub user_id: Option<i64>,
    /// The office's own number for them.
    #[schema(example = "GZ01-007")]
    pub employee_number: String,
    #[schema(example = "陳曉明")]
    pub name: String,
    pub department_id: Option<i64>,
    #[schema(example = "銷售人員")]
    pub position: String,
    #[schema(example = "P3")]
    pub grade: Option<String>,
    pub hire_date: NaiveDate,
    #[schema(value_type = EmployeeStatus)]
    pub status: String,
    /// Their manager's employee id.
    pub manager_employee_id: Option<i64>,
    pub created_by: Option<i64>,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    #[serde(with = "kernel::time::utc")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// The mentor assigned at onboarding (入職導師), an employee of the
    /// same office.
    pub mentor_employee_id: Option<i64>,
}

/// Confidential personal data (個人資料): shown only to HQ HR, the office's
/// HR holder and the person, each read audited.
#[derive(
    Debug, Clone, Default, Serialize, Deserialize, Validate, ToSchema, Queryable, Selectable,
)]
#[diesel(table_name = pd)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    /// The 18-character resident ID number (居民身份證號碼), its last
    /// character the check digit. Confidential.
    #[validate(length(equal = 18))]
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9X]$",
        example = "11010519491231002X"
    )]
    pub id_number: Option<String>,
    /// The one in the ID number, when both are given. Confidential.
    #[schema(example = "1949-12-31")]
    pub birth_date: Option<NaiveDate>,
    /// Confidential.
    #[validate(length(min = 1, max = 500))]
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "廣州市天河區體育西路 100 號"
    )]
    pub home_address: Option<String>,
    /// Confidential.
    #[validate(length(min = 5, max = 30))]
    #[schema(min_length = 5, max_length = 30, example = "13800138000")]
    pub phone: Option<String>,
    /// Confidential.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "陳大明")]
    pub emergency_contact_name: Option<String>,
    /// Confidential.
    #[validate(length(min = 5, max = 30))]
    #[schema(min_length = 5, max_length = 30, example = "13900139000")]
    pub emergency_contact_phone: Option<String>,
    /// The bank pay goes to. Confidential.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "中國工商銀行廣州天河支行")]
    pub bank_name: Option<String>,
    /// Confidential.
    #[validate(length(min = 8, max = 34))]
    #[schema(min_length = 8, max_length = 34, example = "6222020200112233445")]
    pub bank_account: Option<String>,
}

/// `text` with all but its last `keep` characters starred.
fn mask(text: &Option<String>, keep: usize) -> serde_json::Value {
    match text {
        None => serde_json::Value::Null,
        Some(t) => {
            let n = t.chars().count();
            let shown: String = t.chars().skip(n.saturating_sub(keep)).collect();
            serde_json::Value::String(format!("{}{shown}", "*".repeat(n.saturating_sub(keep))))
        }
    }
}

impl PersonalData {
    /// What the audit trail keeps of it: numbers down to their last four
    /// characters, the rest only as set or not.
    pub fn masked(&self) -> serde_json::Value {
        let set = |v: bool| {
            if v {
                serde_json::Value::String("(set)".to_owned())
            } else {
                serde_json::Value::Null
            }
        };
        serde_json::json!({
            "id_number": mask(&self.id_number, 4),
            "birth_date": set(self.birth_date.is_some()),
            "home_address": set(self.home_address.is_some()),
            "phone": mask(&self.phone, 4),
            "emergency_contact_name": set(self.emergency_contact_name.is_some()),
            "emergency_contact_phone": mask(&self.emergency_contact_phone, 4),
            "bank_name": set(self.bank_name.is_some()),
            "bank_account": mask(&self.bank_account, 4),
        })
    }

    /// The rules across fields: the ID number's check digit and date, and
    /// the birth date it carries. The value never goes into the message.
    pub fn check(&self, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(id) = &self.id_number {
            match check_id_number(id) {
                Err(why) => errors.push(FieldError::new(
                    format!("{prefix}id_number"),
                    "invalid",
                    why,
                )),
                Ok(born) => {
                    if self.birth_date.is_some_and(|b| b != born) {
                        errors.push(FieldError::new(
                            format!("{prefix}birth_date"),
                            "mismatch",
                            "the birth date is the one in the ID number",
                        ));
                    }
                }
            }
        }
        errors
    }
}

/// Checks an 18-character resident ID number (GB 11643-1999): 17 digits, a
/// birth date in characters 7–14, and the check character from the ISO 7064
/// MOD 11-2 weights. Returns the birth date; the error never repeats the
/// number.
pub fn check_id_number(id: &str) -> Result<NaiveDate, &'static str> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = id.chars().collect();
    if chars.len() != 18 {
        return Err("an ID number has 18 characters");
    }
    let mut sum = 0;
    for (c, w) in chars[..17].iter().zip(WEIGHTS) {
        sum += c.to_digit(10).ok_or("the first 17 characters are digits")? * w;
    }
    let born = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d")
        .map_err(|_| "characters 7 to 14 are not a birth date")?;
    if CHECK[(sum % 11) as usize] != chars[17] {
        return Err("the check digit does not match");
    }
    Ok(born)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_numbers_by_their_check_digit() {
        // 1×7 + 1×9 + 0×10 + 1×5 + 0×8 + 5×4 + 1×2 + 9×1 + 4×6 + 9×3 + 1×7 +
        // 2×9 + 3×10 + 1×5 + 0×8 + 0×4 + 2×2 = 167; 167 mod 11 = 2 → 'X'.
        assert_eq!(
            check_id_number("11010519491231002X"),
            Ok(NaiveDate::from_ymd_opt(1949, 12, 31).unwrap())
        );
        assert!(check_id_number("110105194912310021").is_err());
        assert!(check_id_number("11010519491331002X").is_err());
        assert!(check_id_number("1101051949123100").is_err());
        assert_eq!(
            check_id_number("440106199003071231"),
            Ok(NaiveDate::from_ymd_opt(1990, 3, 7).unwrap())
        );
    }

    #[test]
    fn the_trail_keeps_four_characters() {
        let p = PersonalData {
            id_number: Some("11010519491231002X".into()),
            bank_account: Some("6222020200112233445".into()),
            home_address: Some("x".into()),
            ..PersonalData::default()
        };
        let m = p.masked();
        assert_eq!(m["id_number"], "**************002X");
        assert_eq!(m["bank_account"], "***************3445");
        assert_eq!(m["home_address"], "(set)");
        assert_eq!(m["phone"], serde_json::Value::Null);
    }
}
