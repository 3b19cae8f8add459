//! Property tests of the body readers: whatever the input, no reader and no accessor
//! panics, and every slice an accessor returns lies inside the input it was given.
//!
//! 1. Arbitrary bytes into every reader (`arbitrary_bytes_never_panic`), and arbitrary
//!    text into the value readers (`arbitrary_values_never_panic`).
//! 2. The example bodies of the originating procedures and peer variants, mutated by a
//!    few byte edits biased towards the bytes their grammars care about
//!    (`mutated_examples_never_panic`), including the multipart Content-Type value.
//! 3. Multipart bodies assembled from random parts, delimiters and line ends
//!    (`assembled_multiparts_frame_consistently`).
//!
//! The CPIM and SDP checks are the fuzz targets' (`tests/common/fuzz_checks.rs`).
//!
//! Failures are not persisted to disk; proptest prints the input.

#[path = "common/fuzz_checks.rs"]
mod fuzz_checks;

use cpm_client::cpim::is_date_time;
use cpm_client::{
    cpim::DispositionNotification,
    mime::MediaType,
    multipart::Multipart,
    sdp::{Attribute, FileSelector},
};
use proptest::prelude::*;
use proptest::sample::{select, Index};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- slices inside the input -----------------------------------------------------

/// Whether `part` is a sub-slice of `whole` (an empty slice may stand anywhere in it,
/// its end included).
fn inside(whole: &[u8], part: &[u8]) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

macro_rules! assert_inside {
    ($whole:expr, $($part:expr),+ $(,)?) => {
        $( {
            let part: &[u8] = AsRef::<[u8]>::as_ref($part);
            assert!(inside($whole, part), "{} is not a slice of the input", stringify!($part));
        } )+
    };
}

// ---- every accessor of every reader ----------------------------------------------

fn check_media_type(input: &[u8]) {
    let Ok(m) = MediaType::parse(input) else {
        return;
    };
    assert_inside!(input, m.type_(), m.subtype(), m.essence(), m.as_str());
    for (name, value) in m.params() {
        assert_inside!(input, name, value);
    }
    if let Some(b) = m.param("boundary") {
        assert_inside!(input, b);
    }
    let _ = m.is("multipart/mixed") | m.is("text/*") | m.is("nonsense");
    let _ = format!("{m:?} {m}");
}

fn check_multipart(content_type: &[u8], body: &[u8]) {
    let Ok(m) = Multipart::parse(content_type, body) else {
        return;
    };
    assert_inside!(content_type, m.boundary());
    assert_inside!(body, m.preamble());
    let mut count = 0;
    let mut last_offset = 0;
    for part in m.parts() {
        count += 1;
        assert!(part.offset() >= last_offset && part.offset() <= body.len());
        last_offset = part.offset();
        assert_inside!(body, part.body());
        for (name, value) in part.headers() {
            assert_inside!(body, name, value);
        }
        if let Some(v) = part.header("Content-Type") {
            assert_inside!(body, v);
        }
        if let Some(ct) = part.content_type() {
            assert_inside!(body, ct.essence(), ct.as_str());
        }
        let _ = part.content_length();
        let _ = part.is_unterminated();
        // A part's body may hold any of the other bodies.
        fuzz_checks::cpim(part.body());
        fuzz_checks::sdp(part.body());
    }
    assert_eq!(count, m.len());
    assert_eq!(m.is_empty(), count == 0);
    let _ = m.is_complete();
    if let Some(p) = m.find("application/sdp") {
        assert_inside!(body, p.body());
    }
}

/// Every reader on `input`, with `content_type` for the multipart one.
fn check_all(content_type: &[u8], input: &[u8]) {
    check_media_type(input);
    check_media_type(content_type);
    check_multipart(content_type, input);
    fuzz_checks::cpim(input);
    fuzz_checks::sdp(input);
    if let Ok(text) = std::str::from_utf8(input) {
        fuzz_checks::cpim_address(input, text);
        fuzz_checks::check_file_selector(input, FileSelector::parse(text));
        let n = DispositionNotification::new(text);
        let _ = n.iter().count();
        let _ = is_date_time(text);
        fuzz_checks::check_attribute(input, Attribute::parse(text));
    }
}

// ---- example bodies ----------------------------------------------------------------

const GROUP_TYPE: &[u8] = b"multipart/mixed;boundary=b0undary7q";

const EXAMPLES: &[&[u8]] = &[
    // 7.2.1.1 example, CPIM.
    b"From: <sip:+15550100001@ims.example.net>\r\nTo: <sip:+15550100002@ims.example.net>\r\n\
DateTime: 2026-11-24T10:15:00.000Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 7f3c2a10e4\r\nimdn.Disposition-Notification: positive-delivery, display\r\n\
\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 11\r\n\r\nHello, Bob!",
    // CPIM with names, several To, another prefix.
    b"From: \"Alice \\\"A\\\"\" <sip:a@x>\nTo: Bob <sip:b@x>\nTo: <sip:c@x>\ncc: <sip:d@x>\n\
NS: n <urn:ietf:params:imdn>\nn.Message-ID: 1\nn.Disposition-Notification: display\n\
Subject: hi\n\nContent-Type: message/imdn+xml\nContent-Length: 3\n\n<x/>",
    // 7.2.1.2 example, large-message SDP.
    b"v=0\r\no=- 3913722112 3913722112 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n\
t=0 0\r\nm=message 9 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
a=accept-wrapped-types:text/plain\r\na=path:msrp://192.0.2.10:9/a1b2c3d4;tcp\r\n\
a=setup:active\r\na=sendonly\r\na=max-size:2048000\r\n",
    // 7.4.1 example, file-transfer SDP, plus hash, icon, range, TLS.
    b"v=0\r\no=- 3913722300 3913722300 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n\
t=0 0\r\nm=message 9 TCP/TLS/MSRP *\r\nc=IN IP4 192.0.2.11\r\na=accept-types:image/jpeg\r\n\
a=file-selector:name:\"beach%20x.jpg\" type:image/jpeg size:48213 hash:sha-1:72:24:5F\r\n\
a=file-transfer-id:ft-5c1d9e\r\na=file-disposition:render\r\na=file-icon:cid:i@x\r\n\
a=file-range:1-*\r\na=path:msrps://192.0.2.10:9/f4e3d2c1;tcp\r\na=setup:active\r\n\
a=maxsize:9\r\na=sendonly\r\nm=audio 1 RTP/AVP 0\r\n",
    // 7.3.1 example, group multipart.
    b"--b0undary7q\r\nContent-Type: application/sdp\r\nContent-Length: 288\r\n\r\nv=0\r\n\
o=- 3913722200 3913722200 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
m=message 9 TCP/MSRP *\r\na=accept-types:message/cpim application/im-iscomposing+xml\r\n\
a=accept-wrapped-types:text/plain message/imdn+xml\r\na=path:msrp://192.0.2.10:9/s9t8u7v6;tcp\r\n\
a=setup:active\r\na=sendrecv\r\n--b0undary7q\r\nContent-Type: application/resource-lists+xml\r\n\
Content-Disposition: recipient-list\r\nContent-Length: 238\r\n\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\r\n<list>\r\n\
<entry uri=\"sip:+15550100002@ims.example.net\"/>\r\n<entry uri=\"sip:+15550100003@ims.example.net\"/>\r\n\
</list>\r\n</resource-lists>\r\n--b0undary7q--\r\n",
    // Multipart with preamble, a CPIM part, folded headers, LF line ends, no close.
    b"preamble\n--b0undary7q \n\nno headers\n--b0undary7q\nContent-Type: message/cpim;\n x=1\n\n\
From: <sip:a@x>\n\nContent-Type: text/plain\n\nhi\n--b0undary7q\n",
];

/// One byte edit.
#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, u8),
    Delete(Index),
    Replace(Index, u8),
    Truncate(Index),
    /// Copies a span of the input to another place.
    Duplicate(Index, Index, Index),
}

/// Bytes the grammars care about, and any byte.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => select(b"\r\n-:;=\"<> \t%./*\\,v".to_vec()),
        1 => any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<Index>().prop_map(Edit::Delete),
        (any::<Index>(), interesting_byte()).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Edit::Duplicate(a, b, c)),
    ]
}

fn apply(input: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = input.to_vec();
    for e in edits {
        let n = out.len();
        match e {
            Edit::Insert(i, b) => out.insert(i.index(n + 1), *b),
            Edit::Delete(i) if n > 0 => {
                out.remove(i.index(n));
            }
            Edit::Replace(i, b) if n > 0 => out[i.index(n)] = *b,
            Edit::Truncate(i) => out.truncate(i.index(n + 1)),
            Edit::Duplicate(from, len, to) if n > 0 => {
                let start = from.index(n);
                let end = start + len.index(n - start).min(64) + 1;
                let span = out[start..end.min(n)].to_vec();
                let at = to.index(n + 1);
                out.splice(at..at, span);
            }
            _ => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(config(512))]

    /// Arbitrary bytes, up to 1 KiB, as every body and as a Content-Type value.
    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_all(GROUP_TYPE, &input);
        check_all(&input, &input);
    }

    /// Arbitrary text into the value readers.
    #[test]
    fn arbitrary_values_never_panic(text in "\\PC{0,80}|[ <>\"\\\\a-z:.;=/%*-]{0,40}") {
        check_all(text.as_bytes(), text.as_bytes());
    }
}

proptest! {
    #![proptest_config(config(1500))]

    /// One to six edits of one example body, and of the multipart Content-Type.
    #[test]
    fn mutated_examples_never_panic(
        which in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..6),
        type_edits in prop::collection::vec(edit(), 0..2),
    ) {
        let example = EXAMPLES[which.index(EXAMPLES.len())];
        let body = apply(example, &edits);
        let content_type = apply(GROUP_TYPE, &type_edits);
        check_all(&content_type, &body);
        check_all(GROUP_TYPE, &body);
    }
}

/// A line end as peers write them.
fn line_end() -> impl Strategy<Value = &'static str> {
    select(vec!["\r\n", "\n"])
}

proptest! {
    #![proptest_config(config(256))]

    /// Multipart bodies from random parts: the parts come back in order, with their
    /// bodies, whatever the line ends, padding, preamble and epilogue.
    #[test]
    fn assembled_multiparts_frame_consistently(
        preamble in "[a-z \r\n]{0,20}",
        parts in prop::collection::vec(("[a-z]{1,8}", "[a-z0-9 -]{0,30}", line_end()), 0..6),
        padding in "[ \t]{0,3}",
        close in any::<bool>(),
        epilogue in "[a-z\r\n-]{0,20}",
        quoted in any::<bool>(),
    ) {
        let boundary = "xyzzy-42";
        let mut body = preamble.clone();
        if !body.is_empty() {
            body.push_str("\r\n");
        }
        for (subtype, text, eol) in &parts {
            body.push_str(&format!("--{boundary}{padding}{eol}Content-Type: text/{subtype}{eol}{eol}{text}{eol}"));
        }
        if close {
            body.push_str(&format!("--{boundary}--\r\n{epilogue}"));
        }
        let content_type = if quoted {
            format!("multipart/mixed; boundary=\"{boundary}\"")
        } else {
            format!("multipart/mixed;boundary={boundary}")
        };
        let parsed = Multipart::parse(&content_type, body.as_bytes());
        if parts.is_empty() && !close {
            prop_assert!(parsed.is_err());
            return Ok(());
        }
        let m = parsed.unwrap();
        prop_assert_eq!(m.len(), parts.len());
        prop_assert_eq!(m.is_complete(), close);
        for (part, (subtype, text, _)) in m.parts().zip(&parts) {
            let ct = part.content_type().unwrap();
            prop_assert_eq!(ct.subtype(), subtype.as_str());
            if close || !std::ptr::eq(subtype, &parts.last().unwrap().0) {
                prop_assert_eq!(part.body(), text.as_bytes());
            }
        }
        check_multipart(content_type.as_bytes(), body.as_bytes());
    }
}
