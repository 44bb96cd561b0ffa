//! The few ways this crate writes a [`Timestamp`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealpost_domain::types::Timestamp;
use time::OffsetDateTime;

fn utc(at: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `20261121T183005`: the compact UTC form used in file names
/// (`securedoc_<this>.html`, `<this>-<message id>.eml`).
pub(crate) fn compact_utc(at: Timestamp) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]");
    utc(at).format(&format).unwrap_or_else(|_| "19700101T000000".to_owned())
}

/// `Thu, 03 Dec 2026 18:30:05 +0000`: RFC 5322 date-time, for `Received:`.
pub(crate) fn rfc5322(at: Timestamp) -> String {
    utc(at)
        .format(&time::format_description::well_known::Rfc2822)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 +0000".to_owned())
}

/// The instant as a [`SystemTime`], for the `Date:` header.
pub(crate) fn system_time(at: Timestamp) -> SystemTime {
    u64::try_from(at.0)
        .ok()
        .and_then(|millis| UNIX_EPOCH.checked_add(Duration::from_millis(millis)))
        .unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_form_is_utc_with_seconds() {
        // 2026-11-21 18:30:05.250 UTC
        assert_eq!(compact_utc(Timestamp(1_795_285_805_250)), "20261121T183005");
        assert_eq!(compact_utc(Timestamp(0)), "19700101T000000");
    }
}
