//! The zero-copy request reader through the public API: accessors, header names and
//! compact forms, folding, list values, framing, limits and error positions.

use bytes::Bytes;
use cpm_client::sip::KnownHeader;
use cpm_client::{route, Limits, Method, ParseErrorKind, Route, RoutedRequest, Routing};

const MSG_TAG: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";

/// A MESSAGE with the given extra headers and body.
fn message(extra: &str, body: &str) -> String {
    format!(
        "MESSAGE sip:+15550100002@ims.example.net SIP/2.0\r\n\
         Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-t1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:+15550100001@ims.example.net>;tag=a1\r\n\
         To: <sip:+15550100002@ims.example.net>\r\n\
         Call-ID: req-test@192.0.2.10\r\n\
         CSeq: 1 MESSAGE\r\n\
         {extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn parse(text: &str) -> RoutedRequest {
    RoutedRequest::parse(Bytes::from(text.to_owned())).expect("valid request")
}

#[test]
fn accessors_are_slices_of_the_input() {
    let text = message(&format!("a: *;+g.3gpp.icsi-ref=\"{MSG_TAG}\"\r\n"), "Hello");
    let input = Bytes::from(text);
    let request = RoutedRequest::parse(input.clone()).unwrap();
    let range = input.as_ptr_range();
    let inside = |s: &[u8]| range.contains(&s.as_ptr()) && s.as_ptr_range().end <= range.end;
    assert!(inside(request.request_uri()));
    assert!(inside(request.body()));
    for header in request.headers() {
        assert!(inside(header.value()));
        assert!(inside(header.name().as_bytes()));
    }
    assert_eq!(request.method(), Method::Message);
    assert_eq!(request.cseq(), 1);
    assert_eq!(request.content_length(), Some(5));
    assert_eq!(request.body_bytes(), "Hello");
    assert_eq!(request.as_bytes(), input);
    assert_eq!(request.headers().count(), 8);
    assert_eq!(request.route(), Route::Pager);
}

#[test]
fn names_compare_without_case_and_with_compact_forms() {
    let text = message(
        &format!(
            "aCCEPT-cONTACT: *;+g.3gpp.icsi-ref=\"{MSG_TAG}\"\r\nc: text/plain\r\n\
             k: timer\r\nX-Custom: one\r\nx-custom: two\r\n"
        ),
        "x",
    );
    let request = parse(&text);
    let ac = request.header("a").expect("by compact name");
    assert_eq!(ac.name(), "aCCEPT-cONTACT");
    assert_eq!(ac.known(), Some(KnownHeader::AcceptContact));
    assert!(ac.is("Accept-Contact") && ac.is("A") && !ac.is("Contact"));
    assert_eq!(
        request.header("Content-Type").unwrap().value(),
        b"text/plain"
    );
    assert_eq!(
        request.header("SUPPORTED").unwrap().value_str(),
        Some("timer")
    );
    let custom: Vec<&[u8]> = request
        .headers_named("X-CUSTOM")
        .map(|h| h.value())
        .collect();
    assert_eq!(custom, [&b"one"[..], b"two"]);
    assert!(request.header("Subject").is_none());
}

#[test]
fn every_compact_form_is_read() {
    let text = "INVITE sip:bob@ims.example.net SIP/2.0\r\n\
        v: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-c\r\nf: <sip:a@ims.example.net>;tag=1\r\n\
        t: <sip:bob@ims.example.net>\r\ni: compact\r\nCSeq: 1 INVITE\r\n\
        m: <sip:a@192.0.2.1>\r\na: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
        b: <sip:c@ims.example.net>\r\nd: proxy\r\ne: gzip\r\nj: *;video\r\nk: timer\r\n\
        n: <https://example.net/cert>\r\no: presence\r\nr: <sip:d@ims.example.net>\r\ns: hi\r\n\
        u: presence\r\nx: 1800\r\ny: abc\r\nc: application/sdp\r\nl: 0\r\n\r\n";
    let request = parse(text);
    assert_eq!(request.route(), Route::Session);
    for known in [
        KnownHeader::Via,
        KnownHeader::From,
        KnownHeader::To,
        KnownHeader::CallId,
        KnownHeader::Contact,
        KnownHeader::AcceptContact,
        KnownHeader::ReferredBy,
        KnownHeader::RequestDisposition,
        KnownHeader::ContentEncoding,
        KnownHeader::RejectContact,
        KnownHeader::Supported,
        KnownHeader::IdentityInfo,
        KnownHeader::Event,
        KnownHeader::ReferTo,
        KnownHeader::Subject,
        KnownHeader::AllowEvents,
        KnownHeader::SessionExpires,
        KnownHeader::Identity,
        KnownHeader::ContentType,
        KnownHeader::ContentLength,
    ] {
        let header = request
            .header(known.as_str())
            .unwrap_or_else(|| panic!("{known}"));
        assert_eq!(header.known(), Some(known));
        assert_eq!(header.name().len(), 1, "{known} is written compact");
    }
}

#[test]
fn folded_headers_are_one_header() {
    let text = message(
        &format!("Accept-Contact: *\r\n ;\r\n\t+g.3gpp.icsi-ref=\r\n  \"{MSG_TAG}\"\r\nSubject: two\r\n  lines\r\n"),
        "",
    );
    let request = parse(&text);
    assert_eq!(request.route(), Route::Pager);
    let subject = request.header("s").unwrap();
    assert_eq!(subject.value(), b"two\r\n  lines");
    assert_eq!(&*subject.unfolded(), b"two lines");
    assert_eq!(request.headers().count(), 9);
}

#[test]
fn list_headers_over_several_lines_and_commas() {
    let text = message(
        &format!(
            "Accept-Contact: *;+g.3gpp.iari-ref=\"x,y\", <sip:a@b;c,d>;video\r\n\
             a: *;+g.3gpp.icsi-ref=\"{MSG_TAG}\"\r\nSubject: a, b\r\n"
        ),
        "",
    );
    let request = parse(&text);
    let values: Vec<&[u8]> = request.header_values("Accept-Contact").collect();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0], b"*;+g.3gpp.iari-ref=\"x,y\"");
    assert_eq!(values[1], b"<sip:a@b;c,d>;video");
    // Subject is not a list: its comma is text.
    assert_eq!(request.header_values("Subject").count(), 1);
    assert_eq!(request.route(), Route::Pager);
}

#[test]
fn bytes_past_content_length_are_not_part_of_the_message() {
    let mut text = message("", "body");
    text.push_str("INVITE sip:x@y SIP/2.0\r\n");
    let request = parse(&text);
    assert_eq!(request.body(), b"body");
    assert!(request.as_bytes().ends_with(b"\r\n\r\nbody"));
}

#[test]
fn keep_alive_crlfs_before_the_request_are_skipped() {
    let text = format!("\r\n\r\n{}", message("", "hi"));
    let request = parse(&text);
    assert_eq!(request.method(), Method::Message);
    assert!(request.as_bytes().starts_with(b"MESSAGE sip:"));
    #[cfg(feature = "rsip")]
    assert_eq!(request.to_rsip().unwrap().method, rsip::Method::Message);
}

#[test]
fn without_content_length_the_body_is_the_rest() {
    let text = message("", "").replace("Content-Length: 0\r\n", "") + "rest of datagram";
    let request = parse(&text);
    assert_eq!(request.content_length(), None);
    assert_eq!(request.body(), b"rest of datagram");
}

#[test]
fn share_gives_zero_copy_bytes_of_any_accessor_slice() {
    let request = parse(&message("", "payload"));
    let call_id = request.header("i").unwrap().value();
    assert_eq!(request.share(call_id).unwrap(), "req-test@192.0.2.10");
    assert_eq!(request.share(request.body()).unwrap(), "payload");
    assert_eq!(request.share(b"not from the request"), None);
}

#[cfg(feature = "rsip")]
#[test]
fn the_full_typed_model_through_rsip() {
    let request = parse(&message("Content-Type: text/plain\r\n", "Hello"));
    let typed = request.to_rsip().expect("rsip reads it");
    assert_eq!(typed.method, rsip::Method::Message);
    assert_eq!(typed.body, b"Hello");
}

#[cfg(feature = "rsip")]
#[test]
fn folded_and_oddly_spaced_requests_convert_to_rsip() {
    let text = message(
        &format!("Accept-Contact  \t:  *;\r\n +g.3gpp.icsi-ref=\r\n  \"{MSG_TAG}\"\r\nSubject: a\r\n b\r\n"),
        "Hello",
    );
    let typed = parse(&text).to_rsip().expect("rsip reads the plain form");
    assert_eq!(typed.body, b"Hello");
    let subject = typed.headers.iter().find_map(|h| match h {
        rsip::Header::Subject(s) => Some(s.to_string()),
        _ => None,
    });
    assert_eq!(subject.as_deref(), Some("Subject: a b"));
}

#[test]
fn errors_name_the_line_and_the_byte() {
    let text = message("X-Fine: yes\r\nbroken line\r\n", "");
    let err = route(text.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), &ParseErrorKind::NoColon);
    assert_eq!(err.line(), 9);
    assert_eq!(&text.as_bytes()[err.offset()..err.offset() + 6], b"broken");
    assert_eq!(err.to_string(), "line 9: header line has no colon");
    assert_eq!(err.status_code(), 400);

    let err = route(b"INVITE sip:a@b SIP/2.1\r\n\r\n").unwrap_err();
    assert_eq!(err.status_code(), 505);
    assert_eq!(err.offset(), 15);
}

#[test]
fn malformed_accept_contact_points_inside_the_value() {
    let text = message("Accept-Contact: *;;x\r\n", "");
    let err = route(text.as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::BadAcceptContact("empty parameter")
    );
    assert_eq!(err.line(), 8);
    assert_eq!(text.as_bytes()[err.offset()], b';');
}

#[test]
fn limits_refuse_oversized_input() {
    let limits = Limits::DEFAULT;
    let big_body = "x".repeat(limits.max_message_size);
    let err = route(message("", &big_body).as_bytes()).unwrap_err();
    assert!(matches!(err.kind(), ParseErrorKind::MessageTooLarge { .. }));
    assert_eq!(err.status_code(), 513);

    let many: String = (0..limits.max_headers)
        .map(|i| format!("X-{i}: v\r\n"))
        .collect();
    let err = route(message(&many, "").as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::TooManyHeaders(limits.max_headers)
    );

    let long = format!("X-Long: {}\r\n", "y".repeat(limits.max_header_size));
    let err = route(message(&long, "").as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::HeaderTooLong(limits.max_header_size)
    );

    let folded = format!(
        "X-Folded: a{}\r\n",
        "\r\n ".repeat(limits.max_header_size / 3 + 1)
    );
    let err = route(message(&folded, "").as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::HeaderTooLong(limits.max_header_size)
    );

    let values = vec!["*"; limits.max_accept_contact_values + 1].join(",");
    let err = route(message(&format!("a: {values}\r\n"), "").as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::TooManyAcceptContactValues(limits.max_accept_contact_values)
    );
    // The count runs over all Accept-Contact headers of the request.
    let lines = "a: *\r\n".repeat(limits.max_accept_contact_values + 1);
    assert!(route(message(&lines, "").as_bytes()).is_err());

    let params = ";p".repeat(limits.max_params + 1);
    let err = route(message(&format!("a: *{params}\r\n"), "").as_bytes()).unwrap_err();
    assert_eq!(
        err.kind(),
        &ParseErrorKind::TooManyParams(limits.max_params)
    );
}

#[test]
fn limits_are_configurable() {
    let text = message(&format!("a: *;+g.3gpp.icsi-ref=\"{MSG_TAG}\"\r\n"), "Hello");
    let roomy = Limits::DEFAULT.with_max_headers(8);
    assert_eq!(
        Routing::read(text.as_bytes(), &roomy).unwrap().route,
        Route::Pager
    );
    let tight = Limits::DEFAULT.with_max_headers(7);
    assert!(Routing::read(text.as_bytes(), &tight).is_err());
    let request = RoutedRequest::parse_with(Bytes::from(text), &roomy).unwrap();
    assert_eq!(request.headers().count(), 8);
}

#[test]
fn nul_and_invalid_utf8_in_values_are_data() {
    let text = b"OPTIONS sip:a@example.net SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
        From: \"\x00\xff\" <sip:c@example.net>;tag=1\r\nTo: <sip:a@example.net>\r\n\
        Call-ID: nul\r\nCSeq: 1 OPTIONS\r\nX-Bin: \xc3\x28\x00\r\n\r\n";
    let request = RoutedRequest::parse(Bytes::from_static(text)).unwrap();
    assert_eq!(request.header("X-Bin").unwrap().value(), b"\xc3\x28\x00");
    assert_eq!(request.header("X-Bin").unwrap().value_str(), None);
    assert_eq!(request.route(), Route::NotCpm);
}
