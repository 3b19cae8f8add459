//! Is-composing (RFC 3994): the RFC's examples read and rebuilt, round trips, hostile
//! XML refused, and a pager MESSAGE carrying an indication (in CPIM or bare) handed
//! to the composing handler, never to the pager handler.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use cpm_client::iscomposing::{ComposingState, IsComposing, XmlBodyError};
use cpm_client::outgoing::{ContactAddress, Content, Pager, SequentialIds, Transport};
use cpm_client::{
    ClientConfig, ComposingHandler, ComposingReceived, Decision, Dispatcher, Handling,
    PagerHandler, PagerMessage, StatusCode,
};

// RFC 3994 section 5's two examples, as the RFC prints them (the figures'
// three-column indent taken off, LF line ends as in the RFC text). Both carry the
// XML Schema instance attributes, whose schemaLocation names
// `urn:ietf:params:xml:ns:im-composing` (not the namespace of the document,
// `urn:ietf:params:xml:ns:im-iscomposing`); a reader ignores them.

/// RFC 3994 section 5, first example: active, composing text, refresh 90 s.
const RFC_ACTIVE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing
iscomposing.xsd">
  <state>active</state>
  <contenttype>text/plain</contenttype>
  <refresh>90</refresh>
</isComposing>
"#;

/// RFC 3994 section 5, second example: idle, last active at a given time, audio.
const RFC_IDLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing
iscomposing.xsd">
  <state>idle</state>
  <lastactive>2003-01-27T10:43:00Z</lastactive>
  <contenttype>audio</contenttype>
</isComposing>
"#;

/// The schema instance attributes of the RFC's root elements, whitespace squeezed.
const SCHEMA_ATTRIBUTES: &str = " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"urn:ietf:params:xml:ns:im-composing iscomposing.xsd\"";

/// An XML document with the whitespace that carries nothing here taken out: between
/// tags, and before the `>` of a tag; other runs of whitespace become one space.
fn squeezed(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut space = false;
    for c in xml.chars() {
        if c.is_ascii_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() && !out.ends_with('>') && c != '<' && c != '>' {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

#[test]
fn rfc_3994_examples_read_and_rebuild() {
    let active = IsComposing::parse(RFC_ACTIVE.as_bytes()).expect("RFC 3994 5 reads");
    assert_eq!(active.state, ComposingState::Active);
    assert_eq!(active.last_active, None);
    assert_eq!(active.content_type.as_deref(), Some("text/plain"));
    assert_eq!(active.refresh, Some(90));
    assert_eq!(
        active,
        IsComposing::active(Some(90)).with_content_type("text/plain")
    );
    let idle = IsComposing::parse(RFC_IDLE.as_bytes()).expect("RFC 3994 5 reads");
    assert_eq!(idle.state, ComposingState::Idle);
    assert_eq!(idle.last_active.as_deref(), Some("2003-01-27T10:43:00Z"));
    assert_eq!(idle.content_type.as_deref(), Some("audio"));
    assert_eq!(idle.refresh, None);
    assert_eq!(
        idle,
        IsComposing::idle(Some("2003-01-27T10:43:00Z")).with_content_type("audio")
    );

    // Rebuilt: the library's canonical bytes (two-space indent, CRLF, no schema
    // instance attributes), equal to the RFC's documents byte for byte once
    // insignificant whitespace and those attributes are out.
    let cases = [
        (
            active,
            RFC_ACTIVE,
            "  <state>active</state>\r\n  <contenttype>text/plain</contenttype>\r\n  \
             <refresh>90</refresh>\r\n",
        ),
        (
            idle,
            RFC_IDLE,
            "  <state>idle</state>\r\n  <lastactive>2003-01-27T10:43:00Z</lastactive>\r\n  \
             <contenttype>audio</contenttype>\r\n",
        ),
    ];
    for (doc, printed, elements) in cases {
        let rebuilt = doc.to_xml().unwrap();
        assert_eq!(
            rebuilt,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
                 <isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\r\n\
                 {elements}</isComposing>\r\n"
            )
        );
        let without_schema = squeezed(printed).replacen(SCHEMA_ATTRIBUTES, "", 1);
        assert_ne!(
            without_schema,
            squeezed(printed),
            "the attributes are there"
        );
        assert_eq!(squeezed(&rebuilt), without_schema);
        assert_eq!(IsComposing::parse(rebuilt.as_bytes()).unwrap(), doc);
    }
}

#[test]
fn round_trips_and_errors() {
    let all = [
        IsComposing::active(None),
        IsComposing::active(Some(0)),
        IsComposing::idle(None),
        IsComposing::idle(Some("2026-11-24T10:15:00Z")).with_content_type("a<b>&c"),
    ];
    for doc in all {
        assert_eq!(
            IsComposing::parse(doc.to_xml().unwrap().as_bytes()).unwrap(),
            doc
        );
    }
    let ns = r#"xmlns="urn:ietf:params:xml:ns:im-iscomposing""#;
    let bad_state = format!("<isComposing {ns}><state>typing</state></isComposing>");
    assert!(matches!(
        IsComposing::parse(bad_state.as_bytes()),
        Err(XmlBodyError::BadValue {
            element: "state",
            ..
        })
    ));
    let bad_refresh =
        format!("<isComposing {ns}><state>active</state><refresh>-1</refresh></isComposing>");
    assert!(matches!(
        IsComposing::parse(bad_refresh.as_bytes()),
        Err(XmlBodyError::BadValue {
            element: "refresh",
            ..
        })
    ));
    let no_state = format!("<isComposing {ns}/>");
    assert_eq!(
        IsComposing::parse(no_state.as_bytes()),
        Err(XmlBodyError::Missing("state"))
    );
    let doctype = format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><isComposing {ns}><state>&e;</state></isComposing>");
    assert!(matches!(
        IsComposing::parse(doctype.as_bytes()),
        Err(XmlBodyError::Doctype { .. })
    ));
    let deep = format!("<isComposing {ns}>{}", "<s>".repeat(10_000));
    assert!(matches!(
        IsComposing::parse(deep.as_bytes()),
        Err(XmlBodyError::TooDeep { .. })
    ));
    let big = format!(
        "<isComposing {ns}><state>{}</state></isComposing>",
        "a".repeat(1 << 20)
    );
    assert!(matches!(
        IsComposing::parse(big.as_bytes()),
        Err(XmlBodyError::TooLarge { .. })
    ));
}

#[derive(Default)]
struct Typing(Mutex<Vec<ComposingState>>);

impl ComposingHandler for Typing {
    fn is_composing(&self, c: &ComposingReceived<'_>) -> Decision {
        assert!(c.is_composing_indication());
        self.0.lock().unwrap().push(c.state());
        Decision::accept()
    }
}

struct NoChat;

impl PagerHandler for NoChat {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        panic!("an indication reached pager_message")
    }
}

#[test]
fn indications_reach_the_composing_handler_in_cpim_and_bare() {
    let alice = ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap();
    let content = IsComposing::active(Some(60))
        .with_content_type("text/plain")
        .to_content()
        .unwrap();
    let in_cpim = Pager::new(
        "sip:+15550100002@ims.example.net",
        content,
        SystemTime::UNIX_EPOCH,
    )
    .without_imdn()
    .build(&alice, &mut SequentialIds::new(1))
    .unwrap()
    .into_pager()
    .unwrap();
    let typing = Arc::new(Typing::default());
    let d = Dispatcher::builder()
        .pager(NoChat)
        .composing(Arc::clone(&typing))
        .build();
    let outcome = d.dispatch(Bytes::copy_from_slice(in_cpim.as_bytes()));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);

    // The same, bare: the MESSAGE body is the document itself.
    let xml = IsComposing::idle(None).to_xml().unwrap();
    let bare = format!(
        "MESSAGE sip:+15550100002@ims.example.net SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.10;branch=z9hG4bK-c1\r\n\
         From: <sip:+15550100001@ims.example.net>;tag=1\r\nTo: <sip:+15550100002@ims.example.net>\r\n\
         Call-ID: c-1\r\nCSeq: 1 MESSAGE\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
         Content-Type: application/im-iscomposing+xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    );
    let outcome = d.dispatch(Bytes::from(bare.clone()));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert_eq!(
        typing.0.lock().unwrap().as_slice(),
        [ComposingState::Active, ComposingState::Idle]
    );

    // Without a composing handler: 200, dropped.
    let d = Dispatcher::builder().pager(NoChat).build();
    let outcome = d.dispatch(Bytes::from(bare.clone()));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert!(matches!(outcome.handling(), Handling::Dropped(_)));

    // An indication that does not read: 400.
    let broken = bare.replace("<state>idle</state>", "<state>idl</state>");
    let d = Dispatcher::builder().composing(Typing::default()).build();
    let outcome = d.dispatch(Bytes::from(broken));
    assert_eq!(
        outcome.response().unwrap().status(),
        StatusCode::BAD_REQUEST
    );
}

#[test]
fn content_is_typed() {
    let c: Content = IsComposing::idle(None).to_content().unwrap();
    assert_eq!(c.content_type(), "application/im-iscomposing+xml");
}
