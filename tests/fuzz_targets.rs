//! The fuzz targets of `fuzz/`, run on stable under proptest: a bounded number of
//! random and mutated inputs goes through each target's checking function (the same
//! function the cargo-fuzz target calls, in `tests/common/fuzz_checks.rs`), which
//! panics on a panic of the library or an outcome that is not well formed.
//!
//! For each of `parse`, `route`, `accept_contact`, `cpim`, `sdp`, `dispatch` and
//! `msrp`:
//! - `*_random`: arbitrary bytes;
//! - `*_mutated`: the target's seeds, edited a few times (byte flips, insertions of the
//!   punctuation the grammars care about, deletions, duplications, cuts, splices of
//!   another seed), the way a mutation-based fuzzer starts.
//!
//! The seeds are those `fuzz/seed.sh` gives the fuzzer: the project's SIP messages
//! (`tests/corpus`, `tests/data`) whole, their Accept-Contact values, their bodies,
//! plus the dedicated seeds in `fuzz/seeds/TARGET/` (`msrp` has only those). `seeds_pass_every_check` runs the
//! checks on every seed unmutated, and `fuzz_regressions` replays every input the
//! fuzzer once failed on (`tests/data/fuzz/TARGET-*`).
//!
//! Failures are not persisted to disk; proptest prints the input.

// `common` and the fuzz checks (written to be included alone by the fuzz targets)
// both bring in the response framing check.
#![allow(clippy::duplicate_mod)]

mod common;
#[path = "common/fuzz_checks.rs"]
mod fuzz_checks;

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use bytes::Bytes;
use cpm_client::RoutedRequest;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

/// A check and the name of its target.
type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 7] = [
    ("parse", fuzz_checks::parse),
    ("route", fuzz_checks::route),
    ("accept_contact", fuzz_checks::accept_contact),
    ("cpim", fuzz_checks::cpim),
    ("sdp", fuzz_checks::sdp),
    ("dispatch", fuzz_checks::dispatch),
    ("msrp", fuzz_checks::msrp),
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Input bytes, shown as an escaped byte string when a case fails.
#[derive(Clone)]
struct Input(Vec<u8>);

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ({} bytes)", self.0.escape_ascii(), self.0.len())
    }
}

// ---- seeds ---------------------------------------------------------------------------

/// The head and the body of a message, split at the first empty line.
fn split_head(message: &[u8]) -> (&[u8], &[u8]) {
    for sep in [&b"\r\n\r\n"[..], b"\n\n"] {
        if let Some(at) = message.windows(sep.len()).position(|w| w == sep) {
            return (&message[..at], &message[at + sep.len()..]);
        }
    }
    (message, b"")
}

/// Each target's name and seeds.
type SeedTable = Vec<(&'static str, Vec<Vec<u8>>)>;

/// The seeds of one target (see the module documentation).
fn seeds(target: &str) -> &'static [Vec<u8>] {
    static SEEDS: OnceLock<SeedTable> = OnceLock::new();
    let all = SEEDS.get_or_init(|| {
        let messages: Vec<Vec<u8>> = common::sip_messages().into_iter().map(|(_, m)| m).collect();
        TARGETS
            .iter()
            .map(|&(name, _)| {
                let mut out: Vec<Vec<u8>> = match name {
                    "accept_contact" => messages
                        .iter()
                        .filter_map(|m| RoutedRequest::parse(Bytes::copy_from_slice(m)).ok())
                        .flat_map(|r| {
                            r.headers_named("Accept-Contact")
                                .map(|h| h.value().to_vec())
                                .collect::<Vec<_>>()
                        })
                        .collect(),
                    // MSRP has only its dedicated seeds: SIP messages are not MSRP.
                    "msrp" => Vec::new(),
                    "cpim" | "sdp" => messages
                        .iter()
                        .map(|m| split_head(m).1.to_vec())
                        .filter(|b| !b.is_empty())
                        .collect(),
                    _ => messages.clone(),
                };
                let dedicated = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fuzz/seeds")
                    .join(name);
                if let Ok(entries) = std::fs::read_dir(dedicated) {
                    for entry in entries {
                        out.push(std::fs::read(entry.expect("seed").path()).expect("seed"));
                    }
                }
                out.sort();
                out.dedup();
                assert!(!out.is_empty(), "no seeds for {name}");
                (name, out)
            })
            .collect()
    });
    &all.iter().find(|(n, _)| *n == target).expect("a target").1
}

// ---- mutations -----------------------------------------------------------------------

/// Bytes the SIP, CPIM and SDP grammars care about.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\n",
    b"\r",
    b" ",
    b"\t",
    b"\r\n ",
    b"\r\n\r\n",
    b":",
    b";",
    b",",
    b"=",
    b"\"",
    b"\\",
    b"<",
    b">",
    b"*",
    b"%3A",
    b"\0",
    b"\xff",
    b"\xc3\xa9",
    b"tag=x",
    b"m=message ",
    b"a=",
    b"NS: ",
    b"imdn.",
    b"Content-Length: 0",
    b"99999999999999999999",
    b"+g.3gpp.icsi-ref=",
    b"MSRP ",
    b"-------",
    b"$\r\n",
    b"+\r\n",
    b"#\r\n",
    b"Byte-Range: 1-*/*\r\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, &'static [u8]),
    Delete(Index, Index),
    Duplicate(Index, Index, Index),
    Cut(Index),
    /// Replaces the tail from one index with the tail of another seed.
    Splice(Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        3 => (any::<Index>(), select(TOKENS)).prop_map(|(i, t)| Edit::Insert(i, t)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Edit::Duplicate(a, b, c)),
        1 => any::<Index>().prop_map(Edit::Cut),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Edit::Splice(a, b, c)),
    ]
}

fn apply(x: &mut Vec<u8>, edit: &Edit, others: &[Vec<u8>]) {
    let len = x.len();
    match edit {
        Edit::Insert(i, t) => {
            let at = i.index(len + 1);
            x.splice(at..at, t.iter().copied());
        }
        _ if len == 0 => {}
        Edit::Flip(i, b) => x[i.index(len)] = *b,
        Edit::Delete(a, b) => {
            let (a, b) = (a.index(len), b.index(len));
            x.drain(a.min(b)..a.max(b));
        }
        Edit::Duplicate(a, b, to) => {
            let (a, b) = (a.index(len), b.index(len));
            let copy = x[a.min(b)..a.max(b)].to_vec();
            let at = to.index(len + 1);
            x.splice(at..at, copy);
        }
        Edit::Cut(i) => x.truncate(i.index(len)),
        Edit::Splice(at, which, from) => {
            let other = which.get(others);
            x.truncate(at.index(len));
            x.extend_from_slice(&other[from.index(other.len() + 1)..]);
        }
    }
}

/// A seed of `target`, edited one to four times.
fn mutated(target: &'static str) -> impl Strategy<Value = Input> {
    (any::<Index>(), vec(edit(), 1..5)).prop_map(move |(seed, edits)| {
        let all = seeds(target);
        let mut x = seed.get(all).clone();
        for e in &edits {
            apply(&mut x, e, all);
        }
        Input(x)
    })
}

fn random() -> impl Strategy<Value = Input> {
    vec(any::<u8>(), 0..1024).prop_map(Input)
}

// ---- properties ----------------------------------------------------------------------

macro_rules! target_properties {
    ($($target:ident: $cases:expr, $random:ident, $mutated:ident;)+) => {
        $(
            proptest! {
                #![proptest_config(config($cases))]

                #[test]
                fn $random(input in random()) {
                    fuzz_checks::$target(&input.0);
                }

                #[test]
                fn $mutated(input in mutated(stringify!($target))) {
                    fuzz_checks::$target(&input.0);
                }
            }
        )+
    };
}

target_properties! {
    parse: 1024, parse_random, parse_mutated;
    route: 1024, route_random, route_mutated;
    accept_contact: 2048, accept_contact_random, accept_contact_mutated;
    cpim: 2048, cpim_random, cpim_mutated;
    sdp: 2048, sdp_random, sdp_mutated;
    dispatch: 512, dispatch_random, dispatch_mutated;
    msrp: 512, msrp_random, msrp_mutated;
}

#[test]
fn seeds_pass_every_check() {
    for (name, check) in TARGETS {
        for seed in seeds(name) {
            check(seed);
        }
    }
}

/// Every input a fuzz target once failed on, kept as `tests/data/fuzz/TARGET-*`, goes
/// through that target's check again.
#[test]
fn fuzz_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (_, check) = TARGETS
            .iter()
            .filter(|(target, _)| name.starts_with(&format!("{target}-")))
            .max_by_key(|(target, _)| target.len())
            .unwrap_or_else(|| panic!("{name}: no target of that name"));
        check(&std::fs::read(&path).expect("regression input"));
    }
}
