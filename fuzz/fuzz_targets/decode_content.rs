//! Fuzz target: the content part (subject, body, attachment list) as it comes
//! out of an opened envelope. `Content::decode` must never panic; a version 2
//! part it reads must encode back to the same bytes, a version 1 part to a
//! version 2 part that reads the same; and quoting the body as text must not
//! panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealpost_domain::services::content::Content;

fuzz_target!(|data: &[u8]| {
    let Some(content) = Content::decode(data) else {
        return;
    };
    let _ = content.body_text();
    let again = content.encode();
    if data.first() == Some(&2) {
        assert_eq!(again, data);
    } else {
        assert_eq!(Content::decode(&again), Some(content));
    }
});
