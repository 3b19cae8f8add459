//! Fuzz target `cpim`: The CPIM reader, cpm_client::body::CpimMessage::parse, and every accessor of what it reads.
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::cpim(data));
