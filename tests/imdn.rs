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
use cpm_client::outgoing::{ContactAddress, ImdnMessage, Pager, SequentialIds, Transport};
use cpm_client::{
    ClientConfig, Decision, Dispatcher, Handling, ImdnReceived, NotificationHandler, PagerHandler,
    PagerMessage, Route, StatusCode,
};

const ALICE: &str = "sip:+15550100001@ims.example.net";
const BOB: &str = "sip:+15550100002@ims.example.net";

/// RFC 5438 section 7.2.1.1: a message asking for delivery and display notifications
/// (the example's CPIM headers, written out here).
const RFC_REQUEST: &[u8] = b"From: Alice <im:alice@example.com>\r\n\
To: Bob <im:bob@example.com>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: 34jk324j\r\n\
DateTime: 2006-04-04T12:16:49-05:00\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\
\r\n\
Content-type: text/plain\r\n\
Content-length: 12\r\n\
\r\n\
Hello World\n";

/// RFC 5438 section 7.3 / 9: the delivery notification for that message, with the
/// example's line break inside the `original-recipient-uri` start tag.
const RFC_DELIVERY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<imdn xmlns="urn:ietf:params:xml:ns:imdn">
  <message-id>34jk324j</message-id>
  <datetime>2008-04-04T12:16:49-05:00</datetime>
  <recipient-uri>im:bob@example.com</recipient-uri>
  <original-recipient-uri
      >im:bob@example.com</original-recipient-uri>
  <subject>Project Tomorrow</subject>
  <delivery-notification>
    <status>
      <delivered/>
    </status>
  </delivery-notification>
</imdn>
"#;

/// RFC 5438 section 7.3: the display notification of the same exchange, in the
/// CPIM message that carries it.
const RFC_DISPLAY_CPIM: &str = "From: Bob <im:bob@example.com>\r\n\
To: Alice <im:alice@example.com>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: d834jied93rf\r\n\
DateTime: 2008-04-04T12:16:52-05:00\r\n\
\r\n\
Content-type: message/imdn+xml\r\n\
Content-Disposition: notification\r\n\
\r\n\
<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n\
  <message-id>34jk324j</message-id>\n\
  <datetime>2008-04-04T12:16:49-05:00</datetime>\n\
  <display-notification>\n\
    <status>\n\
      <displayed/>\n\
    </status>\n\
  </display-notification>\n\
</imdn>\n";

#[test]
fn rfc_request_reads_and_its_notification_names_it() {
    let request = CpimMessage::parse(RFC_REQUEST).expect("RFC 5438 7.2.1.1 reads");
    assert_eq!(request.message_id(), Some("34jk324j"));
    assert_eq!(request.date_time(), Some("2006-04-04T12:16:49-05:00"));
    let asked = request.disposition_notification().expect("asks for IMDNs");
    assert!(asked.contains(Disposition::PositiveDelivery));
    assert!(asked.contains(Disposition::Display));
    assert!(!is_notification(&request));

    // Rebuilt: the notification for it carries its id and DateTime.
    let imdn = Imdn::for_message(&request, ImdnStatus::Delivery(DeliveryStatus::Delivered))
        .unwrap()
        .with_recipient_uri("im:bob@example.com");
    let read = Imdn::parse(imdn.to_xml().unwrap().as_bytes()).unwrap();
    assert_eq!(read.message_id, "34jk324j");
    assert_eq!(read.date_time.as_deref(), Some("2006-04-04T12:16:49-05:00"));
    assert_eq!(read.recipient_uri.as_deref(), Some("im:bob@example.com"));
    assert_eq!(read, imdn);
}

#[test]
fn rfc_delivery_notification_reads_and_rebuilds() {
    let imdn = Imdn::parse(RFC_DELIVERY.as_bytes()).expect("RFC 5438 example reads");
    assert_eq!(imdn.message_id, "34jk324j");
    assert_eq!(imdn.date_time.as_deref(), Some("2008-04-04T12:16:49-05:00"));
    assert_eq!(imdn.recipient_uri.as_deref(), Some("im:bob@example.com"));
    assert_eq!(
        imdn.original_recipient_uri.as_deref(),
        Some("im:bob@example.com")
    );
    assert_eq!(imdn.subject.as_deref(), Some("Project Tomorrow"));
    assert_eq!(imdn.status, ImdnStatus::Delivery(DeliveryStatus::Delivered));
    let rebuilt = imdn.to_xml().unwrap();
    assert_eq!(Imdn::parse(rebuilt.as_bytes()).unwrap(), imdn);
    assert!(rebuilt.contains("<delivered/>"));
}

#[test]
fn rfc_display_notification_in_cpim_is_recognised() {
    let cpim = CpimMessage::parse(RFC_DISPLAY_CPIM.as_bytes()).expect("reads");
    assert!(is_notification(&cpim));
    let imdn = Imdn::parse(cpim.content()).unwrap();
    assert_eq!(imdn.status, ImdnStatus::Display(DisplayStatus::Displayed));
    assert_eq!(imdn.message_id, "34jk324j");
    assert_eq!(imdn.recipient_uri, None);
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
