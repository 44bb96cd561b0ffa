//! Dates and times as a reader expects them: in their language (CLDR's patterns
//! and month names through ICU4X, never ours) and in their time zone (the IANA
//! database bundled by `jiff`).
//!
//! Every page, mail and envelope writes a [`Timestamp`] through a [`DateFormatter`]:
//! `DateFormatter::new(locale, time_zone).date_time(at)` gives
//! "3. Dezember 2026, 22:49" for a German reader in Europe/Berlin. Machine formats
//! (RFC 5322 `Date:` headers, file names) stay in the mail crate and are not
//! localized.

use std::cell::OnceCell;
use std::sync::OnceLock;

use icu_calendar::{Date, Gregorian};
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{M, YM, YMD, YMDT};
use icu_datetime::input::{DateTime, Time};
use icu_locale_core::{Locale as IcuLocale, locale};
use jiff::tz::TimeZone;
use sealpost_domain::types::{Locale, TimeZoneName, Timestamp};

/// Writes instants for one reader: their language and their time zone.
///
/// Cheap to build and to clone (the ICU formatters are built once per thread and
/// language; the zone's rules are reference-counted).
#[derive(Debug, Clone)]
pub struct DateFormatter {
    locale: Locale,
    zone_name: TimeZoneName,
    zone: TimeZone,
}

/// The formatters of one language, built on first use.
struct Formatters {
    date_time: FixedCalendarDateTimeFormatter<Gregorian, YMDT>,
    date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    month: FixedCalendarDateTimeFormatter<Gregorian, YM>,
    month_short: FixedCalendarDateTimeFormatter<Gregorian, M>,
}

impl DateFormatter {
    /// A formatter for a reader of `locale` in `time_zone` (`None`: UTC).
    pub fn new(locale: Locale, time_zone: Option<&TimeZoneName>) -> Self {
        let zone_name = time_zone.cloned().unwrap_or_else(TimeZoneName::utc);
        Self {
            locale,
            zone: zone_name.zone(),
            zone_name,
        }
    }

    /// The language dates are written in.
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// The time zone dates are shown in.
    pub fn time_zone(&self) -> &TimeZoneName {
        &self.zone_name
    }

    /// Date and time to the minute, in the reader's zone: "3. Dezember 2026, 22:49",
    /// "3 décembre 2026, 22:49", "December 3, 2026, 10:49 PM".
    pub fn date_time(&self, at: Timestamp) -> String {
        self.civil(at)
            .map(|(date, time)| {
                let input = DateTime { date, time };
                with_formatters(self.locale, |f| f.date_time.format(&input).to_string())
            })
            .unwrap_or_default()
    }

    /// The day only, in the reader's zone: "3. Dezember 2026".
    pub fn date(&self, at: Timestamp) -> String {
        self.civil(at)
            .map(|(date, _)| with_formatters(self.locale, |f| f.date.format(&date).to_string()))
            .unwrap_or_default()
    }

    /// A month of a year, as a heading or table row reads it: "Dezember 2026",
    /// "décembre 2026", "December 2026". `None` for a month that is not 1 to 12.
    pub fn month(&self, year: i32, month: u8) -> Option<String> {
        let date = Date::try_new_gregorian(year, month, 1).ok()?;
        Some(with_formatters(self.locale, |f| f.month.format(&date).to_string()))
    }

    /// A month's short name, for a chart's axis: "Dez.", "déc.", "Dec".
    pub fn month_short(&self, year: i32, month: u8) -> Option<String> {
        let date = Date::try_new_gregorian(year, month, 1).ok()?;
        Some(with_formatters(self.locale, |f| {
            f.month_short.format(&date).to_string()
        }))
    }

    /// [`Self::date_time`] followed by the zone's abbreviation ("… 22:49 CET"), for
    /// text read away from the reader's own settings (mails, the envelope).
    pub fn date_time_with_zone(&self, at: Timestamp) -> String {
        let abbreviation = self.zone.to_offset_info(instant(at)).abbreviation().to_owned();
        format!("{} {abbreviation}", self.date_time(at))
    }

    /// The wall-clock date and time of `at` in the reader's zone, as ICU4X takes them.
    fn civil(&self, at: Timestamp) -> Option<(Date<Gregorian>, Time)> {
        let local = self.zone.to_datetime(instant(at));
        let date = Date::try_new_gregorian(i32::from(local.year()), to_u8(local.month()), to_u8(local.day())).ok()?;
        let time = Time::try_new(to_u8(local.hour()), to_u8(local.minute()), 0, 0).ok()?;
        Some((date, time))
    }
}

/// A [`Timestamp`] as `jiff` takes it (the epoch should the value be out of range).
fn instant(at: Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(at.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn to_u8(value: i8) -> u8 {
    u8::try_from(value).unwrap_or_default()
}

fn icu_locale(locale: Locale) -> IcuLocale {
    match locale {
        Locale::En => locale!("en"),
        Locale::De => locale!("de"),
        Locale::Fr => locale!("fr"),
    }
}

thread_local! {
    /// Each thread's formatters, per language (ICU4X's are not `Sync`; building one
    /// costs microseconds, once per thread and language).
    static FORMATTERS: [OnceCell<Formatters>; 3] = const { [OnceCell::new(), OnceCell::new(), OnceCell::new()] };
}

/// Runs `write` with the formatters of `locale`.
fn with_formatters<R>(locale: Locale, write: impl FnOnce(&Formatters) -> R) -> R {
    let index = match locale {
        Locale::En => 0,
        Locale::De => 1,
        Locale::Fr => 2,
    };
    FORMATTERS.with(|cells| write(cells[index].get_or_init(|| build(locale))))
}

#[expect(
    clippy::expect_used,
    reason = "the data for en, de and fr is compiled in; a test builds every language"
)]
fn build(locale: Locale) -> Formatters {
    let prefs = icu_locale(locale).into();
    Formatters {
        date_time: FixedCalendarDateTimeFormatter::try_new(prefs, YMD::long().with_time_hm())
            .expect("compiled date-time data for en, de and fr"),
        date: FixedCalendarDateTimeFormatter::try_new(prefs, YMD::long())
            .expect("compiled date data for en, de and fr"),
        month: FixedCalendarDateTimeFormatter::try_new(prefs, YM::long())
            .expect("compiled month data for en, de and fr"),
        month_short: FixedCalendarDateTimeFormatter::try_new(prefs, M::medium())
            .expect("compiled month data for en, de and fr"),
    }
}

/// The zones a person picks from, most asked-for first (the rest follow by region in
/// [`all_time_zones`]).
pub const COMMON_TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Amsterdam",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Lisbon",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Australia/Sydney",
];

/// Every canonical region/city zone of the database, sorted, grouped by region
/// (`Europe`, `America`, …): the time zone select's long list.
pub fn all_time_zones() -> &'static [(String, Vec<String>)] {
    static ZONES: OnceLock<Vec<(String, Vec<String>)>> = OnceLock::new();
    ZONES.get_or_init(|| {
        const REGIONS: [&str; 9] = [
            "Africa",
            "America",
            "Antarctica",
            "Asia",
            "Atlantic",
            "Australia",
            "Europe",
            "Indian",
            "Pacific",
        ];
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| {
                name.split_once('/')
                    .is_some_and(|(region, _)| REGIONS.contains(&region))
            })
            .filter(|name| jiff::tz::db().get(name).is_ok_and(|zone| zone.is_primary()))
            .collect();
        names.sort();
        REGIONS
            .iter()
            .map(|region| {
                let prefix = format!("{region}/");
                let zones = names.iter().filter(|n| n.starts_with(&prefix)).cloned().collect();
                ((*region).to_owned(), zones)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #![expect(clippy::expect_used, reason = "tests")]
    use super::*;

    /// 2026-12-03 21:49:30 UTC.
    const AT: Timestamp = Timestamp(1_796_334_570_000);

    fn zone(name: &str) -> TimeZoneName {
        TimeZoneName::parse(name).expect("known zone")
    }

    #[test]
    fn each_language_writes_its_own_date_in_the_readers_zone() {
        let berlin = zone("Europe/Berlin");
        let de = DateFormatter::new(Locale::De, Some(&berlin));
        assert_eq!(de.date_time(AT), "3. Dezember 2026 um 22:49");
        assert_eq!(de.date(AT), "3. Dezember 2026");
        let fr = DateFormatter::new(Locale::Fr, Some(&zone("Europe/Paris")));
        assert_eq!(fr.date_time(AT), "3 décembre 2026 à 22:49");
        let en = DateFormatter::new(Locale::En, Some(&zone("America/New_York")));
        assert_eq!(en.date_time(AT), "December 3, 2026 at 4:49\u{202f}PM");
    }

    #[test]
    fn months_are_named_by_icu_in_each_language() {
        let de = DateFormatter::new(Locale::De, None);
        assert_eq!(de.month(2026, 12).as_deref(), Some("Dezember 2026"));
        assert_eq!(de.month(2026, 3).as_deref(), Some("März 2026"));
        let fr = DateFormatter::new(Locale::Fr, None);
        assert_eq!(fr.month(2026, 2).as_deref(), Some("février 2026"));
        let en = DateFormatter::new(Locale::En, None);
        assert_eq!(en.month(2026, 5).as_deref(), Some("May 2026"));
        assert_eq!(en.month_short(2026, 12).as_deref(), Some("Dec"));
        assert_eq!(de.month(2026, 13), None);
        assert_eq!(de.month_short(2026, 0), None);
    }

    #[test]
    fn no_zone_means_utc_and_the_zone_is_named_where_asked() {
        let de = DateFormatter::new(Locale::De, None);
        assert_eq!(de.date_time_with_zone(AT), "3. Dezember 2026 um 21:49 UTC");
        let berlin = DateFormatter::new(Locale::De, Some(&zone("Europe/Berlin")));
        assert_eq!(berlin.date_time_with_zone(AT), "3. Dezember 2026 um 22:49 CET");
    }

    #[test]
    fn the_zone_list_holds_the_common_zones_grouped_by_region() {
        let all: Vec<&String> = all_time_zones().iter().flat_map(|(_, z)| z).collect();
        assert!(all.len() > 300, "{}", all.len());
        for common in COMMON_TIME_ZONES.iter().filter(|z| **z != "UTC") {
            assert!(TimeZoneName::parse(common).is_ok(), "{common}");
        }
        assert!(all.iter().any(|z| *z == "Europe/Berlin"));
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
    }
}
