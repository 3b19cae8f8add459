//! Fuzz target `dispatch`: Dispatcher::dispatch with handlers that accept, reject, answer later or panic, chosen by the request's bytes.
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::dispatch(data));
