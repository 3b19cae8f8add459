//! The body readers on the example bodies of the originating procedures (7.2.1.1,
//! 7.2.1.2, 7.3.1, 7.4.1; with CRLF line ends) and on the variants real peers send:
//! LF-only line ends, quoted and unquoted boundaries, preamble and epilogue, a missing
//! close delimiter, IMDN headers under another prefix, several To, file-selector in any
//! order, `a=maxsize`, `msrps://` with `TCP/TLS/MSRP`, direction defaults.

use cpm_client::{
    cpim::{CpimAddress, CpimMessage, Disposition, IMDN_NS},
    mime::{BodyErrorKind, MediaType},
    multipart::Multipart,
    sdp::{Direction, FileHash, MsrpTransport, Sdp, Setup},
};

/// 7.2.1.1 example: the CPIM body of the pager MESSAGE (314 bytes).
const PAGER_CPIM: &[u8] = b"From: <sip:+15550100001@ims.example.net>\r\n\
To: <sip:+15550100002@ims.example.net>\r\n\
DateTime: 2026-11-24T10:15:00.000Z\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 7f3c2a10e4\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\
\r\n\
Content-Type: text/plain;charset=UTF-8\r\n\
Content-Length: 11\r\n\
\r\n\
Hello, Bob!";

/// 7.2.1.2 example: the SDP offer of a large message (260 bytes).
const LARGE_MESSAGE_SDP: &[u8] = b"v=0\r\n\
o=- 3913722112 3913722112 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=message 9 TCP/MSRP *\r\n\
a=accept-types:message/cpim\r\n\
a=accept-wrapped-types:text/plain\r\n\
a=path:msrp://192.0.2.10:9/a1b2c3d4;tcp\r\n\
a=setup:active\r\n\
a=sendonly\r\n\
a=max-size:2048000\r\n";

/// 7.3.1 example: the multipart body of an ad-hoc group INVITE (730 bytes).
const GROUP_MULTIPART_TYPE: &str = "multipart/mixed;boundary=b0undary7q";
const GROUP_MULTIPART: &[u8] = b"--b0undary7q\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 288\r\n\
\r\n\
v=0\r\n\
o=- 3913722200 3913722200 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=message 9 TCP/MSRP *\r\n\
a=accept-types:message/cpim application/im-iscomposing+xml\r\n\
a=accept-wrapped-types:text/plain message/imdn+xml\r\n\
a=path:msrp://192.0.2.10:9/s9t8u7v6;tcp\r\n\
a=setup:active\r\n\
a=sendrecv\r\n\
--b0undary7q\r\n\
Content-Type: application/resource-lists+xml\r\n\
Content-Disposition: recipient-list\r\n\
Content-Length: 238\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\r\n\
<list>\r\n\
<entry uri=\"sip:+15550100002@ims.example.net\"/>\r\n\
<entry uri=\"sip:+15550100003@ims.example.net\"/>\r\n\
</list>\r\n\
</resource-lists>\r\n\
--b0undary7q--\r\n";

/// 7.4.1 example: the SDP offer of a file transfer (321 bytes).
const FILE_TRANSFER_SDP: &[u8] = b"v=0\r\n\
o=- 3913722300 3913722300 IN IP4 192.0.2.10\r\n\
s=-\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=message 9 TCP/MSRP *\r\n\
a=accept-types:image/jpeg\r\n\
a=file-selector:name:\"beach.jpg\" type:image/jpeg size:48213\r\n\
a=file-transfer-id:ft-5c1d9e\r\n\
a=file-disposition:render\r\n\
a=path:msrp://192.0.2.10:9/f4e3d2c1;tcp\r\n\
a=setup:active\r\n\
a=sendonly\r\n";

/// `body` with every CRLF turned into a bare LF.
fn lf_only(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(b"\r\n") {
            i += 1;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn the_examples_have_the_lengths_the_spec_states() {
    assert_eq!(PAGER_CPIM.len(), 314);
    assert_eq!(LARGE_MESSAGE_SDP.len(), 260);
    assert_eq!(GROUP_MULTIPART.len(), 730);
    assert_eq!(FILE_TRANSFER_SDP.len(), 321);
}

// ---- Content-Type ----------------------------------------------------------------

#[test]
fn media_types_of_the_examples() {
    let m = MediaType::parse(GROUP_MULTIPART_TYPE).unwrap();
    assert!(m.is("multipart/mixed"));
    assert_eq!(m.param("boundary"), Some("b0undary7q"));
    let m = MediaType::parse("text/plain;charset=UTF-8").unwrap();
    assert_eq!(
        (m.type_(), m.subtype(), m.essence()),
        ("text", "plain", "text/plain")
    );
    assert_eq!(m.param("CHARSET"), Some("UTF-8"));
    let m = MediaType::parse(b"Message/CPIM".as_slice()).unwrap();
    assert!(m.is("message/cpim"));
    assert!(!m.is("message"));
}

#[test]
fn media_type_errors_carry_offsets() {
    let err = MediaType::parse("multipart/mixed; boundary=\"open").unwrap_err();
    assert_eq!(err.offset(), 26);
    assert_eq!(
        err.kind(),
        &BodyErrorKind::MediaType("unterminated quoted string")
    );
    assert_eq!(
        err.to_string(),
        "byte 26: malformed media type: unterminated quoted string"
    );
}

// ---- multipart -------------------------------------------------------------------

fn check_group_multipart(multipart: &Multipart<'_>, line_end: &str) {
    assert_eq!(multipart.len(), 2);
    assert!(multipart.is_complete());
    assert_eq!(multipart.boundary(), "b0undary7q");
    let parts: Vec<_> = multipart.parts().collect();

    let sdp_part = parts[0];
    assert!(sdp_part.content_type().unwrap().is("application/sdp"));
    assert_eq!(sdp_part.content_length(), Some(288));
    if line_end == "\r\n" {
        // The declared length counts the CRLF before the delimiter: the body keeps it.
        assert_eq!(sdp_part.body().len(), 288);
        assert!(sdp_part.body().ends_with(b"a=sendrecv\r\n"));
    } else {
        // The LF variant's declared length is wrong: RFC 2046 framing alone.
        assert!(sdp_part.body().ends_with(b"a=sendrecv"));
    }
    assert!(sdp_part.body().starts_with(b"v=0"));
    let sdp = Sdp::parse(sdp_part.body()).unwrap();
    let msrp = sdp.msrp().unwrap();
    assert_eq!(
        msrp.accept_types().collect::<Vec<_>>(),
        ["message/cpim", "application/im-iscomposing+xml"]
    );
    assert_eq!(
        msrp.accept_wrapped_types().collect::<Vec<_>>(),
        ["text/plain", "message/imdn+xml"]
    );
    assert_eq!(msrp.direction(), Direction::SendRecv);

    let list = parts[1];
    assert_eq!(list.header("content-disposition"), Some("recipient-list"));
    assert_eq!(list.content_length(), Some(238));
    if line_end == "\r\n" {
        assert_eq!(list.body().len(), 238);
    }
    assert!(list.body().trim_ascii_end().ends_with(b"</resource-lists>"));
    assert_eq!(
        list.headers().map(|(n, _)| n).collect::<Vec<_>>(),
        ["Content-Type", "Content-Disposition", "Content-Length"]
    );

    let found = multipart.find("application/resource-lists+xml").unwrap();
    assert_eq!(found.body(), list.body());
    assert!(multipart.find("message/cpim").is_none());
}

#[test]
fn group_invite_multipart_from_the_spec() {
    let m = Multipart::parse(GROUP_MULTIPART_TYPE, GROUP_MULTIPART).unwrap();
    check_group_multipart(&m, "\r\n");
    assert!(m.preamble().is_empty());
}

#[test]
fn group_invite_multipart_with_lf_line_ends() {
    let body = lf_only(GROUP_MULTIPART);
    let m = Multipart::parse(GROUP_MULTIPART_TYPE, &body).unwrap();
    check_group_multipart(&m, "\n");
}

#[test]
fn quoted_boundary_with_preamble_and_epilogue() {
    let body = b"This is the preamble.\r\n--simple boundary\r\n\r\nimplicitly typed\r\n\
--simple boundary  \r\nContent-type: text/plain; charset=us-ascii\r\n\r\n\
explicitly typed.\r\n\r\n--simple boundary--\r\nThis is the epilogue.\r\n--simple boundary\r\n\r\nx";
    let m = Multipart::parse("multipart/mixed; boundary=\"simple boundary\"", body).unwrap();
    assert_eq!(m.preamble(), b"This is the preamble.\r\n");
    let parts: Vec<_> = m.parts().collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].headers().count(), 0);
    assert!(parts[0].content_type().is_none());
    assert_eq!(parts[0].body(), b"implicitly typed");
    assert_eq!(parts[1].body(), b"explicitly typed.\r\n");
    assert!(parts[1].content_type().unwrap().is("text/plain"));
    assert!(m.is_complete());
}

#[test]
fn unquoted_boundary_with_unusual_characters() {
    let body = b"--=_Part_0.1?x\r\nContent-Type: text/plain\r\n\r\none\r\n--=_Part_0.1?x--";
    let m = Multipart::parse("multipart/mixed;boundary==_Part_0.1?x", body).unwrap();
    assert_eq!(m.boundary(), "=_Part_0.1?x");
    assert_eq!(m.parts().next().unwrap().body(), b"one");
}

#[test]
fn missing_close_delimiter_runs_the_last_part_to_the_end() {
    let cut = &GROUP_MULTIPART[..GROUP_MULTIPART.len() - "\r\n--b0undary7q--\r\n".len()];
    let m = Multipart::parse(GROUP_MULTIPART_TYPE, cut).unwrap();
    assert!(!m.is_complete());
    let parts: Vec<_> = m.parts().collect();
    assert_eq!(parts.len(), 2);
    assert!(!parts[0].is_unterminated());
    assert!(parts[1].is_unterminated());
    assert!(parts[1].body().ends_with(b"</resource-lists>"));
    assert_eq!(parts[0].body().len(), 288);
}

#[test]
fn part_content_length_does_not_frame() {
    let body = b"--b\r\nContent-Length: 2\r\n\r\nlonger than two\r\n--b--";
    let part = Multipart::parse("multipart/mixed;boundary=b", body)
        .unwrap()
        .parts()
        .next()
        .unwrap();
    assert_eq!(part.content_length(), Some(2));
    assert_eq!(part.body(), b"longer than two");
}

#[test]
fn a_content_length_that_counts_the_line_end_keeps_it() {
    let ct = "multipart/mixed;boundary=b";
    let body = b"--b\r\nContent-Length: 4\r\n\r\nab\r\n\r\n--b--";
    let part = Multipart::parse(ct, body).unwrap().parts().next().unwrap();
    assert_eq!(part.body(), b"ab\r\n");
    let body = b"--b\r\nContent-Length: 3\r\n\r\nab\r\n\r\n--b--";
    let part = Multipart::parse(ct, body).unwrap().parts().next().unwrap();
    assert_eq!(part.body(), b"ab\r\n");
    let body = b"--b\nContent-Length: 3\n\nab\n\n--b--";
    let part = Multipart::parse(ct, body).unwrap().parts().next().unwrap();
    assert_eq!(part.body(), b"ab\n");
}

#[test]
fn folded_part_headers() {
    let body = b"--b\r\nContent-Type: multipart/related;\r\n\tboundary=inner\r\n\r\nx\r\n--b--";
    let part = Multipart::parse("multipart/mixed;boundary=b", body)
        .unwrap()
        .parts()
        .next()
        .unwrap();
    let ct = part.content_type().unwrap();
    assert!(ct.is("multipart/related"));
    assert_eq!(ct.param("boundary"), Some("inner"));
}

#[test]
fn part_count_is_bounded() {
    let mut body = Vec::new();
    for _ in 0..65 {
        body.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    body.extend_from_slice(b"--b--");
    let err = Multipart::parse("multipart/mixed;boundary=b", &body).unwrap_err();
    assert_eq!(err.kind(), &BodyErrorKind::TooManyParts(64));
    assert_eq!(err.offset(), 64 * 10 + 5);
    let media = MediaType::parse("multipart/mixed;boundary=b").unwrap();
    assert_eq!(
        Multipart::with_media_type(&media, &body, 65).unwrap().len(),
        65
    );
}

#[test]
fn multipart_refusals() {
    let err = Multipart::parse("multipart/mixed;boundary=zz", GROUP_MULTIPART).unwrap_err();
    assert_eq!(err.kind(), &BodyErrorKind::NoDelimiter);
    let err = Multipart::parse("application/sdp", GROUP_MULTIPART).unwrap_err();
    assert_eq!(err.kind(), &BodyErrorKind::NotMultipart);
}

#[test]
fn multipart_with_cpim_next_to_sdp() {
    let mut body = b"--next\r\nContent-Type: application/sdp\r\n\r\n".to_vec();
    body.extend_from_slice(LARGE_MESSAGE_SDP);
    body.extend_from_slice(b"\r\n--next\r\nContent-Type: message/cpim\r\n\r\n");
    body.extend_from_slice(PAGER_CPIM);
    body.extend_from_slice(b"\r\n--next--\r\n");
    let m = Multipart::parse("multipart/mixed; boundary=next", &body).unwrap();
    assert_eq!(m.find("application/sdp").unwrap().body(), LARGE_MESSAGE_SDP);
    let cpim = CpimMessage::parse(m.find("message/cpim").unwrap().body()).unwrap();
    assert_eq!(cpim.content(), b"Hello, Bob!");
}

// ---- CPIM ------------------------------------------------------------------------

fn check_pager_cpim(cpim: &CpimMessage<'_>) {
    let from = cpim.from().unwrap();
    assert_eq!(from.uri, "sip:+15550100001@ims.example.net");
    assert_eq!(from.display_name, None);
    let to: Vec<_> = cpim.to().map(|a| a.uri).collect();
    assert_eq!(to, ["sip:+15550100002@ims.example.net"]);
    assert_eq!(cpim.cc().count(), 0);
    assert_eq!(cpim.date_time(), Some("2026-11-24T10:15:00.000Z"));
    assert!(cpim_date_ok(cpim));
    assert_eq!(cpim.subject(), None);
    assert_eq!(
        cpim.namespaces().collect::<Vec<_>>(),
        [("imdn", "urn:ietf:params:imdn")]
    );
    assert_eq!(cpim.message_id(), Some("7f3c2a10e4"));
    assert_eq!(cpim.header(IMDN_NS, "message-id"), Some("7f3c2a10e4"));
    let dn = cpim.disposition_notification().unwrap();
    assert_eq!(
        dn.iter().collect::<Vec<_>>(),
        [Disposition::PositiveDelivery, Disposition::Display]
    );
    assert!(!dn.contains(Disposition::NegativeDelivery));
    assert_eq!(cpim.content_type_raw(), Some("text/plain;charset=UTF-8"));
    let ct = cpim.content_type().unwrap();
    assert!(ct.is("text/plain"));
    assert_eq!(ct.param("charset"), Some("UTF-8"));
    assert_eq!(cpim.content_length(), Some(11));
    assert_eq!(cpim.content(), b"Hello, Bob!");
    assert_eq!(cpim.headers().count(), 6);
    assert_eq!(cpim.content_headers().count(), 2);
}

fn cpim_date_ok(cpim: &CpimMessage<'_>) -> bool {
    cpm_client::cpim::is_date_time(cpim.date_time().unwrap())
}

#[test]
fn pager_cpim_from_the_spec() {
    let cpim = CpimMessage::parse(PAGER_CPIM).unwrap();
    check_pager_cpim(&cpim);
    assert_eq!(cpim.content_offset(), PAGER_CPIM.len() - 11);
}

#[test]
fn pager_cpim_with_lf_line_ends() {
    let body = lf_only(PAGER_CPIM);
    check_pager_cpim(&CpimMessage::parse(&body).unwrap());
}

#[test]
fn content_is_cut_to_the_inner_content_length() {
    let mut body = PAGER_CPIM.to_vec();
    body.extend_from_slice(b"\r\n");
    let cpim = CpimMessage::parse(&body).unwrap();
    assert_eq!(cpim.content(), b"Hello, Bob!");
}

#[test]
fn imdn_headers_under_another_prefix() {
    let body = b"From: \"Alice\" <sip:alice@example.net>\r\n\
To: <sip:bob@example.net>\r\n\
NS: ns7 <urn:ietf:params:imdn>\r\n\
NS: imdn <http://example.com/not-imdn>\r\n\
imdn.Message-ID: wrong\r\n\
ns7.Message-ID: right\r\n\
NS7.disposition-notification: negative-delivery,processing,x-other\r\n\
\r\n\
Content-Type: message/imdn+xml\r\n\
\r\n\
<imdn/>";
    let cpim = CpimMessage::parse(body).unwrap();
    assert_eq!(cpim.message_id(), Some("right"));
    let dn = cpim.disposition_notification().unwrap();
    assert_eq!(
        dn.iter().collect::<Vec<_>>(),
        [
            Disposition::NegativeDelivery,
            Disposition::Processing,
            Disposition::Other("x-other")
        ]
    );
    assert_eq!(cpim.from().unwrap().display_name, Some("Alice"));
    assert_eq!(
        cpim.header("http://example.com/not-imdn", "Message-ID"),
        Some("wrong")
    );
    assert!(cpim.content_type().unwrap().is("message/imdn+xml"));
}

#[test]
fn conventional_imdn_prefix_without_ns() {
    let cpim =
        CpimMessage::parse(b"imdn.Message-ID: m1\n\nContent-Type: text/plain\n\nhi").unwrap();
    assert_eq!(cpim.message_id(), Some("m1"));
    assert_eq!(cpim.disposition_notification(), None);
}

#[test]
fn several_to_and_cc() {
    let body = b"From: Alice <sip:alice@example.net>\r\n\
To: <sip:bob@example.net>\r\n\
To: \"Carol \\\"C\\\"\" <sip:carol@example.net>\r\n\
To: broken <sip:x\r\n\
cc: <sip:dave@example.net>\r\n\
Subject: Weekend plans\r\n\
\r\n\
\r\n\
";
    let cpim = CpimMessage::parse(body).unwrap();
    let to: Vec<CpimAddress<'_>> = cpim.to().collect();
    assert_eq!(to.len(), 2);
    assert_eq!(to[0].uri, "sip:bob@example.net");
    assert_eq!(to[1].display_name, Some("Carol \\\"C\\\""));
    assert_eq!(to[1].uri, "sip:carol@example.net");
    assert_eq!(cpim.cc().next().unwrap().uri, "sip:dave@example.net");
    assert_eq!(cpim.from().unwrap().display_name, Some("Alice"));
    assert_eq!(cpim.subject(), Some("Weekend plans"));
    assert_eq!(cpim.headers_named("to").count(), 3);
    assert_eq!(cpim.content(), b"");
}

#[test]
fn cpim_addresses() {
    let a = CpimAddress::parse("  <sip:a@x>  ").unwrap();
    assert_eq!((a.display_name, a.uri), (None, "sip:a@x"));
    let a = CpimAddress::parse("Alice Smith <sip:a@x>").unwrap();
    assert_eq!(a.display_name, Some("Alice Smith"));
    let a = CpimAddress::parse("sip:a@x").unwrap();
    assert_eq!(a.uri, "sip:a@x");
    for bad in [
        "",
        "\"open <sip:a@x>",
        "<sip:a@x> tail",
        "<>",
        "Alice <sip:a@x",
    ] {
        let err = CpimAddress::parse(bad).unwrap_err();
        assert!(matches!(err.kind(), BodyErrorKind::Address(_)), "{bad:?}");
    }
    assert_eq!(
        CpimAddress::parse("<sip:a@x> tail").unwrap_err().offset(),
        10
    );
}

#[test]
fn cpim_addresses_with_multibyte_text_are_cut_at_characters() {
    let a = CpimAddress::parse("\"Zoë \\é\" <sip:zoë@x>").unwrap();
    assert_eq!((a.display_name, a.uri), (Some("Zoë \\é"), "sip:zoë@x"));
    let a = CpimAddress::parse(" Ünïcode Nämé <sip:é@x> ").unwrap();
    assert_eq!(a.display_name, Some("Ünïcode Nämé"));
    let a = CpimAddress::parse(" sip:é@x ").unwrap();
    assert_eq!(a.uri, "sip:é@x");
    for text in ["é", "\"é", "é<", "<é", "\"\\é", "<é>é", "\"é\"é"] {
        let _ = CpimAddress::parse(text);
    }
}

#[test]
fn cpim_errors_carry_offsets() {
    let err = CpimMessage::parse(b"From: <sip:a@x>\r\nTo <sip:b@x>\r\n\r\n\r\n").unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (&BodyErrorKind::MalformedHeader("name is not a token"), 17)
    );
    let err = CpimMessage::parse(b"From: <sip:a@x>\r\nTo\r\n\r\n").unwrap_err();
    assert_eq!(
        (err.kind(), err.offset()),
        (&BodyErrorKind::MalformedHeader("no colon"), 17)
    );
    let err =
        CpimMessage::parse(b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\nhi").unwrap_err();
    assert_eq!(err.kind(), &BodyErrorKind::UnterminatedHeaders);
    let err = CpimMessage::parse(b"From: <sip:a@x>\r\n\r\nContent-Type text/plain\r\n\r\nhi")
        .unwrap_err();
    assert_eq!(err.offset(), 19);
    let err = CpimMessage::parse(b" folded\r\n\r\n").unwrap_err();
    assert_eq!(err.offset(), 0);
    let err = CpimMessage::parse(b": x\r\n\r\n").unwrap_err();
    assert_eq!(err.kind(), &BodyErrorKind::MalformedHeader("empty name"));
    let err = CpimMessage::parse(b"From: \xff\r\n\r\n").unwrap_err();
    assert_eq!((err.kind(), err.offset()), (&BodyErrorKind::NotUtf8, 6));
}

#[test]
fn binary_content_is_kept_whole() {
    let body =
        b"From: <sip:a@x>\r\n\r\nContent-Type: application/octet-stream\r\n\r\n\0\xff\r\n\r\nmore";
    let cpim = CpimMessage::parse(body).unwrap();
    assert_eq!(cpim.content(), b"\0\xff\r\n\r\nmore");
}

// ---- SDP -------------------------------------------------------------------------

fn check_large_message_sdp(sdp: &Sdp<'_>) {
    let origin = sdp.origin().unwrap();
    assert_eq!(origin.session_id, "3913722112");
    assert_eq!(origin.address, "192.0.2.10");
    assert_eq!(
        sdp.origin_raw(),
        Some("- 3913722112 3913722112 IN IP4 192.0.2.10")
    );
    assert_eq!(sdp.connection().unwrap().address, "192.0.2.10");
    assert_eq!(sdp.media().count(), 1);
    let msrp = sdp.msrp().unwrap();
    assert_eq!(msrp.port(), Some(9));
    assert_eq!(msrp.protocol(), "TCP/MSRP");
    assert_eq!(msrp.transport(), MsrpTransport::Tcp);
    assert_eq!(msrp.media().formats().collect::<Vec<_>>(), ["*"]);
    assert_eq!(msrp.connection().unwrap().address, "192.0.2.10");
    assert_eq!(
        msrp.path().collect::<Vec<_>>(),
        ["msrp://192.0.2.10:9/a1b2c3d4;tcp"]
    );
    assert_eq!(msrp.accept_types().collect::<Vec<_>>(), ["message/cpim"]);
    assert_eq!(
        msrp.accept_wrapped_types().collect::<Vec<_>>(),
        ["text/plain"]
    );
    assert_eq!(msrp.setup(), Some(Setup::Active));
    assert_eq!(msrp.direction(), Direction::SendOnly);
    assert_eq!(msrp.max_size(), Some(2_048_000));
    assert_eq!(msrp.file_selector(), None);
    assert_eq!(msrp.attributes().count(), 6);
}

#[test]
fn large_message_sdp_from_the_spec() {
    check_large_message_sdp(&Sdp::parse(LARGE_MESSAGE_SDP).unwrap());
}

#[test]
fn large_message_sdp_with_lf_line_ends() {
    check_large_message_sdp(&Sdp::parse(&lf_only(LARGE_MESSAGE_SDP)).unwrap());
}

fn check_file_transfer_sdp(sdp: &Sdp<'_>) {
    let msrp = sdp.msrp().unwrap();
    let file = msrp.file_selector().unwrap();
    assert_eq!(file.name.as_deref(), Some("beach.jpg"));
    assert_eq!(file.name_decoded().as_deref(), Some("beach.jpg"));
    assert_eq!(file.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(file.size, Some(48213));
    assert_eq!(file.hash, None);
    assert_eq!(msrp.file_transfer_id(), Some("ft-5c1d9e"));
    assert_eq!(msrp.file_disposition(), Some("render"));
    assert_eq!(msrp.file_date(), None);
    assert_eq!(msrp.file_icon(), None);
    assert_eq!(msrp.file_range(), None);
    assert_eq!(msrp.direction(), Direction::SendOnly);
    assert_eq!(msrp.accept_types().collect::<Vec<_>>(), ["image/jpeg"]);
}

#[test]
fn file_transfer_sdp_from_the_spec() {
    check_file_transfer_sdp(&Sdp::parse(FILE_TRANSFER_SDP).unwrap());
    check_file_transfer_sdp(&Sdp::parse(&lf_only(FILE_TRANSFER_SDP)).unwrap());
}

#[test]
fn file_selector_in_any_order() {
    let orders = [
        "name:\"beach.jpg\" type:image/jpeg size:48213 hash:sha-1:72:24:5F:E8",
        "size:48213 hash:sha-1:72:24:5F:E8 type:image/jpeg name:\"beach.jpg\"",
        "hash:sha-1:72:24:5F:E8   name:\"beach.jpg\" size:48213 type:image/jpeg",
        "type:image/jpeg name:\"beach.jpg\" x-new:1 hash:sha-1:72:24:5F:E8 size:48213",
    ];
    for order in orders {
        let body = format!("v=0\r\nm=message 9 TCP/MSRP *\r\na=file-selector:{order}\r\n");
        let sdp = Sdp::parse(body.as_bytes()).unwrap();
        let file = sdp.msrp().unwrap().file_selector().unwrap();
        assert_eq!(file.name.as_deref(), Some("beach.jpg"), "{order}");
        assert_eq!(file.media_type.as_deref(), Some("image/jpeg"), "{order}");
        assert_eq!(file.size, Some(48213), "{order}");
        assert_eq!(
            file.hash,
            Some(FileHash {
                algorithm: "sha-1".into(),
                value: "72:24:5F:E8".into()
            }),
            "{order}"
        );
    }
}

#[test]
fn file_selector_with_partial_selectors_and_encoded_names() {
    let sdp = Sdp::parse(
        b"v=0\nm=message 9 TCP/MSRP *\na=file-selector:name:\"My%20%22best%22%20photo.jpg\"\n\
a=file-date:creation:\"Mon, 24 Nov 2026 10:15:00 GMT\"\na=file-icon:cid:icon1@example.net\n\
a=file-range:1-*\n",
    )
    .unwrap();
    let msrp = sdp.msrp().unwrap();
    let file = msrp.file_selector().unwrap();
    assert_eq!(file.name.as_deref(), Some("My%20%22best%22%20photo.jpg"));
    assert_eq!(
        file.name_decoded().as_deref(),
        Some("My \"best\" photo.jpg")
    );
    assert_eq!((file.media_type, file.size, file.hash), (None, None, None));
    assert_eq!(
        msrp.file_date(),
        Some("creation:\"Mon, 24 Nov 2026 10:15:00 GMT\"")
    );
    assert_eq!(msrp.file_icon(), Some("cid:icon1@example.net"));
    assert_eq!(msrp.file_range(), Some("1-*"));
}

#[test]
fn maxsize_misspelling_is_accepted() {
    let sdp = Sdp::parse(b"v=0\r\nm=message 9 TCP/MSRP *\r\na=maxsize:65536\r\n").unwrap();
    assert_eq!(sdp.msrp().unwrap().max_size(), Some(65536));
    let sdp = Sdp::parse(b"v=0\r\nm=message 9 TCP/MSRP *\r\na=max-size:lots\r\n").unwrap();
    assert_eq!(sdp.msrp().unwrap().max_size(), None);
}

#[test]
fn msrps_paths_over_tls() {
    let sdp = Sdp::parse(
        b"v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n\
m=message 9 TCP/TLS/MSRP *\r\nc=IN IP4 198.51.100.9\r\n\
a=path:msrps://relay.example.net:2855/r1;tcp msrps://198.51.100.9:2855/k7;tcp\r\n\
a=setup:passive\r\n",
    )
    .unwrap();
    let msrp = sdp.msrp().unwrap();
    assert_eq!(msrp.transport(), MsrpTransport::Tls);
    assert_eq!(
        msrp.path().collect::<Vec<_>>(),
        [
            "msrps://relay.example.net:2855/r1;tcp",
            "msrps://198.51.100.9:2855/k7;tcp"
        ]
    );
    assert_eq!(msrp.connection().unwrap().address, "198.51.100.9");
    assert_eq!(sdp.connection().unwrap().address, "198.51.100.1");
    assert_eq!(msrp.setup(), Some(Setup::Passive));
}

#[test]
fn direction_defaults_and_overrides() {
    let direction = |body: &[u8]| Sdp::parse(body).unwrap().msrp().unwrap().direction();
    assert_eq!(
        direction(b"v=0\r\nm=message 9 TCP/MSRP *\r\n"),
        Direction::SendRecv
    );
    assert_eq!(
        direction(b"v=0\r\na=recvonly\r\nm=message 9 TCP/MSRP *\r\n"),
        Direction::RecvOnly
    );
    assert_eq!(
        direction(b"v=0\r\na=recvonly\r\nm=message 9 TCP/MSRP *\r\na=inactive\r\n"),
        Direction::Inactive
    );
    assert_eq!(Direction::default(), Direction::SendRecv);
}

#[test]
fn setup_values() {
    let setup = |v: &str| {
        let body = format!("v=0\nm=message 9 TCP/MSRP *\na=setup:{v}\n");
        let sdp = Sdp::parse(body.as_bytes()).unwrap();
        format!("{:?}", sdp.msrp().unwrap().setup())
    };
    assert_eq!(setup("active"), "Some(Active)");
    assert_eq!(setup("actpass"), "Some(ActPass)");
    assert_eq!(setup("holdconn"), "Some(HoldConn)");
    assert_eq!(setup("sideways"), "None");
    let unknown = Sdp::parse(b"v=0\nm=message 9 TCP/MSRP *\na=setup: sideways\n").unwrap();
    assert_eq!(unknown.msrp().unwrap().setup_raw(), Some("sideways"));
    let session_level = Sdp::parse(b"v=0\na=setup:passive\nm=message 9 TCP/MSRP *\n").unwrap();
    assert_eq!(session_level.msrp().unwrap().setup(), Some(Setup::Passive));
}

#[test]
fn sdp_without_message_media_and_odd_lines() {
    let sdp = Sdp::parse(
        b"\r\nv=0\r\nthis is not a line\r\nm=audio 49170 RTP/AVP 0\r\nz=\xff\r\na=rtpmap:0 PCMU/8000\r\n",
    )
    .unwrap();
    assert!(sdp.msrp().is_none());
    let audio = sdp.media().next().unwrap();
    assert_eq!(audio.media_type(), "audio");
    assert_eq!(audio.port(), Some(49170));
    assert_eq!(audio.attribute("rtpmap"), Some("0 PCMU/8000"));
    assert_eq!(audio.connection(), None);
}

#[test]
fn the_first_message_media_is_the_msrp_one() {
    let sdp = Sdp::parse(
        b"v=0\nm=audio 1 RTP/AVP 0\nm=message 9 TCP/MSRP *\na=path:msrp://a/1;tcp\n\
m=message 9 TCP/MSRP *\na=path:msrp://b/2;tcp\n",
    )
    .unwrap();
    assert_eq!(sdp.media().count(), 3);
    assert_eq!(sdp.msrp().unwrap().path().next(), Some("msrp://a/1;tcp"));
}

#[test]
fn not_sdp_is_an_error() {
    for (body, at) in [(&b""[..], 0), (b"hello", 0), (b"\r\n  o=- 1", 4)] {
        let err = Sdp::parse(body).unwrap_err();
        assert_eq!(err.offset(), at);
        assert!(matches!(err.kind(), BodyErrorKind::NotSdp(_)));
    }
}

/// Many headers with the local name asked for, under prefixes that do not bind, used to
/// make `header` rescan every `NS` line for each of them: quadratic, about 15 s for
/// 272 KB. These bodies have 50,000 such lines (a quadratic reader takes minutes on
/// them); the answer is checked, the time is left to the test run.
#[test]
fn prefixed_headers_are_found_in_linear_work() {
    const LINES: usize = 50_000;
    let mut body = String::with_capacity(LINES * 20);
    for _ in 0..LINES {
        body.push_str("x.Message-ID: 1\n");
    }
    body.push_str("imdn.Message-ID: 2\n\n");
    let cpim = CpimMessage::parse(body.as_bytes()).unwrap();
    assert_eq!(cpim.message_id(), Some("2"));

    // As many prefixes bound to the IMDN URN as headers under unbound prefixes.
    let mut body = String::with_capacity(LINES * 40);
    for i in 0..LINES / 2 {
        body.push_str(&format!("NS: p{i} <urn:ietf:params:imdn>\n"));
    }
    for i in 0..LINES / 2 {
        body.push_str(&format!("q{i}.Message-ID: {i}\n"));
    }
    body.push_str("P7.message-id: 42\n\n");
    let cpim = CpimMessage::parse(body.as_bytes()).unwrap();
    assert_eq!(cpim.message_id(), Some("42"));
    assert_eq!(cpim.header(IMDN_NS, "Disposition-Notification"), None);
}
