//! Fuzz target `sdp`: The SDP reader, cpm_client::body::Sdp::parse, and every accessor of what it reads (MSRP media included).
//! The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::sdp(data));
