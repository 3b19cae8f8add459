//! Property tests of the request reader and the router.
//!
//! 1. [`route`] and [`RoutedRequest::parse`] return (never panic) on arbitrary bytes
//!    (`arbitrary_bytes_never_panic`), on SIP-ish bytes after a request line
//!    (`sipish_bytes_never_panic`), on concatenated SIP fragments
//!    (`sip_fragments_never_panic`), on a request line followed by header lines of soup
//!    (`header_soup_never_panics`), and on a valid request holding one Accept-Contact,
//!    Contact or Via value built from the pieces of its grammar, then cut or patched
//!    (`header_values_never_panic`).
//! 2. Random mutations of every corpus message (`tests/corpus/*.sip`, `tests/data/*.sip`)
//!    never panic, and the entry points agree on them exactly
//!    (`mutated_corpus_messages_agree`; `limits_apply_alike` does the same under tight
//!    random [`Limits`]; `corpus_messages_pass_the_check` runs the check unmutated).
//! 3. Generated valid MESSAGE / INVITE requests, with their CPM tags written in every
//!    style the grammar allows, give exactly the generated tags and the route of the
//!    decision table documented in `src/route.rs`, re-derived here from the doc comment
//!    (`generated_requests_route_as_documented`, `expected_route_follows_the_table`).
//! 4. Whatever parses, its accessors are slices of the input and frame it consistently
//!    ([`check_accessors`]).
//!
//! Every property runs the same [`check`], so each also checks 2's agreement and error
//! shape and 4's accessors on whatever input it produces. Failures are not persisted to
//! disk (no `proptest-regressions` files); a failure prints the input as a byte string.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;

use bytes::Bytes;
use cpm_client::{
    route, FeatureTag, IncomingRequest, Limits, ParseError, Route, RoutedRequest, Routing, TagSet,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// A test configuration with `cases` cases and no regression files written to the repo.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Input bytes, shown as an escaped byte string when a case fails.
#[derive(Clone, PartialEq, Eq)]
struct Wire(Vec<u8>);

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ({} bytes)", self.0.escape_ascii(), self.0.len())
    }
}

fn show(x: &[u8]) -> String {
    format!("b\"{}\"", x.escape_ascii())
}

/// Position of the first occurrence of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every message of the corpus and of the library's own cases.
fn corpus() -> &'static [Vec<u8>] {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut paths = Vec::new();
        for dir in ["corpus", "data"] {
            let dir = root.join(dir);
            let entries = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
            for entry in entries {
                let path = entry.expect("directory entry").path();
                if path.extension().is_some_and(|ext| ext == "sip") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        assert!(
            paths.len() > 10,
            "corpus not found under {}",
            root.display()
        );
        paths
            .iter()
            .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
            .collect()
    })
}

/// The full check run on every input of every property: the two entry points agree,
/// errors are well formed, and a parsed request's accessors hold.
fn check(x: &[u8]) -> Result<(), TestCaseError> {
    let routed = route(x);
    let buf = Bytes::from(x.to_vec());
    let parsed = RoutedRequest::parse(buf.clone());
    let by_parse = parsed.as_ref().map(|r| r.route()).map_err(|e| e.clone());
    match (&routed, &by_parse) {
        (Ok(a), Ok(b)) => prop_assert_eq!(a, b, "route and parse disagree on {}", show(x)),
        (Err(a), Err(b)) => prop_assert_eq!(
            a.to_string(),
            b.to_string(),
            "route and parse give different errors on {}",
            show(x)
        ),
        _ => prop_assert!(
            false,
            "route gives {:?} but parse gives {:?} on {}",
            routed,
            by_parse,
            show(x)
        ),
    }
    let detailed = Routing::read(x, &Limits::DEFAULT);
    match (&detailed, &parsed) {
        (Ok(detailed), Ok(request)) => {
            prop_assert_eq!(
                detailed.tags,
                request.tags(),
                "Routing::read().tags != parse().tags() on {}",
                show(x)
            );
            prop_assert_eq!(detailed, &request.routing(), "on {}", show(x));
            prop_assert_eq!(
                Ok(detailed.route),
                routed.clone(),
                "routing vs route on {}",
                show(x)
            );
            check_accessors(&buf, request)?;
        }
        (Err(e), Err(pe)) => {
            prop_assert_eq!(e, pe, "routing and parse errors differ on {}", show(x));
            prop_assert_eq!(Err(e), routed.as_ref().map(|_| ()), "on {}", show(x));
            check_error(x, e)?;
        }
        _ => prop_assert!(
            false,
            "routing {:?} vs parse ok={} on {}",
            detailed,
            parsed.is_ok(),
            show(x)
        ),
    }
    Ok(())
}

/// What a refusal must look like: placed inside the input, and printable as the reason
/// phrase of a 400 (no CR, no LF, no other control character).
fn check_error(x: &[u8], e: &ParseError) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(
        e.offset() <= x.len(),
        "offset {} past the input ({}): {}",
        e.offset(),
        text,
        show(x)
    );
    prop_assert!(e.line() >= 1, "line 0: {}", text);
    let lines_before = x[..e.offset()].iter().filter(|&&b| b == b'\n').count();
    prop_assert_eq!(
        e.line(),
        lines_before + 1,
        "line does not match offset {} ({}) in {}",
        e.offset(),
        text,
        show(x)
    );
    prop_assert!(text.starts_with("line "), "{:?}", text);
    prop_assert!(
        !text.contains(['\r', '\n']),
        "error text has CR/LF, unusable as a reason phrase: {:?} from {}",
        text,
        show(x)
    );
    prop_assert!(
        !text.chars().any(|c| c.is_control() && c != '\t'),
        "error text has a control character: {:?} from {}",
        text,
        show(x)
    );
    prop_assert!(
        matches!(e.status_code().code(), 400 | 505 | 513),
        "{}",
        e.status_code()
    );
    Ok(())
}

/// Property 4: the accessors of a parsed request, checked against `buf`, the buffer it
/// was parsed from.
fn check_accessors(buf: &Bytes, request: &IncomingRequest) -> Result<(), TestCaseError> {
    let x: &[u8] = buf;
    let base = x.as_ptr() as usize;
    let within = |part: &[u8]| {
        let at = part.as_ptr() as usize;
        at >= base && at + part.len() <= base + x.len()
    };

    // CRLFs before the request line are keep-alives (RFC 3261 section 7.5); the head
    // runs from the request line to the first empty line, every line ending in CRLF.
    let mut start = 0;
    while x[start..].starts_with(b"\r\n") {
        start += 2;
    }
    let Some(blank) = find(&x[start..], b"\r\n\r\n").map(|n| start + n) else {
        return Err(TestCaseError::fail(format!(
            "parsed, but no empty line in {}",
            show(x)
        )));
    };
    let body_start = blank + 4;
    let head = &x[start..blank + 2];
    let mut lines = head.split(|&b| b == b'\n');
    let request_line = lines.next().unwrap_or_default();
    let header_lines = lines
        .filter(|l| !l.is_empty() && !matches!(l[0], b' ' | b'\t'))
        .count();

    let rest = x.len() - body_start;
    let body = request.body();
    prop_assert!(
        within(body),
        "body is not a slice of the input: {}",
        show(x)
    );
    prop_assert_eq!(
        body.as_ptr() as usize,
        base + body_start,
        "body does not start after the empty line"
    );
    prop_assert_eq!(
        body.len(),
        request.content_length().unwrap_or(rest),
        "in {}",
        show(x)
    );
    prop_assert!(body.len() <= rest);
    prop_assert_eq!(&request.body_bytes()[..], body);
    prop_assert_eq!(&request.as_bytes()[..], &x[start..body_start + body.len()]);

    let shared = request.share(body);
    prop_assert_eq!(shared.as_deref(), Some(body), "share(body) in {}", show(x));
    prop_assert_eq!(
        shared.map(|b| b.as_ptr() as usize),
        Some(body.as_ptr() as usize)
    );
    prop_assert_eq!(request.share(b"not in the request"), None);

    let uri = request.request_uri();
    prop_assert!(within(uri) && !uri.is_empty(), "request_uri in {}", show(x));
    let method = request.method();
    let method_prefix = format!("{} ", method.as_str());
    prop_assert!(
        request_line.starts_with(method_prefix.as_bytes()),
        "method {}",
        method_prefix
    );

    let mut count = 0;
    for header in request.headers() {
        count += 1;
        let value = header.value();
        prop_assert!(
            within(value),
            "value of {} is not a slice of the input",
            header.name()
        );
        prop_assert!(
            within(header.name().as_bytes()),
            "name {} is not a slice",
            header.name()
        );
        let lws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
        prop_assert!(
            !lws(value.first()) && !lws(value.last()),
            "untrimmed value {}",
            show(value)
        );
        let shared = request.share(value);
        prop_assert_eq!(shared.as_deref(), Some(value));
        prop_assert!(
            request.header(header.name()).is_some(),
            "header({}) finds nothing",
            header.name()
        );
    }
    prop_assert_eq!(count, header_lines, "headers().count() in {}", show(x));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Property 1: arbitrary input
// ---------------------------------------------------------------------------------------

/// The separators and specials of SIP's grammar, and the bytes that break text.
const SPECIALS: &[u8] = b"\r\n \t:;,\"\\<>%=!*/@.+-_\0\xff";
const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Maps a random byte onto SIP's alphabet: 3/8 specials, 3/8 alphanumerics, and 1/4
/// spread over all byte values. (A mapped `u8` generates far faster than a union of
/// strategies, which matters for kilobyte inputs in debug builds.)
fn sipish(b: u8) -> u8 {
    match b {
        0..=95 => SPECIALS[usize::from(b) % SPECIALS.len()],
        96..=191 => ALNUM[usize::from(b) % ALNUM.len()],
        _ => b.wrapping_mul(0x9d),
    }
}

fn sipish_byte() -> impl Strategy<Value = u8> {
    any::<u8>().prop_map(sipish)
}

/// Up to 2 KiB of SIP's alphabet, after a valid request line three times out of four.
fn sipish_bytes() -> impl Strategy<Value = Wire> {
    let start = select(vec![
        &b""[..],
        b"MESSAGE sip:bob@example.net SIP/2.0\r\n",
        b"INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n",
        b"INVITE sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
          From: <sip:a@b>;tag=1\r\nTo: <sip:bob@example.net>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n",
    ]);
    (start, vec(any::<u8>(), 0..2048)).prop_map(|(start, tail)| {
        Wire(
            start
                .iter()
                .copied()
                .chain(tail.into_iter().map(sipish))
                .collect(),
        )
    })
}

/// Pieces of SIP requests, so that concatenations reach past the request line.
const FRAGMENTS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n ",
    b"\r\n\t",
    b"\r\n\r\n",
    b" ",
    b":",
    b";",
    b",",
    b"=",
    b"\"",
    b"\\",
    b"<",
    b">",
    b"%3A",
    b"%3a",
    b"%",
    b"!",
    b"*",
    b"\0",
    b"\xff",
    b"INVITE sip:bob@example.net SIP/2.0\r\n",
    b"MESSAGE sip:bob@example.net SIP/2.0\r\n",
    b"SIP/2.0 200 OK\r\n",
    b"INVITE",
    b"MESSAGE",
    b"sip:b@x",
    b"SIP/2.0",
    b"Via: SIP/2.0/UDP h.example.net;branch=z9hG4bK1\r\n",
    b"v: SIP/2.0/TCP [2001:db8::1]:5060",
    b"From: <sip:a@example.net>;tag=1\r\n",
    b"f: a",
    b"To: <sip:b@example.net>\r\n",
    b"t: b",
    b"Call-ID: c1\r\n",
    b"i: x",
    b"CSeq: 1 INVITE\r\n",
    b"CSeq: 1 MESSAGE\r\n",
    b"CSeq: 4294967296 INVITE",
    b"Content-Length: 0\r\n",
    b"l: 5\r\n",
    b"Content-Length: 18446744073709551616",
    b"Accept-Contact: ",
    b"a: ",
    b"*;+g.3gpp.icsi-ref=",
    b"+g.3gpp.icsi-ref",
    b"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.",
    b"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.",
    b"msg",
    b"session",
    b"deferred",
    b"largemsg",
    b"filetransfer",
    b";require;explicit",
    b"Contact: ",
    b"m: ",
    b"<sip:conf@example.net>",
    b";isfocus",
    b"\"Bob\" ",
    b"a=file-selector:name:\"x\"",
];

fn fragments() -> impl Strategy<Value = Wire> {
    vec(select(FRAGMENTS), 0..64).prop_map(|parts| Wire(parts.concat()))
}

/// A valid request line, then header-like lines whose names and values are soup: this
/// reaches the header checks and the Via, Accept-Contact and Contact readers.
fn head_soup() -> impl Strategy<Value = Wire> {
    let request_line = select(vec![
        &b"INVITE sip:bob@example.net SIP/2.0\r\n"[..],
        b"MESSAGE sip:bob@example.net SIP/2.0\r\n",
        b"OPTIONS sip:bob@example.net SIP/2.0\r\n",
    ]);
    let name = select(vec![
        "Via",
        "v",
        "From",
        "f",
        "To",
        "t",
        "Call-ID",
        "i",
        "CSeq",
        "Content-Length",
        "l",
        "Accept-Contact",
        "a",
        "Contact",
        "m",
        "Subject",
        "X-Soup",
    ]);
    let value = prop_oneof![
        vec(select(FRAGMENTS), 0..12).prop_map(|parts| parts.concat()),
        vec(sipish_byte(), 0..48),
    ];
    let line = prop_oneof![
        1 => select(FRAGMENTS).prop_map(<[u8]>::to_vec),
        6 => (name, select(vec![":", " :", ": ", ":\r\n "]), value).prop_map(|(name, colon, value)| {
            [name.as_bytes(), colon.as_bytes(), &value, b"\r\n"].concat()
        }),
    ];
    let ending = select(vec![&b"\r\n"[..], b"\r\n", b"", b"\r\n\r\n"]);
    (
        request_line,
        vec(line, 0..16),
        ending,
        vec(sipish_byte(), 0..32),
    )
        .prop_map(|(request_line, lines, ending, body)| {
            Wire([request_line, &lines.concat(), ending, &body].concat())
        })
}

/// Bytes that may stand inside a quoted parameter value.
const QUOTED: &[&str] = &[
    "a",
    "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
    ",",
    ";",
    "=",
    "!",
    "<",
    ">",
    "%3",
    " ",
    "\r\n ",
    "\\\"",
    "\\\\",
    "\\",
    "\0",
    "\u{e9}",
];

/// One parameter: `;name`, `;name=bare` or `;name="..."`, with white space around.
fn param_soup() -> impl Strategy<Value = String> {
    let name = select(vec![
        "+g.3gpp.icsi-ref",
        "+G.3GPP.ICSI-REF",
        "isfocus",
        "require",
        "explicit",
        "branch",
        "x",
        "",
        "a b",
    ]);
    let value = prop_oneof![
        Just(String::new()),
        select(vec![
            "=x",
            "=urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg",
            "=",
            "=<x>",
            "=#1"
        ])
        .prop_map(str::to_owned),
        vec(select(QUOTED), 0..10).prop_map(|parts| format!("=\"{}\"", parts.concat())),
    ];
    (select(LWS), select(LWS), name, select(LWS), value)
        .prop_map(|(a, b, name, c, value)| format!("{a};{b}{name}{c}{value}"))
}

/// A list of one to three header values built from targets and parameters.
fn value_soup() -> impl Strategy<Value = String> {
    let target = select(vec![
        "*",
        "<sip:a@example.net>",
        "\"Bob \\\"B\\\"\" <sip:b@example.net;lr>",
        "Bob Smith <sip:b@example.net>",
        "sip:c@example.net",
        "SIP/2.0/UDP h.example.net:5060",
        "SIP / 2.0 / TCP [2001:db8::1]",
        "<sip:a@b",
        "",
    ]);
    let one = (target, vec(param_soup(), 0..5)).prop_map(|(t, ps)| format!("{t}{}", ps.concat()));
    (vec((select(LWS), one), 1..4)).prop_map(|values| {
        values
            .into_iter()
            .enumerate()
            .map(|(i, (sp, v))| if i == 0 { v } else { format!(",{sp}{v}") })
            .collect()
    })
}

/// How a soup value is damaged before it is sent.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(Index),
    /// Cut the value just after one of its delimiters (see [`DELIMITERS`]).
    CutAfterDelimiter(Index),
    Insert(Index, &'static [u8]),
}

/// Bytes after which a cut leaves a construct open: a quoted string, an escape, a
/// parameter, a `<...>`, a percent escape.
const DELIMITERS: &[u8] = b"\\\";=,<>%:/!";

/// Offsets just past each delimiter of `x`.
fn cut_points(x: &[u8]) -> Vec<usize> {
    x.iter()
        .enumerate()
        .filter(|(_, b)| DELIMITERS.contains(b))
        .map(|(i, _)| i + 1)
        .collect()
}

fn value_in_request() -> impl Strategy<Value = Wire> {
    let damage = prop_oneof![
        2 => Just(Damage::None),
        1 => any::<Index>().prop_map(Damage::Truncate),
        2 => any::<Index>().prop_map(Damage::CutAfterDelimiter),
        1 => (any::<Index>(), select(FRAGMENTS)).prop_map(|(at, f)| Damage::Insert(at, f)),
    ];
    let name = select(vec!["Accept-Contact", "a", "Contact", "m", "Via", "v"]);
    let method = select(vec!["INVITE", "MESSAGE"]);
    (method, name, value_soup(), damage).prop_map(|(method, name, value, damage)| {
        let mut value = value.into_bytes();
        match damage {
            Damage::None => {}
            Damage::Truncate(at) => value.truncate(at.index(value.len() + 1)),
            Damage::CutAfterDelimiter(at) => {
                let cuts = cut_points(&value);
                if !cuts.is_empty() {
                    value.truncate(cuts[at.index(cuts.len())]);
                }
            }
            Damage::Insert(at, bytes) => {
                let at = at.index(value.len() + 1);
                value.splice(at..at, bytes.iter().copied());
            }
        }
        let head = format!(
            "{method} sip:bob@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h.example.net;branch=z9hG4bK1\r\n\
             From: <sip:a@example.net>;tag=1\r\nTo: <sip:bob@example.net>\r\nCall-ID: c1\r\n\
             CSeq: 1 {method}\r\n{name}: "
        );
        Wire([head.as_bytes(), &value, b"\r\nContent-Length: 2\r\n\r\nhi"].concat())
    })
}

// Case counts: the whole file runs in a few seconds in a debug build on 2 cores.
const ARBITRARY_CASES: u32 = 1024;
const SOUP_CASES: u32 = 2048;
const VALUE_CASES: u32 = 4096;
const MUTATION_CASES: u32 = 8192;
const LIMITS_CASES: u32 = 1024;
const GENERATED_CASES: u32 = 2048;

proptest! {
    #![proptest_config(config(ARBITRARY_CASES))]

    /// Arbitrary bytes, up to 4 KiB.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..4096)) {
        check(&bytes)?;
    }

    /// Bytes from SIP's alphabet, up to 2 KiB.
    #[test]
    fn sipish_bytes_never_panic(input in sipish_bytes()) {
        check(&input.0)?;
    }

}

proptest! {
    #![proptest_config(config(SOUP_CASES))]

    /// Concatenated SIP fragments.
    #[test]
    fn sip_fragments_never_panic(input in fragments()) {
        check(&input.0)?;
    }

    /// A request line and header lines of soup.
    #[test]
    fn header_soup_never_panics(input in head_soup()) {
        check(&input.0)?;
    }
}

proptest! {
    #![proptest_config(config(VALUE_CASES))]

    /// A valid request with one Accept-Contact, Contact or Via header whose value is
    /// built from the pieces of their grammar, then possibly cut or patched.
    #[test]
    fn header_values_never_panic(input in value_in_request()) {
        check(&input.0)?;
    }
}

// ---------------------------------------------------------------------------------------
// Property 2: mutated corpus messages
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: Index,
        bit: u8,
    },
    Replace {
        at: Index,
        byte: u8,
    },
    Insert {
        at: Index,
        bytes: Wire,
    },
    Delete {
        at: Index,
        len: usize,
    },
    Truncate {
        at: Index,
    },
    /// Deletes the rest of a head line from just after one of its delimiters.
    CutLineAfterDelimiter {
        at: Index,
    },
    DuplicateHeaderLine {
        which: Index,
        to: Index,
    },
    Splice {
        other: Index,
        cut: Index,
        other_cut: Index,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserted = prop_oneof![
        vec(sipish_byte(), 1..16).prop_map(Wire),
        select(FRAGMENTS).prop_map(|f| Wire(f.to_vec())),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<Index>(), sipish_byte()).prop_map(|(at, byte)| Mutation::Replace { at, byte }),
        (any::<Index>(), inserted).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<Index>(), 1usize..200).prop_map(|(at, len)| Mutation::Delete { at, len }),
        any::<Index>().prop_map(|at| Mutation::Truncate { at }),
        any::<Index>().prop_map(|at| Mutation::CutLineAfterDelimiter { at }),
        (any::<Index>(), any::<Index>())
            .prop_map(|(which, to)| Mutation::DuplicateHeaderLine { which, to }),
        (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(other, cut, other_cut)| {
            Mutation::Splice {
                other,
                cut,
                other_cut,
            }
        }),
    ]
}

/// Spans (CRLF included) of the physical lines between the first line and the first
/// empty line.
fn header_line_spans(x: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let Some(first) = find(x, b"\r\n") else {
        return spans;
    };
    let mut at = first + 2;
    while let Some(n) = find(&x[at..], b"\r\n") {
        if n == 0 {
            break;
        }
        spans.push((at, at + n + 2));
        at += n + 2;
    }
    spans
}

fn apply(x: &mut Vec<u8>, mutation: &Mutation) {
    let len = x.len();
    match mutation {
        Mutation::Flip { at, bit } if len > 0 => x[at.index(len)] ^= 1 << bit,
        Mutation::Replace { at, byte } if len > 0 => x[at.index(len)] = *byte,
        Mutation::Insert { at, bytes } => {
            let at = at.index(len + 1);
            x.splice(at..at, bytes.0.iter().copied());
        }
        Mutation::Delete { at, len: n } if len > 0 => {
            let start = at.index(len);
            x.drain(start..(start + n).min(len));
        }
        Mutation::Truncate { at } => x.truncate(at.index(len + 1)),
        Mutation::CutLineAfterDelimiter { at } => {
            let head = find(x, b"\r\n\r\n").unwrap_or(len);
            let cuts = cut_points(&x[..head]);
            if cuts.is_empty() {
                return;
            }
            let cut = cuts[at.index(cuts.len())];
            let end = find(&x[cut..], b"\r\n").map_or(len, |n| cut + n);
            x.drain(cut..end);
        }
        Mutation::DuplicateHeaderLine { which, to } => {
            let spans = header_line_spans(x);
            if spans.is_empty() {
                return;
            }
            let (start, end) = spans[which.index(spans.len())];
            let line = x[start..end].to_vec();
            let boundaries: Vec<usize> = spans
                .iter()
                .map(|s| s.0)
                .chain([spans[spans.len() - 1].1])
                .collect();
            let to = boundaries[to.index(boundaries.len())];
            x.splice(to..to, line);
        }
        Mutation::Splice {
            other,
            cut,
            other_cut,
        } => {
            let messages = corpus();
            let other = &messages[other.index(messages.len())];
            x.truncate(cut.index(len + 1));
            x.extend_from_slice(&other[other_cut.index(other.len() + 1)..]);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(MUTATION_CASES))]

    /// One to four mutations of one corpus message.
    #[test]
    fn mutated_corpus_messages_agree(message in any::<Index>(), mutations in vec(mutation(), 1..5)) {
        let messages = corpus();
        let mut x = messages[message.index(messages.len())].clone();
        for m in &mutations {
            apply(&mut x, m);
        }
        check(&x)?;
    }

}

proptest! {
    #![proptest_config(config(LIMITS_CASES))]

    /// Up to one mutation of one corpus message, routed under tight random limits: the
    /// two entry points still agree.
    #[test]
    fn limits_apply_alike(
        message in any::<Index>(),
        mutations in vec(mutation(), 0..2),
        limits in (64usize..4096, 1usize..40, 8usize..512, 1usize..6, 1usize..8),
    ) {
        let messages = corpus();
        let mut x = messages[message.index(messages.len())].clone();
        for m in &mutations {
            apply(&mut x, m);
        }
        let limits = Limits::DEFAULT.with_max_message_size(limits.0).with_max_headers(limits.1).with_max_header_size(limits.2).with_max_accept_contact_values(limits.3).with_max_params(limits.4);
        let routed = Routing::read(&x, &limits);
        let parsed = RoutedRequest::parse_with(Bytes::from(x.clone()), &limits);
        match (&routed, &parsed) {
            (Ok(r), Ok(p)) => prop_assert_eq!(r, &p.routing(), "on {}", show(&x)),
            (Err(a), Err(b)) => {
                prop_assert_eq!(a, b, "on {}", show(&x));
                check_error(&x, a)?;
            }
            _ => prop_assert!(false, "routing {:?} vs parse ok={} on {}", routed, parsed.is_ok(), show(&x)),
        }
    }
}

/// Every corpus message, unmutated, passes the check too (errors included).
#[test]
fn corpus_messages_pass_the_check() {
    for (i, message) in corpus().iter().enumerate() {
        if let Err(e) = check(message) {
            panic!("corpus message {i}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property 3: generated valid requests
// ---------------------------------------------------------------------------------------

/// How the `:` of a URN is written.
#[derive(Debug, Clone, Copy)]
enum Colon {
    Upper,
    Lower,
    Literal,
}

impl Colon {
    fn text(self) -> &'static str {
        match self {
            Colon::Upper => "%3A",
            Colon::Lower => "%3a",
            Colon::Literal => ":",
        }
    }
}

/// One tag-value of a `+g.3gpp.icsi-ref` list.
#[derive(Debug, Clone)]
enum Item {
    /// A CPM tag: counts.
    Tag {
        tag: FeatureTag,
        colon: Colon,
        upper: bool,
        angle: bool,
    },
    /// `!` and a CPM tag: a negation names nothing.
    Negated { tag: FeatureTag, colon: Colon },
    /// Some other ICSI, or a near miss of a CPM one: names nothing.
    Other(&'static str),
}

const OTHER_ICSI: &[&str] = &[
    "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session.group",
    "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.systemmsg",
    "urn%3Aurn-7%3A3gpp-service.ims-icsi.oma.cpm.deferred",
    "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msgx",
    "urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel",
    "urn%3Aurn-7%3A3gpp-application.ims.iari.rcse.im",
];

fn feature_tag() -> impl Strategy<Value = FeatureTag> {
    select(FeatureTag::ALL.to_vec())
}

fn colon() -> impl Strategy<Value = Colon> {
    prop_oneof![Just(Colon::Upper), Just(Colon::Lower), Just(Colon::Literal)]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => (feature_tag(), colon(), any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(tag, colon, upper, angle)| Item::Tag { tag, colon, upper, angle }),
        1 => (feature_tag(), colon()).prop_map(|(tag, colon)| Item::Negated { tag, colon }),
        1 => select(OTHER_ICSI).prop_map(Item::Other),
    ]
}

impl Item {
    fn render(&self) -> String {
        match self {
            Item::Tag {
                tag,
                colon,
                upper,
                angle,
            } => {
                let urn = if *upper {
                    tag.urn().to_ascii_uppercase()
                } else {
                    tag.urn().to_owned()
                };
                let urn = urn.replace(':', colon.text());
                if *angle {
                    format!("<{urn}>")
                } else {
                    urn
                }
            }
            Item::Negated { tag, colon } => format!("!{}", tag.urn().replace(':', colon.text())),
            Item::Other(urn) => (*urn).to_owned(),
        }
    }

    fn tag(&self) -> Option<FeatureTag> {
        match self {
            Item::Tag { tag, .. } => Some(*tag),
            _ => None,
        }
    }

    /// Whether the value can be written unquoted (no `<`, which ends a bare value).
    fn can_be_bare(&self) -> bool {
        !matches!(self, Item::Tag { angle: true, .. })
    }
}

/// How the Accept-Contact values are laid out.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// One ac-value whose `+g.3gpp.icsi-ref` lists every tag-value.
    QuotedList,
    /// One header, one ac-value per tag-value, joined by commas.
    SeveralValues,
    /// One Accept-Contact header per tag-value.
    SeveralHeaders,
}

/// Where `;require;explicit` goes in an ac-value.
#[derive(Debug, Clone, Copy)]
enum Require {
    No,
    Before,
    After,
    Both,
}

/// The style of one ac-value.
#[derive(Debug, Clone)]
struct AcStyle {
    target: &'static str,
    require: Require,
    /// Write a single tag-value without quotes.
    bare: bool,
    /// Case of `+g.3gpp.icsi-ref`: bit i upper-cases letter i.
    param_case: u16,
}

fn ac_style() -> impl Strategy<Value = AcStyle> {
    (
        select(
            &[
                "*",
                "*",
                "<sip:+15550100002@ims.example.net>",
                "\"Bob\" <sip:bob@example.net;transport=tcp>",
            ][..],
        ),
        prop_oneof![
            Just(Require::No),
            Just(Require::Before),
            Just(Require::After),
            Just(Require::Both)
        ],
        any::<bool>(),
        prop_oneof![Just(0u16), any::<u16>()],
    )
        .prop_map(|(target, require, bare, param_case)| AcStyle {
            target,
            require,
            bare,
            param_case,
        })
}

/// How one header name is written.
#[derive(Debug, Clone)]
struct NameStyle {
    /// `None`: compact `a` / `A`; `Some(mask)`: `Accept-Contact`, letter i upper when bit i is set.
    long: Option<u16>,
    compact_upper: bool,
    before_colon: &'static str,
}

fn name_style() -> impl Strategy<Value = NameStyle> {
    (
        prop_oneof![
            Just(None),
            Just(Some(0b0000_0100_0000_0001)),
            any::<u16>().prop_map(Some)
        ],
        any::<bool>(),
        select(&["", "", " ", "\t", " \t"][..]),
    )
        .prop_map(|(long, compact_upper, before_colon)| NameStyle {
            long,
            compact_upper,
            before_colon,
        })
}

fn with_case(text: &str, mask: u16) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 16) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

impl NameStyle {
    fn render(&self) -> String {
        let name = match self.long {
            Some(mask) => with_case("Accept-Contact", mask),
            None if self.compact_upper => "A".to_owned(),
            None => "a".to_owned(),
        };
        format!("{name}{}:", self.before_colon)
    }
}

/// Linear white space that may stand where the grammar allows LWS.
const LWS: &[&str] = &["", "", "", " ", "\r\n ", "\r\n\t", " \r\n  ", "\t"];

/// A pool of white space choices, consumed one by one ("" once exhausted).
struct Spaces<'a>(std::slice::Iter<'a, &'static str>);

impl Spaces<'_> {
    fn next(&mut self) -> &'static str {
        self.0.next().copied().unwrap_or("")
    }
}

/// Contact of the generated request.
#[derive(Debug, Clone, Copy)]
enum ContactKind {
    None,
    Plain,
    /// `<sip:...>;isfocus`: a focus.
    Focus,
    /// `sip:...;isfocus` without brackets: the parameter is the header's, a focus.
    FocusBare,
    /// `<sip:...>;ISFOCUS=""`: a focus.
    FocusValued,
    /// `<sip:...;isfocus>`: a URI parameter, not a focus.
    FocusInUri,
}

impl ContactKind {
    fn header(self) -> Option<&'static str> {
        match self {
            ContactKind::None => None,
            ContactKind::Plain => Some("Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+sip.instance=\"<urn:uuid:1>\""),
            ContactKind::Focus => Some("Contact: <sip:conf-7@conf.example.net;transport=tcp>;isfocus;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""),
            ContactKind::FocusBare => Some("m: sip:conf-7@conf.example.net;isfocus"),
            ContactKind::FocusValued => Some("Contact: \"Group\" <sip:conf-7@conf.example.net>;ISFOCUS=\"\""),
            ContactKind::FocusInUri => Some("Contact: <sip:conf-7@conf.example.net;isfocus>"),
        }
    }

    /// Whether Contact carries `isfocus` as a header parameter.
    fn is_focus(self) -> bool {
        matches!(
            self,
            ContactKind::Focus | ContactKind::FocusBare | ContactKind::FocusValued
        )
    }
}

fn contact_kind() -> impl Strategy<Value = ContactKind> {
    prop_oneof![
        Just(ContactKind::None),
        Just(ContactKind::Plain),
        Just(ContactKind::Focus),
        Just(ContactKind::FocusBare),
        Just(ContactKind::FocusValued),
        Just(ContactKind::FocusInUri),
    ]
}

/// Body of the generated request.
#[derive(Debug, Clone, Copy)]
enum BodyKind {
    None,
    /// A CPIM message whose payload holds CRLFCRLF, NUL and a non-UTF-8 byte.
    Cpim,
    /// An MSRP SDP offer; with an `a=file-selector` line when `file`; `decoy` adds a line
    /// that mentions `a=file-selector` without starting with it.
    Sdp {
        file: bool,
        decoy: bool,
    },
    /// The same SDP inside a multipart/mixed body.
    Multipart {
        file: bool,
    },
}

fn body_kind() -> impl Strategy<Value = BodyKind> {
    prop_oneof![
        Just(BodyKind::None),
        Just(BodyKind::Cpim),
        (any::<bool>(), any::<bool>()).prop_map(|(file, decoy)| BodyKind::Sdp { file, decoy }),
        any::<bool>().prop_map(|file| BodyKind::Multipart { file }),
    ]
}

fn sdp(file: bool, decoy: bool) -> String {
    let mut s = String::from(
        "v=0\r\no=- 3829371 3829371 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
         m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n",
    );
    if decoy {
        s.push_str("a=label:see a=file-selector\r\n");
    }
    if file {
        s.push_str("a=file-selector:name:\"photo.jpg\" type:image/jpeg size:20480\r\na=file-transfer-id:fx1\r\n");
    }
    s.push_str("a=path:msrp://192.0.2.10:9/s1;tcp\r\na=sendonly\r\n");
    s
}

impl BodyKind {
    fn render(self) -> Option<(&'static str, Vec<u8>)> {
        match self {
            BodyKind::None => None,
            BodyKind::Cpim => Some((
                "message/cpim",
                b"From: <sip:anonymous@anonymous.invalid>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\r\n\
                  Content-Type: text/plain;charset=UTF-8\r\n\r\nHello\r\n\r\nCSeq: 1 BYE\0\xff"
                    .to_vec(),
            )),
            BodyKind::Sdp { file, decoy } => Some(("application/sdp", sdp(file, decoy).into_bytes())),
            BodyKind::Multipart { file } => Some((
                "multipart/mixed;boundary=\"b1\"",
                format!(
                    "--b1\r\nContent-Type: application/sdp\r\n\r\n{}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n",
                    sdp(file, false)
                )
                .into_bytes(),
            )),
        }
    }

    /// Whether the SDP has a line starting `a=file-selector`.
    fn offers_file(self) -> bool {
        matches!(
            self,
            BodyKind::Sdp { file: true, .. } | BodyKind::Multipart { file: true }
        )
    }
}

/// Every random choice of one generated request.
#[derive(Debug, Clone)]
struct Spec {
    method: &'static str,
    items: Vec<Item>,
    layout: Layout,
    ac_styles: Vec<AcStyle>,
    names: Vec<NameStyle>,
    spaces: Vec<&'static str>,
    /// A decoy ac-value with an IARI preference and no CPM tag.
    iari: bool,
    /// Without any tag-value: whether an Accept-Contact with no CPM tag is sent anyway.
    empty_accept_contact: bool,
    contact: ContactKind,
    body: BodyKind,
    /// Compact names for Via/From/To/Call-ID/Content-Length.
    compact: bool,
    /// Decoy headers: P-Asserted-Service, Reject-Contact, User-Agent, Conversation-ID.
    extras: [bool; 4],
    /// Sort keys that shuffle the header lines.
    order: Vec<u16>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let method = prop_oneof![
        4 => Just("MESSAGE"),
        5 => Just("INVITE"),
        1 => select(&["OPTIONS", "INFO", "UPDATE", "invite", "Message"][..]),
    ];
    let layout = prop_oneof![
        Just(Layout::QuotedList),
        Just(Layout::SeveralValues),
        Just(Layout::SeveralHeaders)
    ];
    (
        (method, vec(item(), 0..8), layout),
        (
            vec(ac_style(), 1..4),
            vec(name_style(), 1..4),
            vec(select(LWS), 0..48),
        ),
        (any::<bool>(), any::<bool>(), contact_kind(), body_kind()),
        (any::<bool>(), any::<[bool; 4]>(), vec(any::<u16>(), 24)),
    )
        .prop_map(
            |(
                (method, items, layout),
                (ac_styles, names, spaces),
                (iari, empty_accept_contact, contact, body),
                (compact, extras, order),
            )| Spec {
                method,
                items,
                layout,
                ac_styles,
                names,
                spaces,
                iari,
                empty_accept_contact,
                contact,
                body,
                compact,
                extras,
                order,
            },
        )
}

/// A generated request and what it must give.
struct Generated {
    wire: Vec<u8>,
    body: Vec<u8>,
    tags: TagSet,
    from_focus: bool,
    route: Route,
    ac_values: usize,
}

/// One ac-value: target, parameters (LWS around `;` and `=`), tag-values (LWS around
/// their commas).
fn ac_value(items: &[Item], style: &AcStyle, sp: &mut Spaces<'_>) -> String {
    let mut out = style.target.to_owned();
    if matches!(style.require, Require::Before | Require::Both) {
        param(&mut out, "require", sp);
        param(&mut out, "explicit", sp);
    }
    let name = with_case("+g.3gpp.icsi-ref", style.param_case);
    let value = match items {
        [one] if style.bare && one.can_be_bare() => one.render(),
        _ => {
            let mut list = String::from("\"");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    list.push_str(sp.next());
                    list.push(',');
                    list.push_str(sp.next());
                }
                list.push_str(&item.render());
            }
            list.push('"');
            list
        }
    };
    let (before_eq, after_eq) = (sp.next(), sp.next());
    param(
        &mut out,
        &format!("{name}{before_eq}={after_eq}{value}"),
        sp,
    );
    if matches!(style.require, Require::After | Require::Both) {
        param(&mut out, "explicit", sp);
        param(&mut out, "require", sp);
    }
    out
}

/// Appends `;text`, with white space around the `;`.
fn param(out: &mut String, text: &str, sp: &mut Spaces<'_>) {
    out.push_str(sp.next());
    out.push(';');
    out.push_str(sp.next());
    out.push_str(text);
}

/// The decision table of `src/route.rs`, re-derived from its doc comment (the
/// precedence list) and from the decision table it implements (`docs/decisions.md`):
///
/// - MESSAGE: `pager` when it names `msg` or `deferred`, whatever else; else `not-cpm`.
/// - INVITE, in order: (1) `deferred` wins: `deferred-group-session` from a focus,
///   `large-message` otherwise; (2) `filetransfer` routes `file-transfer` when neither
///   `session` nor `largemsg` competes with it, or when the SDP offers a file; (3)
///   `largemsg`; (4) `session`; (5) `msg` (alone or not) is no INVITE trigger.
/// - Every other method (extension methods such as `invite` included): `not-cpm`.
fn expected_route(method: &str, tags: TagSet, from_focus: bool, offers_file: bool) -> Route {
    use FeatureTag::{Deferred, FileTransfer, LargeMsg, Msg, Session};
    match method {
        "MESSAGE" if tags.contains(Msg) || tags.contains(Deferred) => Route::Pager,
        "INVITE" => {
            if tags.contains(Deferred) {
                return if from_focus {
                    Route::DeferredGroupSession
                } else {
                    Route::LargeMessage
                };
            }
            let competing = tags.contains(Session) || tags.contains(LargeMsg);
            if tags.contains(FileTransfer) && (!competing || offers_file) {
                Route::FileTransfer
            } else if tags.contains(LargeMsg) {
                Route::LargeMessage
            } else if tags.contains(Session) {
                Route::Session
            } else {
                Route::NotCpm
            }
        }
        _ => Route::NotCpm,
    }
}

fn build(spec: &Spec) -> Generated {
    let mut sp = Spaces(spec.spaces.iter());
    let mut styles = spec.ac_styles.iter().cycle();
    let mut names = spec.names.iter().cycle();

    // The ac-values, each a list of tag-values.
    let mut groups: Vec<String> = Vec::new();
    match spec.layout {
        Layout::QuotedList if !spec.items.is_empty() => {
            groups.push(ac_value(
                &spec.items,
                styles.next().expect("cycle"),
                &mut sp,
            ));
        }
        _ => {
            for item in &spec.items {
                groups.push(ac_value(
                    std::slice::from_ref(item),
                    styles.next().expect("cycle"),
                    &mut sp,
                ));
            }
        }
    }
    if spec.iari || (spec.items.is_empty() && spec.empty_accept_contact) {
        let mut v = String::from("*");
        for p in [
            "+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\"",
            "require",
            "explicit",
        ] {
            param(&mut v, p, &mut sp);
        }
        groups.push(v);
    }
    let ac_values = groups.len();

    let mut headers: Vec<String> = Vec::new();
    let mut accept_contact = |value: &str, sp: &mut Spaces<'_>| {
        let name = names.next().expect("cycle").render();
        format!("{name}{}{value}", sp.next())
    };
    match spec.layout {
        Layout::SeveralHeaders => {
            for g in &groups {
                headers.push(accept_contact(g, &mut sp));
            }
        }
        _ if !groups.is_empty() => {
            let mut joined = String::new();
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    joined.push_str(sp.next());
                    joined.push(',');
                    joined.push_str(sp.next());
                }
                joined.push_str(g);
            }
            headers.push(accept_contact(&joined, &mut sp));
        }
        _ => {}
    }

    let method = spec.method;
    let c = spec.compact;
    let name = |long: &'static str, short: &'static str| if c { short } else { long };
    headers.push(format!(
        "{}: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-gen1",
        name("Via", "v")
    ));
    headers.push("Max-Forwards: 70".to_owned());
    headers.push(format!(
        "{}: <sip:+15550100001@ims.example.net>;tag=a73kd9",
        name("From", "f")
    ));
    headers.push(format!(
        "{}: <sip:+15550100002@ims.example.net>",
        name("To", "t")
    ));
    headers.push(format!("{}: 9b0c1e2d-gen@192.0.2.10", name("Call-ID", "i")));
    headers.push(format!("CSeq: 17 {method}"));
    if let Some(contact) = spec.contact.header() {
        headers.push(contact.to_owned());
    }
    let decoys = [
        "P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session",
        "Reject-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
        "User-Agent: CPM-client/OMA2.2 RCS-client/UP_2.4",
        "Conversation-ID: 19c503e7-ade3-49b8-a06b-82aadb2af382",
    ];
    for (on, decoy) in spec.extras.iter().zip(decoys) {
        if *on {
            headers.push(decoy.to_owned());
        }
    }
    let body = match spec.body.render() {
        Some((content_type, body)) => {
            headers.push(format!("Content-Type: {content_type}"));
            body
        }
        None => Vec::new(),
    };
    headers.push(format!("{}: {}", name("Content-Length", "l"), body.len()));

    let mut keyed: Vec<(u16, String)> = spec.order.iter().copied().cycle().zip(headers).collect();
    keyed.sort_by_key(|(key, _)| *key);

    let mut wire = format!("{method} sip:+15550100002@ims.example.net SIP/2.0\r\n").into_bytes();
    for (_, header) in &keyed {
        wire.extend_from_slice(header.as_bytes());
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    wire.extend_from_slice(&body);

    let tags: TagSet = spec.items.iter().filter_map(Item::tag).collect();
    let from_focus = method == "INVITE" && spec.contact.is_focus();
    Generated {
        wire,
        body,
        tags,
        from_focus,
        route: expected_route(method, tags, from_focus, spec.body.offers_file()),
        ac_values,
    }
}

proptest! {
    #![proptest_config(config(GENERATED_CASES))]

    #[test]
    fn generated_requests_route_as_documented(spec in spec()) {
        let g = build(&spec);
        let x = &g.wire[..];
        let r = Routing::read(x, &Limits::DEFAULT);
        prop_assert!(r.is_ok(), "a valid request refused: {:?}\n{}", r, show(x));
        let r = r.expect("checked");
        prop_assert_eq!(r.tags, g.tags, "tags of {}", show(x));
        prop_assert_eq!(r.from_focus, g.from_focus, "focus of {}", show(x));
        prop_assert_eq!(r.route, g.route, "route of {} (tags {})", show(x), g.tags);
        prop_assert_eq!(route(x), Ok(g.route));

        let request = RoutedRequest::parse(Bytes::from(g.wire.clone()));
        prop_assert!(request.is_ok(), "{:?}", request.err());
        let request = request.expect("checked");
        prop_assert_eq!(request.body(), &g.body[..]);
        prop_assert_eq!(request.content_length(), Some(g.body.len()));
        prop_assert_eq!(request.cseq(), 17);
        prop_assert_eq!(request.header_values("Accept-Contact").count(), g.ac_values, "in {}", show(x));
        check(x)?;
    }
}

/// The expected-route function itself, on the rows of the decision table.
#[test]
fn expected_route_follows_the_table() {
    use FeatureTag::*;
    let t = |list: &[FeatureTag]| list.iter().copied().collect::<TagSet>();
    assert_eq!(
        expected_route("MESSAGE", t(&[Msg]), false, false),
        Route::Pager
    );
    assert_eq!(
        expected_route("MESSAGE", t(&[Deferred, Session]), false, false),
        Route::Pager
    );
    assert_eq!(
        expected_route(
            "MESSAGE",
            t(&[LargeMsg, Session, FileTransfer]),
            false,
            false
        ),
        Route::NotCpm
    );
    assert_eq!(
        expected_route("INVITE", t(&[FileTransfer]), false, false),
        Route::FileTransfer
    );
    assert_eq!(
        expected_route("INVITE", t(&[FileTransfer, Msg]), false, false),
        Route::FileTransfer
    );
    assert_eq!(
        expected_route("INVITE", t(&[FileTransfer, Session]), false, false),
        Route::Session
    );
    assert_eq!(
        expected_route("INVITE", t(&[FileTransfer, Session]), false, true),
        Route::FileTransfer
    );
    assert_eq!(
        expected_route("INVITE", t(&[FileTransfer, LargeMsg]), false, false),
        Route::LargeMessage
    );
    assert_eq!(
        expected_route("INVITE", t(&[LargeMsg, Session]), false, false),
        Route::LargeMessage
    );
    assert_eq!(
        expected_route("INVITE", t(&[Deferred, FileTransfer]), false, true),
        Route::LargeMessage
    );
    assert_eq!(
        expected_route("INVITE", t(&[Deferred]), true, false),
        Route::DeferredGroupSession
    );
    assert_eq!(
        expected_route("INVITE", t(&[Msg]), false, false),
        Route::NotCpm
    );
    assert_eq!(
        expected_route("invite", t(&[Session]), false, false),
        Route::NotCpm
    );
    assert_eq!(
        expected_route("OPTIONS", t(&[Session]), false, false),
        Route::NotCpm
    );
}
