//! Working time on an office's calendar: the arithmetic every service deadline
//! uses. A calendar has working windows per weekday in the office's local time
//! (more than one a day: a lunch break is the gap between two windows), days
//! off (holidays) and make-up working days (調休上班: a Saturday or Sunday
//! worked as the weekday it stands for), and a time zone. Instants are UTC, as
//! stored; each day's windows are laid out in local time, so a deadline falls
//! where the office's clock says.
//!
//! Pure: [`crate::calendars`] loads a calendar from the database into
//! [`WorkingCalendar`], and the service requests ask it two questions — when
//! `minutes` of working time after an instant end ([`WorkingCalendar::add`]),
//! and how much working time lies between two instants
//! ([`WorkingCalendar::between`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead a deadline is looked for: a calendar with (almost) no working
/// time must not make the arithmetic run forever.
const HORIZON_DAYS: u32 = 800;

/// One working window in local time, minutes after midnight: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u16,
    pub end: u16,
}

/// What a dated exception makes of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRule {
    /// Not worked (a public holiday, an office's own day off).
    Off,
    /// Worked with the windows of `weekday` (1 = Monday … 7 = Sunday): a
    /// make-up working day.
    WorkedAs(u8),
}

/// An office's calendar, ready for the arithmetic.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    pub tz: Tz,
    /// Index 0 = Monday … 6 = Sunday; each day's windows sorted and apart.
    pub week: [Vec<Window>; 7],
    pub days: BTreeMap<NaiveDate, DayRule>,
}

/// A calendar with no working time within the horizon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoWorkingTime;

impl WorkingCalendar {
    /// The windows worked on `day`.
    pub fn windows(&self, day: NaiveDate) -> &[Window] {
        match self.days.get(&day) {
            Some(DayRule::Off) => &[],
            Some(DayRule::WorkedAs(weekday)) => &self.week[usize::from(weekday.clamp(&1, &7) - 1)],
            None => &self.week[day.weekday().num_days_from_monday() as usize],
        }
    }

    /// The UTC instant of `minute` after local midnight of `day`. A local time
    /// that does not exist (a daylight-saving gap) moves to the first instant
    /// after the gap; one that exists twice takes the first.
    fn instant(&self, day: NaiveDate, minute: u16) -> DateTime<Utc> {
        let local: NaiveDateTime =
            day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(i64::from(minute));
        match self.tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            chrono::LocalResult::None => {
                // Gaps are at most a few hours: the first local minute after it.
                (1..=240)
                    .find_map(|m| {
                        self.tz
                            .from_local_datetime(&(local + Duration::minutes(m)))
                            .earliest()
                    })
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| Utc.from_utc_datetime(&local))
            }
        }
    }

    /// The local date of an instant.
    fn local_day(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The working windows of `day` as UTC intervals.
    fn intervals(
        &self,
        day: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        self.windows(day)
            .iter()
            .map(move |w| (self.instant(day, w.start), self.instant(day, w.end)))
    }

    /// The instant at which `minutes` of working time after `from` have passed.
    /// Zero minutes is `from` itself. Time outside the windows does not count:
    /// a deadline set at 17:30 with an hour to go on a 09:00–18:00 day falls at
    /// 09:30 on the next working day.
    pub fn add(&self, from: DateTime<Utc>, minutes: i64) -> Result<DateTime<Utc>, NoWorkingTime> {
        let mut left = Duration::minutes(minutes.max(0));
        if left.is_zero() {
            return Ok(from);
        }
        // A day before, so a window of the previous local day still open at
        // `from` (none end after midnight, but a time zone may shift) is seen.
        let mut day = self.local_day(from).pred_opt().ok_or(NoWorkingTime)?;
        for _ in 0..HORIZON_DAYS {
            for (start, end) in self.intervals(day) {
                let start = start.max(from);
                if start >= end {
                    continue;
                }
                let available = end - start;
                if left <= available {
                    return Ok(start + left);
                }
                left -= available;
            }
            day = day.succ_opt().ok_or(NoWorkingTime)?;
        }
        Err(NoWorkingTime)
    }

    /// The working time between two instants, in whole minutes (0 when `to`
    /// is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = Duration::zero();
        let mut day = match self.local_day(from).pred_opt() {
            Some(d) => d,
            None => return 0,
        };
        let last = self.local_day(to);
        while day <= last {
            for (start, end) in self.intervals(day) {
                let start = start.max(from);
                let end = end.min(to);
                if end > start {
                    total += end - start;
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total.num_minutes()
    }
}

/// Parses `HH:MM` (00:00–24:00) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    let total = h * 60 + m;
    (m < 60 && total <= 24 * 60).then_some(total)
}

/// Minutes after midnight as `HH:MM`.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mon–Fri 09:00–12:00 and 13:30–18:00 (7.5 hours), Asia/Shanghai (UTC+8);
    /// 2026-10-01 (Thu) and 2026-10-02 (Fri) off, Saturday 2026-10-10 worked
    /// as a Friday.
    fn shanghai() -> WorkingCalendar {
        let day = vec![
            Window {
                start: 9 * 60,
                end: 12 * 60,
            },
            Window {
                start: 13 * 60 + 30,
                end: 18 * 60,
            },
        ];
        let mut days = BTreeMap::new();
        days.insert(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), DayRule::Off);
        days.insert(NaiveDate::from_ymd_opt(2026, 10, 2).unwrap(), DayRule::Off);
        days.insert(
            NaiveDate::from_ymd_opt(2026, 10, 10).unwrap(),
            DayRule::WorkedAs(5),
        );
        WorkingCalendar {
            tz: chrono_tz::Asia::Shanghai,
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            days,
        }
    }

    /// A local Shanghai time as UTC.
    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_deadline_skips_the_lunch_break() {
        let cal = shanghai();
        // Tue 2026-09-15 11:00 + 120 min: 60 before lunch, 60 after 13:30.
        assert_eq!(
            cal.add(at(2026, 9, 15, 11, 0), 120),
            Ok(at(2026, 9, 15, 14, 30))
        );
        // Received during lunch: the clock starts at 13:30.
        assert_eq!(
            cal.add(at(2026, 9, 15, 12, 40), 30),
            Ok(at(2026, 9, 15, 14, 0))
        );
        assert_eq!(
            cal.between(at(2026, 9, 15, 11, 0), at(2026, 9, 15, 14, 30)),
            120
        );
    }

    #[test]
    fn a_deadline_skips_the_weekend() {
        let cal = shanghai();
        // Fri 2026-09-18 17:00 + 120 min: 60 on Friday, 60 on Monday.
        assert_eq!(
            cal.add(at(2026, 9, 18, 17, 0), 120),
            Ok(at(2026, 9, 21, 10, 0))
        );
        // Received on Saturday: Monday 09:00 + 60.
        assert_eq!(
            cal.add(at(2026, 9, 19, 10, 0), 60),
            Ok(at(2026, 9, 21, 10, 0))
        );
        assert_eq!(
            cal.between(at(2026, 9, 18, 17, 0), at(2026, 9, 21, 10, 0)),
            120
        );
    }

    #[test]
    fn a_holiday_is_skipped_and_a_make_up_day_is_worked() {
        let cal = shanghai();
        // Wed 2026-09-30 17:00 + 3 working days (3 × 450 min): 60 left on
        // Wednesday; Thu 1 and Fri 2 October off, the weekend off; Mon 5 to
        // Fri 9 October are ordinary days here (the test calendar marks only
        // two days off), so 1,290 minutes remain: Mon 450, Tue 450, then 390
        // on Wed 7 October — 09:00–12:00 (180) and 13:30–17:00 (210).
        assert_eq!(
            cal.add(at(2026, 9, 30, 17, 0), 3 * 450),
            Ok(at(2026, 10, 7, 17, 0))
        );
        // From Fri 2026-10-09 17:00, 120 minutes: 60 on Friday, and Saturday
        // the 10th is worked as a Friday: 09:00–10:00.
        assert_eq!(
            cal.add(at(2026, 10, 9, 17, 0), 120),
            Ok(at(2026, 10, 10, 10, 0))
        );
        // Nothing counts on a day off.
        assert_eq!(cal.between(at(2026, 10, 1, 0, 0), at(2026, 10, 3, 0, 0)), 0);
        assert_eq!(
            cal.between(at(2026, 10, 10, 0, 0), at(2026, 10, 11, 0, 0)),
            450
        );
    }

    #[test]
    fn zero_minutes_and_empty_ranges() {
        let cal = shanghai();
        let t = at(2026, 9, 19, 3, 0);
        assert_eq!(cal.add(t, 0), Ok(t));
        assert_eq!(cal.between(t, t), 0);
        assert_eq!(cal.between(at(2026, 9, 16, 0, 0), at(2026, 9, 15, 0, 0)), 0);
    }

    #[test]
    fn add_and_between_agree() {
        let cal = shanghai();
        let from = at(2026, 9, 28, 16, 47);
        for minutes in [1, 59, 73, 450, 451, 1_000, 4_321] {
            let due = cal.add(from, minutes).unwrap();
            assert_eq!(cal.between(from, due), minutes, "{minutes}");
        }
    }

    #[test]
    fn a_calendar_without_working_time_gives_up() {
        let cal = WorkingCalendar {
            tz: chrono_tz::UTC,
            week: Default::default(),
            days: BTreeMap::new(),
        };
        assert_eq!(cal.add(at(2026, 9, 15, 9, 0), 1), Err(NoWorkingTime));
    }

    #[test]
    fn local_windows_follow_the_time_zone_and_its_clock_changes() {
        // Berlin, 09:00–17:00 every weekday; clocks go back on 2026-10-25.
        let day = vec![Window {
            start: 9 * 60,
            end: 17 * 60,
        }];
        let cal = WorkingCalendar {
            tz: chrono_tz::Europe::Berlin,
            week: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            days: BTreeMap::new(),
        };
        // Fri 23 October 16:00 CEST (14:00 UTC) + 120 min: Monday 26th 10:00
        // CET, which is 09:00 UTC.
        let from = Utc.with_ymd_and_hms(2026, 10, 23, 14, 0, 0).unwrap();
        assert_eq!(
            cal.add(from, 120),
            Ok(Utc.with_ymd_and_hms(2026, 10, 26, 9, 0, 0).unwrap())
        );
    }

    #[test]
    fn hours_and_minutes() {
        assert_eq!(parse_hhmm("09:00"), Some(540));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("13:30"), Some(810));
        for bad in ["9:00", "24:01", "12:60", "ab:cd", "1200", ""] {
            assert_eq!(parse_hhmm(bad), None, "{bad}");
        }
        assert_eq!(format_hhmm(810), "13:30");
    }
}

/// A calendar and local times the rules' tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::collections::BTreeMap;

    use chrono::{NaiveDateTime, TimeZone, Utc};

    use super::{Window, WorkingCalendar};

    /// Mon–Fri 09:00–12:00 and 13:30–18:00, Asia/Shanghai.
    pub fn cal() -> WorkingCalendar {
        let day = vec![
            Window {
                start: 540,
                end: 720,
            },
            Window {
                start: 810,
                end: 1080,
            },
        ];
        let mut week: [Vec<Window>; 7] = Default::default();
        for d in week.iter_mut().take(5) {
            *d = day.clone();
        }
        WorkingCalendar {
            tz: chrono_tz::Asia::Shanghai,
            week,
            days: BTreeMap::new(),
        }
    }

    /// A local Shanghai time in September 2026, as stored (naive UTC).
    pub fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2026, 9, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
            .naive_utc()
    }
}
