//! Written by the browser-test helper.
