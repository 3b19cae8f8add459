//! Fuzz target `msrp`: the MSRP readers, cpm_client::msrp::MsrpFrame::parse, the
//! MsrpStreamReader on the input cut at several points, and a receiving
//! MsrpSession::handle_bytes. The check is shared with `tests/fuzz_targets.rs`.
#![no_main]

#[path = "../../tests/common/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::msrp(data));
