//! IMDN (RFC 5438): the RFC's examples read and rebuilt, every notification and
//! status round-tripped, hostile XML refused after bounded work, and a pager-mode
//! notification built by one client and routed to the other's notification handler.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cpm_client::cpim::{Content, CpimBuilder, CpimMessage, Disposition, DispositionNotification};
use cpm_client::imdn::{
    is_notification, DeliveryStatus, DisplayStatus, Imdn, ImdnStatus, ProcessingStatus,
    XmlBodyError, MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS,
};
use cpm_client::mime::BodyErrorKind;
use cpm_client::outgoing::{ContactAddress, ImdnMessage, Pager, SequentialIds, Transport};
use cpm_client::{
    ClientConfig, Decision, Dispatcher, Handling, ImdnReceived, NotificationHandler, PagerHandler,
    PagerMessage, Route, StatusCode,
};

const ALICE: &str = "sip:+15550100001@ims.example.net";
const BOB: &str = "sip:+15550100002@ims.example.net";

// RFC 5438's examples, as the RFC prints them (the figures' three-column indent taken
// off, page breaks taken out, LF line ends as in the RFC text). The text printed in
// the RFC has no empty line between the CPIM message headers and the content headers,
// which RFC 3862 requires (a real message has it, and the library writes it); each
// test reads the printed text, then the message as a real implementation sends it,
// with that empty line.

/// RFC 5438 section 7.1.1.3: a message asking for positive and negative delivery
/// notifications.
const RFC_7_1_1_3_REQUEST: &str = "From: Alice <im:alice@example.com>
To: Bob <im:bob@example.com>
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: 34jk324j
DateTime: 2006-04-04T12:16:49-05:00
imdn.Disposition-Notification: positive-delivery, negative-delivery
Content-type: text/plain
Content-length: 12

Hello World
";

/// RFC 5438 section 7.2.1.1: the delivery notification, in its CPIM body.
const RFC_7_2_1_1_DELIVERY: &str = r#"From: Bob <im:bob@example.com>
To: Alice <im:alice@example.com>
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: d834jied93rf
Content-type: message/imdn+xml
Content-Disposition: notification
Content-length: ...

<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
      <message-id>34jk324j</message-id>
      <datetime>2008-04-04T12:16:49-05:00</datetime>
     <recipient-uri>im:bob@example.com</recipient-uri>
      <original-recipient-uri
        >im:bob@example.com</original-recipient-uri>
      <delivery-notification>
         <status>
            <delivered/>
         </status>
      </delivery-notification>
    </imdn>
"#;

/// RFC 5438 section 7.2.1.2: the display notification, in its CPIM body.
const RFC_7_2_1_2_DISPLAY: &str = r#"From: Bob <im:bob@example.com>
To: Alice <im:alice@example.com>
NS: imdn <urn:ietf:params:imdn>
imdn.Message-ID: dfjkleriou432333
Content-type: message/imdn+xml
Content-Disposition: notification
Content-length: ...

<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
      <message-id>34jk324j</message-id>
      <datetime>2008-04-04T12:16:49-05:00</datetime>
     <recipient-uri>im:bob@example.com</recipient-uri>
      <original-recipient-uri
         >im:bob@example.com</original-recipient-uri>
      <display-notification>
         <status>
            <displayed/>
         </status>
      </display-notification>
    </imdn>
"#;

/// RFC 5438 section 8.1: an intermediary's processing notification, printed with
/// the MIME header of the MESSAGE body first (no `NS:` and no `imdn.Message-ID`).
const RFC_8_1_PROCESSING: &str = r#"Content-type: Message/CPIM

From: Bob <im:bob@example.com>
To: Alice <im:alice@example.com>
Content-type: message/imdn+xml
Content-Disposition: notification
Content-length: ...

<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
      <message-id>34jk324j</message-id>
      <datetime>2008-04-04T12:16:49-05:00</datetime>
     <recipient-uri>im:bob@example.com</recipient-uri>
      <original-recipient-uri
         >im:bob@example.com</original-recipient-uri>
      <processing-notification>
         <status>
            <processed/>
         </status>
      </processing-notification>
    </imdn>
"#;

/// The printed CPIM text with the empty line RFC 3862 puts between the message
/// headers and the content headers (before the first `Content-type:` line).
fn as_sent(printed: &str) -> String {
    let at = printed
        .find("\nContent-type: ")
        .expect("a Content-type line");
    format!("{}\n{}", &printed[..=at], &printed[at + 1..])
}

/// The XML document of a printed example: what follows its first empty line.
fn printed_xml(printed: &str) -> &str {
    let at = printed.find("\n\n<?xml").expect("an XML document");
    &printed[at + 2..]
}

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

/// The notification the RFC's examples describe, for `status`.
fn rfc_notification(status: ImdnStatus) -> Imdn {
    Imdn::new("34jk324j", status)
        .with_date_time("2008-04-04T12:16:49-05:00")
        .with_recipient_uri("im:bob@example.com")
        .with_original_recipient_uri("im:bob@example.com")
}

#[test]
fn rfc_5438_7_1_1_3_request_reads_as_sent() {
    // As printed, the content headers run on from the message headers, and what
    // follows the empty line is read as the content header block, which no empty
    // line ends: refused, at the end of the input.
    let error = CpimMessage::parse(RFC_7_1_1_3_REQUEST.as_bytes())
        .expect_err("no empty line before the content headers");
    assert_eq!(error.kind(), &BodyErrorKind::UnterminatedHeaders);
    assert_eq!(error.offset(), RFC_7_1_1_3_REQUEST.len());
    assert!(!error.to_string().is_empty());

    let sent = as_sent(RFC_7_1_1_3_REQUEST);
    let request = CpimMessage::parse(sent.as_bytes()).expect("RFC 5438 7.1.1.3 reads");
    assert_eq!(request.from().unwrap().uri, "im:alice@example.com");
    assert_eq!(request.to().next().unwrap().uri, "im:bob@example.com");
    assert_eq!(request.message_id(), Some("34jk324j"));
    assert_eq!(request.date_time(), Some("2006-04-04T12:16:49-05:00"));
    let asked = request.disposition_notification().expect("asks for IMDNs");
    assert!(asked.contains(Disposition::PositiveDelivery));
    assert!(asked.contains(Disposition::NegativeDelivery));
    assert!(!asked.contains(Disposition::Display));
    assert!(!asked.contains(Disposition::Processing));
    assert!(request.content_type().unwrap().is("text/plain"));
    assert_eq!(request.content_length(), Some(12));
    assert_eq!(request.content(), b"Hello World\n");
    assert!(!is_notification(&request));

    // The notification the library builds for it names it by its imdn.Message-ID and
    // copies its DateTime (RFC 5438 section 7.2.1.1; the RFC's own notification
    // examples say 2008 where the request says 2006).
    let built = Imdn::for_message(&request, ImdnStatus::Delivery(DeliveryStatus::Delivered))
        .unwrap()
        .with_recipient_uri("im:bob@example.com")
        .with_original_recipient_uri("im:bob@example.com");
    let mut expected = rfc_notification(ImdnStatus::Delivery(DeliveryStatus::Delivered));
    expected.date_time = Some("2006-04-04T12:16:49-05:00".into());
    assert_eq!(built, expected);
}

#[test]
fn rfc_5438_7_2_1_1_delivery_notification_reads_and_rebuilds() {
    rfc_notification_reads_and_rebuilds(
        RFC_7_2_1_1_DELIVERY,
        Some("d834jied93rf"),
        ImdnStatus::Delivery(DeliveryStatus::Delivered),
        "<delivery-notification>\r\n    <status>\r\n      <delivered/>",
    );
}

#[test]
fn rfc_5438_7_2_1_2_display_notification_reads_and_rebuilds() {
    rfc_notification_reads_and_rebuilds(
        RFC_7_2_1_2_DISPLAY,
        Some("dfjkleriou432333"),
        ImdnStatus::Display(DisplayStatus::Displayed),
        "<display-notification>\r\n    <status>\r\n      <displayed/>",
    );
}

#[test]
fn rfc_5438_8_1_processing_notification_reads_and_rebuilds() {
    // The printed text starts with the MESSAGE's own Content-type; the CPIM body
    // starts after its empty line.
    let body = RFC_8_1_PROCESSING
        .strip_prefix("Content-type: Message/CPIM\n\n")
        .expect("the MIME header first");
    rfc_notification_reads_and_rebuilds(
        body,
        None,
        ImdnStatus::Processing(ProcessingStatus::Processed),
        "<processing-notification>\r\n    <status>\r\n      <processed/>",
    );
}

/// One printed IMDN example: refused as printed (no empty line before the content
/// headers), read as sent; its XML read field by field; rebuilt by the library, in
/// its own canonical bytes, equal to the RFC's document once whitespace is squeezed
/// out of both; rebuilt as a CPIM message and read back.
fn rfc_notification_reads_and_rebuilds(
    printed: &str,
    own_id: Option<&str>,
    status: ImdnStatus,
    notification_part: &str,
) {
    // As printed, the XML document is read as the content header block, which no
    // empty line ends: refused, at the end of the input.
    let error = CpimMessage::parse(printed.as_bytes()).expect_err(printed);
    assert_eq!(error.kind(), &BodyErrorKind::UnterminatedHeaders);
    assert_eq!(error.offset(), printed.len());
    let sent = as_sent(printed);
    let cpim = CpimMessage::parse(sent.as_bytes()).expect("reads with the empty line");
    assert_eq!(cpim.from().unwrap().uri, "im:bob@example.com");
    assert_eq!(cpim.from().unwrap().display_name, Some("Bob"));
    assert_eq!(cpim.to().next().unwrap().uri, "im:alice@example.com");
    assert_eq!(cpim.message_id(), own_id);
    assert!(is_notification(&cpim));
    assert_eq!(
        cpim.content_header("Content-Disposition"),
        Some("notification")
    );
    // "Content-length: ..." is the RFC's placeholder, not a length.
    assert_eq!(cpim.content_length(), None);
    let xml = printed_xml(printed);
    assert_eq!(cpim.content(), xml.as_bytes());

    let read = Imdn::parse(cpim.content()).expect("the RFC's document reads");
    assert_eq!(read, rfc_notification(status));
    assert_eq!(read.message_id, "34jk324j");
    assert_eq!(read.date_time.as_deref(), Some("2008-04-04T12:16:49-05:00"));
    assert_eq!(read.recipient_uri.as_deref(), Some("im:bob@example.com"));
    assert_eq!(
        read.original_recipient_uri.as_deref(),
        Some("im:bob@example.com")
    );
    assert_eq!(read.subject, None);
    assert_eq!(read.status, status);

    // Rebuilt: the library's canonical form (two-space indent, CRLF), and the RFC's
    // document byte for byte once insignificant whitespace is out of both.
    let rebuilt = read.to_xml().unwrap();
    let expected = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\r\n  \
         <message-id>34jk324j</message-id>\r\n  \
         <datetime>2008-04-04T12:16:49-05:00</datetime>\r\n  \
         <recipient-uri>im:bob@example.com</recipient-uri>\r\n  \
         <original-recipient-uri>im:bob@example.com</original-recipient-uri>\r\n  \
         {notification_part}\r\n    </status>\r\n  </{}-notification>\r\n</imdn>\r\n",
        status.notification_name()
    );
    assert_eq!(rebuilt, expected);
    assert_eq!(squeezed(&rebuilt), squeezed(xml));

    // And the CPIM message around it, field by field (the library writes the
    // display names quoted, a DateTime, CRLF line ends and a real Content-Length).
    // The builder takes the SIP and tel URIs of CPM (OMA CPM 7.2.1.1), not the `im:`
    // URIs of the RFC's examples, so the same users are named by `sip:` here.
    assert!(CpimBuilder::new(
        "im:bob@example.com",
        "im:alice@example.com",
        SystemTime::UNIX_EPOCH,
        read.to_content().unwrap()
    )
    .write(&mut SequentialIds::new(1))
    .is_err());
    let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_207_329_409);
    let mut builder = CpimBuilder::new(
        "sip:bob@example.com",
        "sip:alice@example.com",
        sent_at,
        read.to_content().unwrap(),
    )
    .from_display_name(Some("Bob"))
    .to_display_name(Some("Alice"));
    builder = match own_id {
        Some(id) => builder.message_id(id),
        None => builder.without_imdn(),
    };
    let (bytes, written_id) = builder.write(&mut SequentialIds::new(1)).unwrap();
    assert_eq!(written_id.as_deref(), own_id);
    let again = CpimMessage::parse(&bytes).unwrap();
    assert_eq!(again.from().unwrap().uri, "sip:bob@example.com");
    assert_eq!(again.from().unwrap().display_name, Some("Bob"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with(
        "From: \"Bob\" <sip:bob@example.com>\r\nTo: \"Alice\" <sip:alice@example.com>\r\n"
    ));
    assert_eq!(again.to().next().unwrap().uri, "sip:alice@example.com");
    assert_eq!(again.date_time(), Some("2008-04-04T17:16:49.000Z"));
    assert_eq!(again.message_id(), own_id);
    assert!(is_notification(&again));
    assert_eq!(
        again.content_header("Content-Disposition"),
        Some("notification")
    );
    assert_eq!(again.content_length(), Some(expected.len() as u64));
    assert_eq!(again.content(), expected.as_bytes());
}

#[test]
fn every_notification_and_status_round_trips() {
    for status in ImdnStatus::ALL {
        let mut imdn = Imdn::new("m-1", status)
            .with_date_time("2026-11-24T10:15:00.000Z")
            .with_recipient_uri("sip:b@example.net")
            .with_original_recipient_uri("tel:+15550100002");
        imdn.subject = Some("Lunch <today> & \"tomorrow\"".into());
        let xml = imdn.to_xml().unwrap();
        assert!(xml.contains(&format!("<{}-notification>", status.notification_name())));
        assert!(xml.contains(&format!("<{}/>", status.status_name())));
        assert!(xml.contains("Lunch &lt;today&gt; &amp; &quot;tomorrow&quot;"));
        assert_eq!(Imdn::parse(xml.as_bytes()).unwrap(), imdn, "{status}");
        assert_eq!(
            ImdnStatus::from_names(status.notification_name(), status.status_name()),
            Some(status)
        );
        // The bare minimum reads back too.
        let bare = Imdn::new("x", status);
        assert_eq!(
            Imdn::parse(bare.to_xml().unwrap().as_bytes()).unwrap(),
            bare
        );
    }
    assert_eq!(
        ImdnStatus::ALL.map(ImdnStatus::answers)[..5],
        [
            Disposition::PositiveDelivery,
            Disposition::NegativeDelivery,
            Disposition::PositiveDelivery,
            Disposition::PositiveDelivery,
            Disposition::Display
        ]
    );
    let _ = (ProcessingStatus::Stored, DisplayStatus::Error);
}

#[test]
fn the_writer_refuses_what_xml_cannot_carry() {
    let imdn = Imdn::new("a\u{1}b", ImdnStatus::Delivery(DeliveryStatus::Delivered));
    assert!(imdn.to_xml().is_err());
}

#[test]
fn references_and_prefixes_read() {
    let xml = br#"<?xml version="1.0"?><i:imdn xmlns:i="urn:ietf:params:xml:ns:imdn"><i:message-id>a&amp;b&#x41;</i:message-id>
        <i:processing-notification><i:status><i:stored/></i:status></i:processing-notification><i:x-extension><y/></i:x-extension></i:imdn>"#;
    let imdn = Imdn::parse(xml).unwrap();
    assert_eq!(imdn.message_id, "a&bA");
    assert_eq!(
        imdn.status,
        ImdnStatus::Processing(ProcessingStatus::Stored)
    );
}

#[test]
fn wrong_documents_are_typed_errors() {
    let ns = r#"xmlns="urn:ietf:params:xml:ns:imdn""#;
    type Check = fn(&XmlBodyError) -> bool;
    let cases: [(String, Check); 7] = [
        (format!("<imdn {ns}><delivery-notification><status><delivered/></status></delivery-notification></imdn>"),
            |e| matches!(e, XmlBodyError::Missing("message-id"))),
        (format!("<imdn {ns}><message-id>a</message-id></imdn>"),
            |e| matches!(e, XmlBodyError::Missing(_))),
        (format!("<imdn {ns}><message-id>a</message-id><display-notification><status><stored/></status></display-notification></imdn>"),
            |e| matches!(e, XmlBodyError::BadValue { element: "status", .. })),
        ("<imdn xmlns=\"urn:other\"><message-id>a</message-id></imdn>".into(),
            |e| matches!(e, XmlBodyError::WrongNamespace { .. })),
        (format!("<isComposing {ns}/>"), |e| matches!(e, XmlBodyError::WrongRoot { .. })),
        (format!("<imdn {ns}><message-id>a</imdn>"), |e| matches!(e, XmlBodyError::Syntax { .. })),
        ("".into(), |e| matches!(e, XmlBodyError::WrongRoot { .. })),
    ];
    for (xml, expected) in cases {
        let error = Imdn::parse(xml.as_bytes()).expect_err(&xml);
        assert!(expected(&error), "{xml}: {error:?}");
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn hostile_xml_is_refused_with_bounded_work() {
    let ns = r#"xmlns="urn:ietf:params:xml:ns:imdn""#;
    // Entity declarations: never expanded.
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\
         <imdn {ns}><message-id>&lol2;</message-id></imdn>"
    );
    assert!(matches!(
        Imdn::parse(laughs.as_bytes()),
        Err(XmlBodyError::Doctype { .. })
    ));
    let external = format!(
        "<!DOCTYPE imdn SYSTEM \"file:///etc/passwd\"><imdn {ns}><message-id>a</message-id></imdn>"
    );
    assert!(matches!(
        Imdn::parse(external.as_bytes()),
        Err(XmlBodyError::Doctype { .. })
    ));
    // An undeclared entity.
    let undeclared = format!("<imdn {ns}><message-id>&xxe;</message-id></imdn>");
    assert!(matches!(
        Imdn::parse(undeclared.as_bytes()),
        Err(XmlBodyError::UnknownEntity { ref name, .. }) if name == "xxe"
    ));
    // Nesting 10,000 deep.
    let deep = format!("<imdn {ns}>{}", "<a>".repeat(10_000));
    assert!(matches!(
        Imdn::parse(deep.as_bytes()),
        Err(XmlBodyError::TooDeep { limit, .. }) if limit == MAX_XML_DEPTH
    ));
    // 1 MiB of text: refused before reading.
    let big = format!(
        "<imdn {ns}><message-id>{}</message-id></imdn>",
        "x".repeat(1 << 20)
    );
    assert_eq!(
        Imdn::parse(big.as_bytes()),
        Err(XmlBodyError::TooLarge {
            size: big.len(),
            limit: MAX_XML_BYTES
        })
    );
    // Many siblings.
    let wide = format!("<imdn {ns}>{}</imdn>", "<x/>".repeat(MAX_XML_ELEMENTS + 1));
    assert!(matches!(
        Imdn::parse(wide.as_bytes()),
        Err(XmlBodyError::TooManyElements { .. })
    ));
    // Bytes that are not UTF-8 or not XML at all give errors, never panics.
    for junk in [
        &b"\xff\xfe<\x00i"[..],
        b"<",
        b"<imdn",
        b"</imdn>",
        b"<a></b>",
        b"&",
    ] {
        assert!(Imdn::parse(junk).is_err());
    }
}

#[test]
fn content_headers_are_written_and_checked() {
    let content = Imdn::new("m", ImdnStatus::Display(DisplayStatus::Displayed))
        .to_content()
        .unwrap();
    let (bytes, _) = CpimBuilder::new(BOB, ALICE, SystemTime::UNIX_EPOCH, content)
        .write(&mut SequentialIds::new(1))
        .unwrap();
    let read = CpimMessage::parse(&bytes).unwrap();
    assert_eq!(
        read.content_header("Content-Disposition"),
        Some("notification")
    );
    assert_eq!(read.content_type_raw(), Some("message/imdn+xml"));
    assert!(is_notification(&read));
    for (name, value) in [
        ("Bad Name", "x"),
        ("X-Ok", "a\r\nInjected: 1"),
        ("content-length", "9"),
    ] {
        let content = Content::text("x").with_header(name, value);
        let built = CpimBuilder::new(BOB, ALICE, SystemTime::UNIX_EPOCH, content)
            .write(&mut SequentialIds::new(1));
        assert!(built.is_err(), "{name}: {value}");
    }
}

fn config(identity: &str, host: &str) -> ClientConfig {
    ClientConfig::new(
        identity,
        ContactAddress::new(host, 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
}

/// Bob's pager handler: answers each message that asks for delivery with an IMDN.
struct Bob {
    config: ClientConfig,
    notifications: Mutex<Vec<Vec<u8>>>,
}

impl PagerHandler for Bob {
    fn pager_message(&self, message: &PagerMessage<'_>) -> Decision {
        assert!(!message.is_notification());
        if message.asks_for(Disposition::PositiveDelivery) {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_301);
            let built = message
                .notification(ImdnStatus::Delivery(DeliveryStatus::Delivered), at)
                .unwrap()
                .build(&self.config, &mut SequentialIds::new(50))
                .unwrap();
            self.notifications
                .lock()
                .unwrap()
                .push(built.as_bytes().to_vec());
        }
        Decision::accept()
    }
}

/// Alice's notification handler: writes down what it hears.
#[derive(Default)]
struct Ticks(Mutex<Vec<(String, ImdnStatus)>>);

impl NotificationHandler for Ticks {
    fn notification(&self, n: &ImdnReceived<'_>) -> Decision {
        assert!(n.is_notification());
        self.0
            .lock()
            .unwrap()
            .push((n.notified_message_id().to_owned(), n.status()));
        Decision::accept()
    }
}

/// Alice's pager handler must never see a notification.
struct NoChat;

impl PagerHandler for NoChat {
    fn pager_message(&self, _: &PagerMessage<'_>) -> Decision {
        panic!("a notification reached pager_message")
    }
}

#[test]
fn a_pager_notification_goes_from_bob_back_to_alices_handler() {
    let alice = config(ALICE, "192.0.2.10");
    let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
    let message = Pager::new(BOB, Content::text("Hello, Bob!"), sent_at)
        .message_id("msg-0001")
        .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
        .build(&alice, &mut SequentialIds::new(1))
        .unwrap()
        .into_pager()
        .unwrap();

    let bob = Arc::new(Bob {
        config: config(BOB, "192.0.2.20"),
        notifications: Mutex::new(Vec::new()),
    });
    let bobs = Dispatcher::builder().pager(Arc::clone(&bob)).build();
    let outcome = bobs.dispatch(Bytes::copy_from_slice(message.as_bytes()));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    let notification = bob
        .notifications
        .lock()
        .unwrap()
        .pop()
        .expect("Bob notified");
    let text = String::from_utf8_lossy(&notification).into_owned();
    assert!(
        text.starts_with(&format!("MESSAGE {ALICE} SIP/2.0\r\n")),
        "{text}"
    );
    assert!(text.contains("Content-Type: message/cpim\r\n"));
    assert!(text.contains(&format!("From: <{BOB}>\r\nTo: <{ALICE}>\r\n")));
    assert!(text.contains("<datetime>2026-11-24T10:15:00.000Z</datetime>"));
    assert!(!text.contains("Disposition-Notification"));

    let ticks = Arc::new(Ticks::default());
    let alices = Dispatcher::builder()
        .pager(NoChat)
        .notifications(Arc::clone(&ticks))
        .build();
    let outcome = alices.dispatch(Bytes::from(notification.clone()));
    assert_eq!(outcome.route(), Some(Route::Pager));
    assert_eq!(outcome.handling(), &Handling::Handled);
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert_eq!(
        ticks.0.lock().unwrap().as_slice(),
        [(
            "msg-0001".to_owned(),
            ImdnStatus::Delivery(DeliveryStatus::Delivered)
        )]
    );

    // Without a notification handler: 200, dropped, the pager handler not called.
    let bare = Dispatcher::builder().pager(NoChat).build();
    let outcome = bare.dispatch(Bytes::from(notification));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert!(matches!(outcome.handling(), Handling::Dropped(_)));
}

#[test]
fn a_notification_that_does_not_read_is_answered_400() {
    let alice = config(ALICE, "192.0.2.10");
    let content = Content::new(
        "message/imdn+xml",
        "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>",
    )
    .with_header("Content-Disposition", "notification");
    let message = Pager::new(BOB, content, SystemTime::UNIX_EPOCH)
        .build(&alice, &mut SequentialIds::new(1))
        .unwrap()
        .into_pager()
        .unwrap();
    let ticks = Arc::new(Ticks::default());
    let d = Dispatcher::builder()
        .notifications(Arc::clone(&ticks))
        .build();
    let outcome = d.dispatch(Bytes::copy_from_slice(message.as_bytes()));
    let response = outcome.response().unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(ticks.0.lock().unwrap().is_empty());
}

#[test]
fn the_builder_fills_in_from_the_original() {
    let original = CpimMessage::parse(
        b"From: <sip:+15550100001@ims.example.net>\r\nTo: <sip:+15550100002@ims.example.net>\r\n\
          DateTime: 2026-11-24T10:15:00.000Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
          imdn.Message-ID: orig-1\r\n\r\nContent-Type: text/plain\r\n\r\nhi",
    )
    .unwrap();
    let m = ImdnMessage::for_message(
        &original,
        "sip:other@ims.example.net",
        Some(BOB),
        ImdnStatus::Display(DisplayStatus::Displayed),
        SystemTime::UNIX_EPOCH,
    )
    .unwrap()
    .message_id("note-1");
    assert_eq!(m.imdn().recipient_uri.as_deref(), Some(BOB));
    let built = m
        .build(&config(BOB, "192.0.2.20"), &mut SequentialIds::new(3))
        .unwrap();
    let text = String::from_utf8_lossy(built.as_bytes()).into_owned();
    // SIP goes to the given sender; the CPIM To is the original's CPIM From.
    assert!(text.starts_with("MESSAGE sip:other@ims.example.net SIP/2.0\r\n"));
    assert!(text.contains(&format!("To: <{ALICE}>\r\n")));
    assert!(text.contains("imdn.Message-ID: note-1\r\n"));
    assert!(text.contains("P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg\r\n"));

    let without_id =
        CpimMessage::parse(b"From: <sip:a@x.net>\r\n\r\nContent-Type: text/plain\r\n\r\nhi")
            .unwrap();
    assert!(ImdnMessage::for_message(
        &without_id,
        ALICE,
        None,
        ImdnStatus::Display(DisplayStatus::Displayed),
        SystemTime::UNIX_EPOCH
    )
    .is_err());
}

/// `cargo run --example cpm_compose -- imdn` prints a notification that the library
/// routes to the pager procedure and hands to the notification handler as delivered.
#[test]
fn the_compose_example_prints_a_notification_that_reads_back() {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "cpm_compose", "--", "imdn"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let ticks = Arc::new(Ticks::default());
    let d = Dispatcher::builder()
        .pager(NoChat)
        .notifications(Arc::clone(&ticks))
        .build();
    let outcome = d.dispatch(Bytes::from(output.stdout));
    assert_eq!(outcome.route(), Some(Route::Pager));
    assert_eq!(outcome.response().unwrap().status(), StatusCode::OK);
    assert_eq!(
        ticks.0.lock().unwrap().as_slice(),
        [(
            "34jk324j".to_owned(),
            ImdnStatus::Delivery(DeliveryStatus::Delivered)
        )]
    );
}

proptest::proptest! {
    /// No input makes either XML reader panic, and what the IMDN writer writes from
    /// any text reads back as written (trimmed, as the reader stores text).
    #[test]
    fn readers_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let _ = Imdn::parse(&bytes);
        let _ = cpm_client::iscomposing::IsComposing::parse(&bytes);
        let wrapped = [
            &b"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>"[..],
            &bytes,
            b"</message-id><display-notification><status><displayed/></status></display-notification></imdn>",
        ]
        .concat();
        let _ = Imdn::parse(&wrapped);
    }

    #[test]
    fn any_text_round_trips(id in "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]{1,40}", subject in "\\PC{0,40}") {
        let mut imdn = Imdn::new(&id, ImdnStatus::Display(DisplayStatus::Displayed));
        imdn.subject = Some(subject);
        if let Ok(xml) = imdn.to_xml() {
            let read = Imdn::parse(xml.as_bytes()).unwrap();
            proptest::prop_assert_eq!(read.message_id.as_str(), imdn.message_id.trim());
            proptest::prop_assert_eq!(read.subject.as_deref().unwrap_or(""), imdn.subject.as_deref().unwrap_or("").trim());
        }
    }
}
