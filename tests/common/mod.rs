//! What several test files share. Each test file uses a part of it.

#![allow(dead_code)]

use std::path::Path;

mod framing;

#[allow(unused_imports)] // not every test file checks responses
pub use framing::framed;

/// Every SIP message of the public corpus copy and of the library's own cases
/// (`tests/corpus/*.sip`, `tests/data/*.sip`), as (path, bytes), in path order.
pub fn sip_messages() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut out = Vec::new();
    for dir in ["corpus", "data"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("corpus folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "sip") {
                let bytes = std::fs::read(&path).expect("message");
                out.push((path.display().to_string(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Every header name an outgoing builder may write, in the wire order of the example
/// requests of `tests/outgoing.rs`.
pub const HEADERS: [&str; 21] = [
    "Via",
    "Max-Forwards",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Expires",
    "Supported",
    "P-Preferred-Identity",
    "P-Preferred-Service",
    "Accept-Contact",
    "Conversation-ID",
    "Contribution-ID",
    "InReplyTo-Contribution-ID",
    "Session-Replaces",
    "Subject",
    "Require",
    "User-Agent",
    "Content-Type",
    "Content-Length",
];
