//! The outgoing builders through the public API: every procedure's request read back
//! by the library's own router and by rsip, the headers each procedure requires, the
//! example request of each procedure (the `SPEC_*` constants) rebuilt byte for byte,
//! lengths, MSRP directions, chunks, the pager limit, and registration refreshes.

mod common;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cpm_client::ids::IdGenerator;
use cpm_client::msrp::MsrpMessage;
use cpm_client::outgoing::*;
use cpm_client::user_agent::{Release, ReleaseVersion};
use cpm_client::{route, FeatureTag, Route, RoutedRequest};
use cpm_client::{BuildError, OutgoingRequest};

const SPEC_REGISTER: &str = r#"REGISTER sip:ims.example.net SIP/2.0
Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-r1
Max-Forwards: 70
From: <sip:+15550100001@ims.example.net>;tag=r7q2
To: <sip:+15550100001@ims.example.net>
Call-ID: 3c9a7e2f-reg@192.0.2.10
CSeq: 1 REGISTER
Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+sip.instance="<urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427>";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer"
Expires: 3600
Supported: path,gruu
User-Agent: CPM-client/OMA2.0 cpm-client/0.1
Content-Length: 0

"#;

const SPEC_PAGER: &str = r#"MESSAGE sip:+15550100002@ims.example.net SIP/2.0
Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-p1
Max-Forwards: 70
From: <sip:+15550100001@ims.example.net>;tag=a73kd9
To: <sip:+15550100002@ims.example.net>
Call-ID: 9b0c1e2d-pager@192.0.2.10
CSeq: 1 MESSAGE
P-Preferred-Identity: <sip:+15550100001@ims.example.net>
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg
Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg"
Conversation-ID: 0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f
Contribution-ID: 5a1e3c77-2b9d-4f60-8c21-7d0e9f8a6b54
User-Agent: CPM-client/OMA2.0 cpm-client/0.1
Content-Type: message/cpim
Content-Length: 314

From: <sip:+15550100001@ims.example.net>
To: <sip:+15550100002@ims.example.net>
DateTime: 2026-11-24T10:15:00.000Z
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: 7f3c2a10e4
imdn.Disposition-Notification: positive-delivery, display

Content-Type: text/plain;charset=UTF-8
Content-Length: 11

Hello, Bob!
"#;

const SPEC_LARGE_MESSAGE: &str = r#"INVITE sip:+15550100002@ims.example.net SIP/2.0
Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-l1
Max-Forwards: 70
From: <sip:+15550100001@ims.example.net>;tag=l8w3
To: <sip:+15550100002@ims.example.net>
Call-ID: 41d2f0aa-large@192.0.2.10
CSeq: 1 INVITE
Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"
P-Preferred-Identity: <sip:+15550100001@ims.example.net>
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg
Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg"
Conversation-ID: 0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f
Contribution-ID: c2d94b1e-7a35-4e0f-b6a8-19f2e3d4c5b6
User-Agent: CPM-client/OMA2.0 cpm-client/0.1
Content-Type: application/sdp
Content-Length: 260

v=0
o=- 3913722112 3913722112 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=message 9 TCP/MSRP *
a=accept-types:message/cpim
a=accept-wrapped-types:text/plain
a=path:msrp://192.0.2.10:9/a1b2c3d4;tcp
a=setup:active
a=sendonly
a=max-size:2048000
"#;

const SPEC_GROUP_SESSION: &str = r#"INVITE sip:conference-factory@ims.example.net SIP/2.0
Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-g1
Max-Forwards: 70
From: <sip:+15550100001@ims.example.net>;tag=g5m1
To: <sip:conference-factory@ims.example.net>
Call-ID: 77e1c3b9-group@192.0.2.10
CSeq: 1 INVITE
Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"
P-Preferred-Identity: <sip:+15550100001@ims.example.net>
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session
Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"
Conversation-ID: 8e2f4a6c-0b1d-4e3f-a5c7-9d8e7f6a5b4c
Contribution-ID: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
Subject: Weekend plans
Require: recipient-list-invite
User-Agent: CPM-client/OMA2.0 cpm-client/0.1
Content-Type: multipart/mixed;boundary=b0undary7q
Content-Length: 730

--b0undary7q
Content-Type: application/sdp
Content-Length: 288

v=0
o=- 3913722200 3913722200 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=message 9 TCP/MSRP *
a=accept-types:message/cpim application/im-iscomposing+xml
a=accept-wrapped-types:text/plain message/imdn+xml
a=path:msrp://192.0.2.10:9/s9t8u7v6;tcp
a=setup:active
a=sendrecv
--b0undary7q
Content-Type: application/resource-lists+xml
Content-Disposition: recipient-list
Content-Length: 238

<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
<list>
<entry uri="sip:+15550100002@ims.example.net"/>
<entry uri="sip:+15550100003@ims.example.net"/>
</list>
</resource-lists>
--b0undary7q--
"#;

const SPEC_FILE_TRANSFER: &str = r#"INVITE sip:+15550100002@ims.example.net SIP/2.0
Via: SIP/2.0/TCP 192.0.2.10:5060;rport;branch=z9hG4bK-f1
Max-Forwards: 70
From: <sip:+15550100001@ims.example.net>;tag=f2k9
To: <sip:+15550100002@ims.example.net>
Call-ID: 5f7e9d1c-ft@192.0.2.10
CSeq: 1 INVITE
Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer"
P-Preferred-Identity: <sip:+15550100001@ims.example.net>
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer
Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer"
Conversation-ID: 0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f
Contribution-ID: 9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4
User-Agent: CPM-client/OMA2.0 cpm-client/0.1
Content-Type: application/sdp
Content-Length: 321

v=0
o=- 3913722300 3913722300 IN IP4 192.0.2.10
s=-
c=IN IP4 192.0.2.10
t=0 0
m=message 9 TCP/MSRP *
a=accept-types:image/jpeg
a=file-selector:name:"beach.jpg" type:image/jpeg size:48213
a=file-transfer-id:ft-5c1d9e
a=file-disposition:render
a=path:msrp://192.0.2.10:9/f4e3d2c1;tcp
a=setup:active
a=sendonly
"#;

/// A spec example as wire bytes: CRLF line ends; the pager example's body has no
/// final line end, the others end with CRLF.
fn wire(example: &str, final_crlf: bool) -> String {
    let text = example.replace('\n', "\r\n");
    if final_crlf {
        text
    } else {
        text.strip_suffix("\r\n").unwrap_or(&text).to_owned()
    }
}

/// 2026-11-24T10:15:00Z.
fn spec_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300)
}

/// The configuration of the spec examples: User-Agent `CPM-client/OMA2.0 cpm-client/0.1`.
fn spec_config() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .without_library_product()
    .with_product("cpm-client/0.1")
    .unwrap()
}

fn config() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    .unwrap()
    .with_display_name("Alice \"Al\" Smith")
    .unwrap()
}

const BOB: &str = "sip:+15550100002@ims.example.net";
const CAROL: &str = "sip:+15550100003@ims.example.net";
const FACTORY: &str = "sip:conference-factory@ims.example.net";
const FOCUS: &str = "sip:chat-7f3e@focus.ims.example.net";

/// One request of every procedure, with the route its recipient must find and the
/// MSRP direction of its offer (None without SDP).
fn every_procedure(
    config: &ClientConfig,
    ids: &mut dyn IdGenerator,
) -> Vec<(&'static str, OutgoingRequest, Route, Option<&'static str>)> {
    let register = Registration::new().build(config, ids).unwrap();
    let pager = Pager::new(BOB, Content::text("Hello, Bob!"), spec_time())
        .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
        .build(config, ids)
        .unwrap()
        .into_pager()
        .unwrap();
    let large = LargeMessage::new(BOB, Content::text(&"big ".repeat(2000)), spec_time())
        .build(config, ids)
        .unwrap()
        .invite;
    let session = Session::one_to_one(BOB).build(config, ids).unwrap();
    let group = Session::group(FACTORY, [BOB, CAROL])
        .subject("Weekend plans")
        .build(config, ids)
        .unwrap();
    let rejoin = Session::rejoin(
        FOCUS,
        group.header("Conversation-ID").unwrap(),
        group.header("Contribution-ID").unwrap(),
    )
    .build(config, ids)
    .unwrap();
    let file = FileTransfer::new(BOB, FileSelector::new("beach.jpg", "image/jpeg", 48213))
        .disposition(FileDisposition::Render)
        .build(config, ids)
        .unwrap();
    vec![
        ("register", register, Route::NotCpm, None),
        ("pager", pager, Route::Pager, None),
        (
            "large-message",
            large,
            Route::LargeMessage,
            Some("sendonly"),
        ),
        ("session", session, Route::Session, Some("sendrecv")),
        ("group-session", group, Route::Session, Some("sendrecv")),
        ("rejoin", rejoin, Route::Session, Some("sendrecv")),
        ("file-transfer", file, Route::FileTransfer, Some("sendonly")),
    ]
}

#[test]
fn every_request_routes_to_its_procedure_at_the_recipient() {
    for seed in 0..20 {
        for (name, request, expected, _) in
            every_procedure(&config(), &mut SequentialIds::new(seed))
        {
            assert_eq!(route(request.as_bytes()), Ok(expected), "{name}");
            let read =
                RoutedRequest::parse(request.bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(read.route(), expected, "{name}");
        }
    }
    for (name, request, expected, _) in every_procedure(&config(), &mut RandomIds::new()) {
        assert_eq!(route(request.as_bytes()), Ok(expected), "{name}");
    }
}

#[cfg(feature = "rsip")]
#[test]
fn every_request_parses_with_rsip() {
    for (name, request, _, _) in every_procedure(&config(), &mut SequentialIds::new(1)) {
        let typed = request.to_rsip().unwrap_or_err(name);
        assert_eq!(typed.method.to_string(), request.method(), "{name}");
        assert_eq!(typed.body, request.body(), "{name}");
        let call_id = typed.headers.iter().find_map(|h| match h {
            rsip::Header::CallId(c) => Some(c.to_string()),
            _ => None,
        });
        assert_eq!(
            call_id,
            Some(format!("Call-ID: {}", request.call_id())),
            "{name}"
        );
    }
}

#[cfg(feature = "rsip")]
trait UnwrapOrErr<T> {
    fn unwrap_or_err(self, name: &str) -> T;
}

#[cfg(feature = "rsip")]
impl<T, E: std::fmt::Display> UnwrapOrErr<T> for Result<T, E> {
    fn unwrap_or_err(self, name: &str) -> T {
        self.unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// The headers each originating procedure requires (7.1, 7.2.1.1, 7.2.1.2, 7.3.1, 7.4.1).
fn required_headers(procedure: &str) -> Vec<&'static str> {
    let mut base = vec![
        "Via",
        "Max-Forwards",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "User-Agent",
        "Content-Length",
    ];
    let cpm = [
        "P-Preferred-Identity",
        "P-Preferred-Service",
        "Accept-Contact",
        "Conversation-ID",
        "Contribution-ID",
        "Content-Type",
    ];
    match procedure {
        "register" => base.extend(["Contact", "Expires", "Supported"]),
        "pager" => base.extend(cpm),
        "group-session" => {
            base.extend(cpm);
            base.extend(["Contact", "Require", "Subject"]);
        }
        _ => {
            base.extend(cpm);
            base.push("Contact");
        }
    }
    base
}

#[test]
fn every_request_has_the_headers_of_its_row() {
    for (name, request, _, _) in every_procedure(&config(), &mut SequentialIds::new(2)) {
        for header in required_headers(name) {
            assert!(request.header(header).is_some(), "{name} lacks {header}");
        }
        assert!(request.branch().starts_with("z9hG4bK"), "{name}");
        assert!(request
            .header("Via")
            .unwrap()
            .ends_with(&format!(";branch={}", request.branch())));
        assert_eq!(request.header("Max-Forwards"), Some("70"));
        assert!(request
            .header("From")
            .unwrap()
            .ends_with(&format!(";tag={}", request.from_tag())));
        assert_eq!(
            request.header("CSeq"),
            Some(format!("1 {}", request.method()).as_str())
        );
        match name {
            "pager" => assert!(
                request.header("Contact").is_none(),
                "a MESSAGE has no Contact"
            ),
            "group-session" => assert_eq!(request.header("Require"), Some("recipient-list-invite")),
            "rejoin" => {
                assert!(request.header("Require").is_none());
                assert_eq!(request.header("Content-Type"), Some("application/sdp"));
            }
            _ => {}
        }
        // Each header once, and in the order of the spec examples.
        let names: Vec<&str> = request.headers().map(|(n, _)| n).collect();
        let order = common::HEADERS;
        let positions: Vec<usize> = names
            .iter()
            .map(|n| {
                order
                    .iter()
                    .position(|o| o == n)
                    .unwrap_or_else(|| panic!("{name}: unexpected {n}"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{name}: {names:?}"
        );
    }
}

#[test]
fn preferred_service_names_the_accept_contact_icsi() {
    for (name, request, expected, _) in every_procedure(&config(), &mut SequentialIds::new(3)) {
        if name == "register" {
            assert!(request.header("P-Preferred-Service").is_none());
            continue;
        }
        let service = request.header("P-Preferred-Service").unwrap();
        let tag = FeatureTag::ALL
            .into_iter()
            .find(|t| t.urn() == service)
            .expect("a CPM ICSI");
        let accept = request.header("Accept-Contact").unwrap();
        assert_eq!(
            accept,
            format!("*;+g.3gpp.icsi-ref=\"{}\"", tag.urn().replace(':', "%3A"))
        );
        let expected_tag = match expected {
            Route::Pager => FeatureTag::Msg,
            Route::LargeMessage => FeatureTag::LargeMsg,
            Route::Session => FeatureTag::Session,
            Route::FileTransfer => FeatureTag::FileTransfer,
            other => panic!("{other}"),
        };
        assert_eq!(tag, expected_tag, "{name}");
        if let Some(contact) = request.header("Contact") {
            assert!(
                contact.ends_with(&format!(
                    "+g.3gpp.icsi-ref=\"{}\"",
                    tag.urn().replace(':', "%3A")
                )),
                "{name}"
            );
        }
    }
}

#[test]
fn lengths_match_bodies_and_parts() {
    for (name, request, _, _) in every_procedure(&config(), &mut SequentialIds::new(4)) {
        let length: usize = request.header("Content-Length").unwrap().parse().unwrap();
        assert_eq!(length, request.body().len(), "{name}");
        let content_type = request.header("Content-Type").unwrap_or("");
        if let Some(boundary) = content_type.strip_prefix("multipart/mixed;boundary=") {
            let delimiter = format!("--{boundary}");
            let body = std::str::from_utf8(request.body()).unwrap();
            assert!(body.ends_with(&format!("{delimiter}--\r\n")));
            let parts: Vec<&str> = body.split(delimiter.as_str()).collect();
            assert_eq!(parts.len(), 4, "preamble, SDP, list, epilogue");
            for part in &parts[1..3] {
                let (head, content) = part.split_once("\r\n\r\n").unwrap();
                let declared: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .unwrap()
                    .parse()
                    .unwrap();
                assert_eq!(declared, content.len(), "{name}: {head}");
            }
        }
        if content_type == "message/cpim" {
            let body = std::str::from_utf8(request.body()).unwrap();
            let (_, inner) = body.split_once("\r\n\r\n").unwrap();
            let (head, content) = inner.split_once("\r\n\r\n").unwrap();
            assert!(head.ends_with(&format!("Content-Length: {}", content.len())));
        }
    }
}

#[test]
fn msrp_direction_per_procedure() {
    for (name, request, _, direction) in every_procedure(&config(), &mut SequentialIds::new(5)) {
        let body = String::from_utf8_lossy(request.body()).into_owned();
        let found: Vec<&str> = ["sendonly", "recvonly", "sendrecv", "inactive"]
            .into_iter()
            .filter(|d| body.contains(&format!("a={d}\r\n")))
            .collect();
        assert_eq!(found, direction.into_iter().collect::<Vec<_>>(), "{name}");
        if direction.is_some() {
            assert!(body.contains("m=message 9 TCP/MSRP *\r\n"), "{name}");
            assert!(body.contains("a=path:msrp://192.0.2.10:9/"), "{name}");
            assert!(body.contains("a=setup:active\r\n"), "{name}");
        }
    }
}

#[test]
fn user_agent_carries_the_configured_release() {
    for version in ReleaseVersion::KNOWN {
        let config = config()
            .with_release(version)
            .with_product("Acme/3.1")
            .unwrap();
        for (name, request, _, _) in every_procedure(&config, &mut SequentialIds::new(6)) {
            let ua = request.header("User-Agent").unwrap();
            assert!(
                ua.starts_with(&format!("CPM-client/{version} Acme/3.1")),
                "{name}: {ua}"
            );
            assert_eq!(Release::of_peer(ua).map(|r| r.version), Some(version));
        }
    }
}

#[test]
fn spec_register_example_is_rebuilt_exactly() {
    let config = spec_config()
        .with_instance("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        .unwrap();
    let request = Registration::new()
        .branch("z9hG4bK-r1")
        .from_tag("r7q2")
        .call_id("3c9a7e2f-reg@192.0.2.10")
        .build(&config, &mut SequentialIds::new(0))
        .unwrap();
    assert_eq!(request.to_string(), wire(SPEC_REGISTER, true));
}

#[test]
fn spec_pager_example_is_rebuilt_exactly() {
    let request = Pager::new(BOB, Content::text("Hello, Bob!"), spec_time())
        .branch("z9hG4bK-p1")
        .from_tag("a73kd9")
        .call_id("9b0c1e2d-pager@192.0.2.10")
        .conversation_id("0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f")
        .contribution_id("5a1e3c77-2b9d-4f60-8c21-7d0e9f8a6b54")
        .message_id("7f3c2a10e4")
        .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
        .build(&spec_config(), &mut SequentialIds::new(0))
        .unwrap()
        .into_pager()
        .unwrap();
    assert_eq!(request.header("Content-Length"), Some("314"));
    assert_eq!(request.to_string(), wire(SPEC_PAGER, false));
}

#[test]
fn spec_large_message_example_is_rebuilt_exactly() {
    let large = LargeMessage::new(BOB, Content::text("Hello, Bob!"), spec_time())
        .branch("z9hG4bK-l1")
        .from_tag("l8w3")
        .call_id("41d2f0aa-large@192.0.2.10")
        .conversation_id("0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f")
        .contribution_id("c2d94b1e-7a35-4e0f-b6a8-19f2e3d4c5b6")
        .msrp_session("a1b2c3d4")
        .sdp_session_id(3_913_722_112)
        .max_size(Some(2_048_000))
        .build(&spec_config(), &mut SequentialIds::new(0))
        .unwrap();
    assert_eq!(large.invite.header("Content-Length"), Some("260"));
    assert_eq!(large.invite.to_string(), wire(SPEC_LARGE_MESSAGE, true));
    assert_eq!(
        large.message.from_path(),
        "msrp://192.0.2.10:9/a1b2c3d4;tcp"
    );
    assert_eq!(large.message.content_type(), "message/cpim");
}

#[test]
fn spec_group_session_example_is_rebuilt_exactly() {
    let request = Session::group(FACTORY, [BOB, CAROL])
        .branch("z9hG4bK-g1")
        .from_tag("g5m1")
        .call_id("77e1c3b9-group@192.0.2.10")
        .conversation_id("8e2f4a6c-0b1d-4e3f-a5c7-9d8e7f6a5b4c")
        .contribution_id("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
        .subject("Weekend plans")
        .msrp_session("s9t8u7v6")
        .sdp_session_id(3_913_722_200)
        .boundary("b0undary7q")
        .build(&spec_config(), &mut SequentialIds::new(0))
        .unwrap();
    assert_eq!(request.header("Content-Length"), Some("730"));
    assert_eq!(request.to_string(), wire(SPEC_GROUP_SESSION, true));
}

#[test]
fn spec_rejoin_keeps_the_ids_and_drops_the_list() {
    let request = Session::rejoin(
        FOCUS,
        "8e2f4a6c-0b1d-4e3f-a5c7-9d8e7f6a5b4c",
        "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
    )
    .msrp_session("s9t8u7v6")
    .sdp_session_id(3_913_722_200)
    .build(&spec_config(), &mut SequentialIds::new(0))
    .unwrap();
    assert!(request
        .as_bytes()
        .starts_with(format!("INVITE {FOCUS} SIP/2.0\r\n").as_bytes()));
    assert_eq!(request.header("To"), Some(format!("<{FOCUS}>").as_str()));
    assert_eq!(
        request.header("Conversation-ID"),
        Some("8e2f4a6c-0b1d-4e3f-a5c7-9d8e7f6a5b4c")
    );
    assert_eq!(
        request.header("Contribution-ID"),
        Some("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    );
    assert_eq!(request.header("Require"), None);
    assert_eq!(request.header("Content-Type"), Some("application/sdp"));
    assert_eq!(request.header("Content-Length"), Some("288"));
    let group = wire(SPEC_GROUP_SESSION, true);
    let sdp_start = group.find("v=0").unwrap();
    let sdp_end = group.find("a=sendrecv\r\n").unwrap() + "a=sendrecv\r\n".len();
    assert_eq!(request.body(), &group.as_bytes()[sdp_start..sdp_end]);
}

#[test]
fn spec_file_transfer_example_is_rebuilt_exactly() {
    let request = FileTransfer::new(BOB, FileSelector::new("beach.jpg", "image/jpeg", 48213))
        .branch("z9hG4bK-f1")
        .from_tag("f2k9")
        .call_id("5f7e9d1c-ft@192.0.2.10")
        .conversation_id("0f6c5d2e-8a41-4c1b-9d7e-2b3a4c5d6e7f")
        .contribution_id("9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4")
        .file_transfer_id("ft-5c1d9e")
        .disposition(FileDisposition::Render)
        .msrp_session("f4e3d2c1")
        .sdp_session_id(3_913_722_300)
        .build(&spec_config(), &mut SequentialIds::new(0))
        .unwrap();
    assert_eq!(request.header("Content-Length"), Some("321"));
    assert_eq!(request.to_string(), wire(SPEC_FILE_TRANSFER, true));
}

#[test]
fn large_message_chunks_carry_the_cpim_message() {
    let text = "é".repeat(3000); // 6000 bytes of UTF-8
    let ids = &mut SequentialIds::new(8);
    let large = LargeMessage::new(BOB, Content::text(&text), spec_time())
        .chunk_size(2500)
        .msrp_message_id("msg-0001")
        .build(&config(), ids)
        .unwrap();
    let peer = "msrp://192.0.2.20:9/peer77;tcp";
    let chunks = large.chunks(peer, ids).unwrap();
    let total = large.message.content().len();
    assert_eq!(chunks.len(), total.div_ceil(2500));
    let mut rebuilt = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let head_end = chunk.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = std::str::from_utf8(&chunk[..head_end]).unwrap();
        let tid = head
            .strip_prefix("MSRP ")
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert!(head.starts_with(&format!(
            "MSRP {tid} SEND\r\nTo-Path: {peer}\r\nFrom-Path: {}\r\nMessage-ID: msg-0001\r\n",
            large.message.from_path()
        )));
        assert!(head.ends_with("Content-Type: message/cpim\r\n\r\n"));
        let flag = if i + 1 == chunks.len() { '$' } else { '+' };
        let tail = format!("\r\n-------{tid}{flag}\r\n");
        assert!(chunk.ends_with(tail.as_bytes()), "chunk {i}");
        rebuilt.extend_from_slice(&chunk[head_end..chunk.len() - tail.len()]);
    }
    assert_eq!(rebuilt, large.message.content());
    let cpim = String::from_utf8(rebuilt).unwrap();
    assert!(cpim.starts_with("From: \"Alice \\\"Al\\\" Smith\" <sip:+15550100001@ims.example.net>\r\nTo: <sip:+15550100002@ims.example.net>\r\nDateTime: 2026-11-24T10:15:00.000Z\r\n"));
    assert!(cpim.ends_with(&text));
}

#[test]
fn pager_limit_refuses_or_switches() {
    let config = config();
    let ids = &mut SequentialIds::new(9);
    let big = Content::text(&"x".repeat(1300));
    let err = Pager::new(BOB, big.clone(), spec_time())
        .build(&config, ids)
        .unwrap_err();
    match &err {
        BuildError::TooLargeForPagerMode { size, limit } => {
            assert_eq!(*limit, DEFAULT_PAGER_LIMIT);
            assert!(*size > 1300);
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("large-message mode"));
    let switched = Pager::new(BOB, big, spec_time())
        .in_reply_to("c2d94b1e")
        .switch_to_large_message(true)
        .build(&config, ids)
        .unwrap()
        .into_large_message()
        .expect("switched");
    assert_eq!(route(switched.invite.as_bytes()), Ok(Route::LargeMessage));
    assert_eq!(
        switched.invite.header("InReplyTo-Contribution-ID"),
        Some("c2d94b1e")
    );
    // Just under the limit stays in pager mode.
    let small = Pager::new(BOB, Content::text("hi"), spec_time())
        .switch_to_large_message(true)
        .build(&config, ids)
        .unwrap();
    assert!(matches!(small, Standalone::Pager(_)));
}

#[test]
fn reply_carries_in_reply_to() {
    let request = Pager::new(BOB, Content::text("yes"), spec_time())
        .in_reply_to("5a1e3c77-2b9d-4f60-8c21-7d0e9f8a6b54")
        .build(&config(), &mut SequentialIds::new(10))
        .unwrap()
        .into_pager()
        .unwrap();
    assert_eq!(
        request.header("InReplyTo-Contribution-ID"),
        Some("5a1e3c77-2b9d-4f60-8c21-7d0e9f8a6b54")
    );
}

#[test]
fn registration_refresh_and_deregistration() {
    let config = config();
    let ids = &mut SequentialIds::new(11);
    let first = Registration::new().build(&config, ids).unwrap();
    let contact = first.header("Contact").unwrap();
    assert!(contact.starts_with("<sip:+15550100001@192.0.2.10:5060;transport=tcp>;+sip.instance=\"<urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427>\";+g.3gpp.icsi-ref=\""));
    for tag in FeatureTag::ALL {
        assert!(contact.contains(&tag.urn().replace(':', "%3A")));
    }
    let refresh = Registration::refresh_of(&first)
        .expires(600)
        .build(&config, ids)
        .unwrap();
    assert_eq!(refresh.call_id(), first.call_id());
    assert_eq!(refresh.from_tag(), first.from_tag());
    assert_ne!(refresh.branch(), first.branch());
    assert_eq!(refresh.header("CSeq"), Some("2 REGISTER"));
    assert_eq!(refresh.header("Expires"), Some("600"));
    let gone = Registration::deregistration_of(&refresh)
        .build(&config, ids)
        .unwrap();
    assert_eq!(gone.header("CSeq"), Some("3 REGISTER"));
    assert_eq!(gone.header("Expires"), Some("0"));

    let only_chat = config
        .clone()
        .with_services([FeatureTag::Session, FeatureTag::Msg].into_iter().collect());
    let request = Registration::new().build(&only_chat, ids).unwrap();
    let contact = request.header("Contact").unwrap();
    assert!(contact.contains("cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""));
    assert!(!contact.contains("largemsg"));

    let no_instance = ClientConfig::new(
        BOB,
        ContactAddress::new("192.0.2.11", 5060, Transport::Udp).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        Registration::new().build(&no_instance, ids),
        Err(BuildError::Missing {
            field: "instance",
            ..
        })
    ));
}

#[test]
fn bad_input_is_a_typed_error_naming_the_field() {
    let config = config();
    let ids = &mut SequentialIds::new(12);
    let err = Pager::new(
        "sip:bob@example.net\r\nVia: evil",
        Content::text("x"),
        spec_time(),
    )
    .build(&config, ids)
    .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::InvalidUri {
                field: "CPIM To",
                ..
            } | BuildError::InvalidUri {
                field: "request URI",
                ..
            }
        ),
        "{err:?}"
    );
    let err = Session::one_to_one(BOB)
        .subject("a\r\nRequire: x")
        .build(&config, ids)
        .unwrap_err();
    assert_eq!(err, BuildError::ControlCharacter { field: "Subject" });
    let err = Session::group(FACTORY, Vec::<String>::new())
        .build(&config, ids)
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::Missing {
            field: "participants",
            ..
        }
    ));
    let err = Session::group(FACTORY, ["bob"])
        .build(&config, ids)
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::InvalidUri {
            field: "participant",
            ..
        }
    ));
    let err = Pager::new(BOB, Content::text("x"), spec_time())
        .conversation_id("a b")
        .build(&config, ids)
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::InvalidValue {
            field: "Conversation-ID",
            ..
        }
    ));
    let err = Registration::new()
        .branch("abc")
        .build(&config, ids)
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::InvalidValue {
            field: "branch",
            ..
        }
    ));
    let err = Pager::new(
        BOB,
        Content::text("x"),
        SystemTime::UNIX_EPOCH - Duration::from_secs(1),
    )
    .build(&config, ids)
    .unwrap_err();
    assert_eq!(err, BuildError::TimeBeforeEpoch);
    // RFC 3339 has four-digit years: the first instant of year 10000 is refused.
    let year_10000 = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800);
    let err = Pager::new(BOB, Content::text("x"), year_10000)
        .build(&config, ids)
        .unwrap_err();
    assert_eq!(err, BuildError::TimeAfterYear9999);
    assert!(ClientConfig::new(
        "sip:a@example.net",
        ContactAddress::new("h", 1, Transport::Tcp).unwrap()
    )
    .unwrap()
    .with_display_name("x\ny")
    .is_err());
}

#[test]
fn multibyte_text_at_a_checked_prefix_is_refused_not_a_panic() {
    let config = config();
    for instance in ["urné", "urnéx", "uré:x", "é", "urn", "urn:"] {
        let err = config.clone().with_instance(instance).unwrap_err();
        assert!(
            matches!(err, BuildError::InvalidValue { field, .. } if field.contains("instance")),
            "{instance:?}: {err:?}"
        );
    }
    assert!(config
        .clone()
        .with_instance("URN:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427")
        .is_ok());
    for media_type in ["text/plain;a=\"é", "text/plain;a=\"", "text/plain;a=é\""] {
        let err = Pager::new(BOB, Content::new(media_type, b"x".to_vec()), spec_time())
            .build(&config, &mut SequentialIds::new(1))
            .unwrap_err();
        assert!(matches!(err, BuildError::InvalidValue { .. }), "{err:?}");
    }
}

#[test]
fn output_is_shared_bytes() {
    let request = Session::one_to_one(BOB)
        .build(&config(), &mut SequentialIds::new(13))
        .unwrap();
    let bytes: Bytes = request.bytes();
    assert_eq!(bytes.as_ptr(), request.as_bytes().as_ptr());
    assert_eq!(request.clone().into_bytes(), bytes);
}

#[test]
fn tel_recipients_are_written_as_given() {
    let request = Pager::new("tel:+15550100002", Content::text("hi"), spec_time())
        .build(&config(), &mut SequentialIds::new(14))
        .unwrap()
        .into_pager()
        .unwrap();
    assert!(request
        .as_bytes()
        .starts_with(b"MESSAGE tel:+15550100002 SIP/2.0\r\n"));
    assert_eq!(request.header("To"), Some("<tel:+15550100002>"));
    assert_eq!(route(request.as_bytes()), Ok(Route::Pager));
    assert!(RoutedRequest::parse(request.bytes()).is_ok());
    // rsip 0.4 does not read a tel: Request-URI (it takes the number for a port), so
    // `to_rsip` is not asserted here; see the docs of `OutgoingRequest::to_rsip`.
}

/// RFC 4975 section 14.1: the session part of an MSRP URI has at least 80 bits of
/// randomness; generated ones are 20 hex digits, with either generator.
#[test]
fn generated_msrp_sessions_have_at_least_80_bits() {
    let config = config();
    let mut random = RandomIds::new();
    let mut sequential = SequentialIds::new(15);
    let generators: [&mut dyn IdGenerator; 2] = [&mut random, &mut sequential];
    for ids in generators {
        for (procedure, request) in [
            ("session", Session::one_to_one(BOB).build(&config, ids)),
            (
                "file transfer",
                FileTransfer::new(BOB, FileSelector::new("a.jpg", "image/jpeg", 1))
                    .build(&config, ids),
            ),
        ] {
            let request = request.unwrap();
            let sdp = std::str::from_utf8(request.body()).unwrap();
            let path = sdp.lines().find_map(|l| l.strip_prefix("a=path:")).unwrap();
            let session = path
                .rsplit('/')
                .next()
                .and_then(|s| s.strip_suffix(";tcp"))
                .unwrap();
            assert!(
                session.len() >= 20 && session.bytes().all(|b| b.is_ascii_hexdigit()),
                "{procedure}: {path}"
            );
        }
    }
}

/// Every INVITE hands back the local MSRP path of its offer, the From-Path of the
/// session's MSRP messages (the file chunks of a file transfer); other requests have
/// none.
#[test]
fn invites_return_the_local_msrp_path_of_their_offer() {
    let config = config();
    for (procedure, request, _, direction) in every_procedure(&config, &mut SequentialIds::new(16))
    {
        let body = String::from_utf8_lossy(request.body());
        let offered = body.split("\r\n").find_map(|l| l.strip_prefix("a=path:"));
        assert_eq!(request.local_msrp_path(), offered, "{procedure}");
        assert_eq!(offered.is_some(), direction.is_some(), "{procedure}");
    }

    let ids = &mut SequentialIds::new(17);
    let invite = FileTransfer::new(BOB, FileSelector::new("a.txt", "text/plain", 5))
        .msrp_session("f4e3d2c1")
        .build(&config, ids)
        .unwrap();
    let from = invite.local_msrp_path().unwrap();
    assert_eq!(from, "msrp://192.0.2.10:9/f4e3d2c1;tcp");
    let chunks = MsrpMessage::new(from, "text/plain", "hello")
        .chunks("msrp://192.0.2.20:9/peer1;tcp", ids)
        .unwrap();
    assert!(String::from_utf8_lossy(&chunks[0])
        .contains("\r\nFrom-Path: msrp://192.0.2.10:9/f4e3d2c1;tcp\r\n"));
}

/// RFC 2046 section 5.1.1: a multipart body has at least one part; with none there is
/// nothing to write but a close delimiter, which is refused.
#[test]
fn multipart_without_parts_is_refused() {
    let err = cpm_client::multipart::MultipartBuilder::new()
        .write(&mut SequentialIds::new(18))
        .unwrap_err();
    assert!(
        matches!(err, BuildError::Missing { field: "parts", .. }),
        "{err:?}"
    );
    let (content_type, body) = cpm_client::multipart::MultipartBuilder::new()
        .boundary("B")
        .part("text/plain", "a")
        .write(&mut SequentialIds::new(18))
        .unwrap();
    assert_eq!(content_type, "multipart/mixed;boundary=B");
    assert!(body.starts_with(b"--B\r\n") && body.ends_with(b"--B--\r\n"));
}

/// RFC 3261 section 19.1.1, table 1: URI headers (`?`) are not allowed in the
/// Request-URI, To or From; they stay allowed where they are legal (a participant of
/// a resource list).
#[test]
fn uri_headers_are_refused_in_the_request_uri_to_and_from() {
    let config = config();
    let ids = &mut SequentialIds::new(19);
    let with_headers = "sip:bob@example.net?Subject=hi";
    let err = Pager::new(with_headers, Content::text("x"), spec_time())
        .build(&config, ids)
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::InvalidValue {
                field: "request URI",
                ..
            }
        ),
        "{err:?}"
    );
    let err = Session::one_to_one(with_headers)
        .build(&config, ids)
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::InvalidValue {
                field: "request URI",
                ..
            }
        ),
        "{err:?}"
    );
    let err = ClientConfig::new(
        "sip:alice@example.net?Subject=hi",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::InvalidValue {
                field: "public identity",
                ..
            }
        ),
        "{err:?}"
    );
    let group = Session::group(FACTORY, [with_headers])
        .build(&config, ids)
        .unwrap();
    assert!(String::from_utf8_lossy(group.body())
        .contains("<entry uri=\"sip:bob@example.net?Subject=hi\"/>"));
}
