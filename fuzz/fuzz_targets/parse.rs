//! Fuzz target `parse`: RoutedRequest::parse and the accessors that read its headers; route() and Routing::read() must agree with it.
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::parse(data));
