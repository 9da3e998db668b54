//! The portal's idea of "now". Production reads the system clock; tests move it forward
//! (`advance`) to reach an expiry instead of rewriting expiry columns. Every expiry check
//! and every stored timestamp that such a check compares with takes its time from here,
//! passed to SQL as a parameter, never from the database's `now()`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{Duration, OffsetDateTime};

/// Cheap to clone; clones share the same offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    /// Moves this clock (and its clones) forward: for tests of expiry.
    pub fn advance(&self, by: Duration) {
        self.offset_secs
            .fetch_add(by.whole_seconds(), Ordering::Relaxed);
    }
}

/// `at` in Italian local time (Europe/Rome): CET, or CEST from 01:00 UTC on the last Sunday
/// of March to 01:00 UTC on the last Sunday of October (the EU rule since 1996).
pub fn in_rome(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(time::UtcOffset::UTC);
    let switch = |month: time::Month| {
        let last = time::Date::from_calendar_date(utc.year(), month, 31).unwrap_or(utc.date());
        let back = i64::from(last.weekday().number_days_from_sunday());
        (last - Duration::days(back))
            .with_hms(1, 0, 0)
            .map(|t| t.assume_utc())
    };
    let summer = match (switch(time::Month::March), switch(time::Month::October)) {
        (Ok(start), Ok(end)) => utc >= start && utc < end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    utc.to_offset(time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC))
}

/// The first moment of `day` in Italy (its midnight in Europe/Rome). Summer time changes at
/// 01:00 UTC, after every Italian midnight, so the offset at 00:00 UTC of that day is the
/// offset of its midnight.
pub fn rome_day_start(day: time::Date) -> OffsetDateTime {
    let offset = in_rome(day.midnight().assume_utc()).offset();
    day.midnight().assume_offset(offset)
}

/// Today's date in Italy.
pub fn rome_today(now: OffsetDateTime) -> time::Date {
    in_rome(now).date()
}

/// The day of `at` as Italians read it, in Europe/Rome: "02/12/2026".
pub fn in_rome_date(at: OffsetDateTime) -> String {
    let rome = in_rome(at);
    format!(
        "{:02}/{:02}/{}",
        rome.day(),
        u8::from(rome.month()),
        rome.year()
    )
}

/// `at` as Italians read it, in Europe/Rome: "02/12/2026 alle 14:05".
pub fn in_rome_words(at: OffsetDateTime) -> String {
    let rome = in_rome(at);
    format!(
        "{:02}/{:02}/{} alle {:02}:{:02}",
        rome.day(),
        u8::from(rome.month()),
        rome.year(),
        rome.hour(),
        rome.minute()
    )
}

/// A lifetime as the pages and e-mails quote it: "10 minuti", "1 ora", "7 giorni".
pub fn in_words(lifetime: Duration) -> String {
    let (count, one, many) = if lifetime.whole_days() >= 1 && lifetime.whole_hours() % 24 == 0 {
        (lifetime.whole_days(), "giorno", "giorni")
    } else if lifetime.whole_hours() >= 1 && lifetime.whole_minutes() % 60 == 0 {
        (lifetime.whole_hours(), "ora", "ore")
    } else {
        (lifetime.whole_minutes().max(1), "minuto", "minuti")
    };
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rome_is_one_hour_ahead_in_winter_and_two_in_summer() {
        use time::macros::datetime;
        let hour = |at: OffsetDateTime| in_rome(at).hour();
        assert_eq!(hour(datetime!(2026-01-15 23:30 UTC)), 0);
        assert_eq!(hour(datetime!(2026-07-15 22:30 UTC)), 0);
        // 2026: summer time from Sunday 29 March to Sunday 25 October, at 01:00 UTC.
        assert_eq!(hour(datetime!(2026-03-29 00:59 UTC)), 1);
        assert_eq!(hour(datetime!(2026-03-29 01:00 UTC)), 3);
        assert_eq!(hour(datetime!(2026-10-25 00:59 UTC)), 2);
        assert_eq!(hour(datetime!(2026-10-25 01:00 UTC)), 2);
        assert_eq!(
            in_rome(datetime!(2026-10-25 01:00 UTC))
                .offset()
                .whole_hours(),
            1
        );
    }

    #[test]
    fn a_moment_reads_in_rome_time_with_date_and_minutes() {
        use time::macros::datetime;
        assert_eq!(
            in_rome_words(datetime!(2026-07-05 22:07 UTC)),
            "06/07/2026 alle 00:07"
        );
        assert_eq!(
            in_rome_words(datetime!(2026-12-02 13:05 UTC)),
            "02/12/2026 alle 14:05"
        );
    }

    #[test]
    fn an_italian_day_starts_at_its_midnight_in_rome() {
        use time::macros::{date, datetime};
        assert_eq!(
            rome_day_start(date!(2026 - 01 - 15)),
            datetime!(2026-01-14 23:00 UTC)
        );
        assert_eq!(
            rome_day_start(date!(2026 - 07 - 15)),
            datetime!(2026-07-14 22:00 UTC)
        );
        // The days summer time starts and ends: their midnight is still in the old time.
        assert_eq!(
            rome_day_start(date!(2026 - 03 - 29)),
            datetime!(2026-03-28 23:00 UTC)
        );
        assert_eq!(
            rome_day_start(date!(2026 - 10 - 25)),
            datetime!(2026-10-24 22:00 UTC)
        );
        assert_eq!(
            rome_today(datetime!(2026-07-14 22:30 UTC)),
            date!(2026 - 07 - 15)
        );
    }

    #[test]
    fn lifetimes_read_as_the_pages_quote_them() {
        assert_eq!(in_words(Duration::minutes(10)), "10 minuti");
        assert_eq!(in_words(Duration::minutes(1)), "1 minuto");
        assert_eq!(in_words(Duration::hours(1)), "1 ora");
        assert_eq!(in_words(Duration::minutes(90)), "90 minuti");
        assert_eq!(in_words(Duration::days(7)), "7 giorni");
        assert_eq!(in_words(Duration::hours(12)), "12 ore");
    }

    #[test]
    fn clones_share_one_moved_clock() {
        let clock = Clock::system();
        let seen_by_app = clock.clone();
        let before = seen_by_app.now();
        clock.advance(Duration::hours(2));
        assert!(seen_by_app.now() - before >= Duration::hours(2));
    }
}
