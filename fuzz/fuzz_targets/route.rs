//! Fuzz target `route`: cpm_client::route and routing, under the default limits and under tight ones picked from the input.
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::route(data));
