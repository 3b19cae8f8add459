//! Routes SIP requests read from files: the project's routing contract.
//!
//! ```text
//! cargo run --release --example cpm_route -- FILE...
//! ```
//!
//! Prints one JSON object per file, one per line, in the order given:
//!
//! ```text
//! {"file":"a.sip","route":"pager","section":"7.2.2.1","tags":["msg"]}
//! {"file":"b.sip","route":"not-cpm","section":null,"tags":[]}
//! {"file":"c.sip","route":"error","error":"line 1: request line has no SIP version"}
//! ```
//!
//! A file that cannot be read is an `error` line too. The exit status is non-zero only
//! when the program could not run at all (no file named, standard output closed).

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use cpm_client::{Limits, Routing};

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("usage: cpm_route FILE...\nroutes each file as one SIP request and prints one JSON line per file");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    for file in &files {
        let line = match std::fs::read(file) {
            Ok(bytes) => route_line(file, &bytes),
            Err(e) => error_line(file, &format!("cannot read file: {e}")),
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// The JSON line for one request.
fn route_line(file: &str, bytes: &[u8]) -> String {
    match Routing::read(bytes, &Limits::DEFAULT) {
        Ok(r) => {
            let section = match r.route.section() {
                Some(s) => json_string(s),
                None => "null".to_owned(),
            };
            let tags: Vec<String> = r.tags.iter().map(|t| json_string(t.short_name())).collect();
            format!(
                "{{\"file\":{},\"route\":{},\"section\":{},\"tags\":[{}]}}",
                json_string(file),
                json_string(r.route.as_str()),
                section,
                tags.join(",")
            )
        }
        Err(e) => error_line(file, &e.to_string()),
    }
}

fn error_line(file: &str, error: &str) -> String {
    format!(
        "{{\"file\":{},\"route\":\"error\",\"error\":{}}}",
        json_string(file),
        json_string(error)
    )
}

/// A JSON string literal (RFC 8259 escapes).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
