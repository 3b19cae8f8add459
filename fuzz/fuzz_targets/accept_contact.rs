//! Fuzz target `accept_contact`: The Accept-Contact value reader, through its public entry point cpm_client::accept_contact::tags.
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::accept_contact(data));
