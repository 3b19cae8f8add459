//! 7.1 registration (`outgoing::Registrant`) against a scripted registrar: digest
//! challenges (401, 407, MD5, SHA-256, stale nonces, refused credentials), 423 and
//! Min-Expires, the granted expiry, refresh timing on virtual `Instant`s,
//! de-registration, Service-Route; and the outbound proxy, route set, `rport` and
//! added headers of every outgoing request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cpm_client::outgoing::*;
use cpm_client::sip::DigestChallenge;
use cpm_client::{BuildError, IncomingRequest, StatusCode};
use md5::Md5;
use sha2::{Digest, Sha256};

const INSTANCE: &str = "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427";
const PASSWORD: &str = "Circle of Life";

fn config() -> ClientConfig {
    ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap()
    .with_instance(INSTANCE)
    .unwrap()
}

/// Credentials for realm `ims.example.net`, counting how often they are asked for.
fn credentials(
    password: &'static str,
) -> (
    impl Fn(&DigestChallenge) -> Option<DigestCredentials> + Send + 'static,
    Arc<AtomicUsize>,
) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let credentials = move |challenge: &DigestChallenge| {
        counter.fetch_add(1, Ordering::SeqCst);
        (challenge.realm() == "ims.example.net")
            .then(|| DigestCredentials::new("+15550100001@ims.example.net", password))
    };
    (credentials, asked)
}

fn registrant(password: &'static str) -> (Registrant, Arc<AtomicUsize>) {
    let (credentials, asked) = credentials(password);
    (
        Registrant::new(config(), credentials, SequentialIds::new(1)),
        asked,
    )
}

/// The registrar's answer to `register`: `status` and the extra header lines.
fn reply(register: &OutgoingRequest, status: &str, extra: &str) -> Bytes {
    Bytes::from(format!(
        "SIP/2.0 {status}\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=reg-1\r\nCall-ID: {}\r\n\
         CSeq: {} REGISTER\r\n{extra}Content-Length: 0\r\n\r\n",
        register.header("Via").unwrap(),
        register.header("From").unwrap(),
        register.header("To").unwrap(),
        register.call_id(),
        register.cseq(),
    ))
}

/// A 200 granting `expires` seconds on the Contact of `register`.
fn ok(register: &OutgoingRequest, expires: u32) -> Bytes {
    let contact = register.header("Contact").unwrap();
    reply(
        register,
        "200 OK",
        &format!("Contact: {contact};expires={expires}\r\n"),
    )
}

/// The parameters of a Digest credentials value.
fn digest_params(value: &str) -> BTreeMap<String, String> {
    let rest = value.strip_prefix("Digest ").expect("a Digest value");
    let mut out = BTreeMap::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=').unwrap();
        let (value, after) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap();
                (&quoted[..end], &quoted[end + 1..])
            }
            None => after.split_at(after.find(',').unwrap_or(after.len())),
        };
        out.insert(name.trim().to_owned(), value.to_owned());
        rest = after.trim_start_matches(',').trim_start();
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The registrar's check of an answer, written here from RFC 7616 3.4.1 with the
/// hash crates directly (qop=auth, no -sess).
fn verify(header: &str, method: &str, password: &str) -> BTreeMap<String, String> {
    let p = digest_params(header);
    let h = |text: String| -> String {
        match p["algorithm"].as_str() {
            "MD5" => hex(&Md5::digest(text.as_bytes())),
            "SHA-256" => hex(&Sha256::digest(text.as_bytes())),
            other => panic!("unexpected algorithm {other}"),
        }
    };
    let ha1 = h(format!("{}:{}:{password}", p["username"], p["realm"]));
    let ha2 = h(format!("{method}:{}", p["uri"]));
    let expected = h(format!(
        "{ha1}:{}:{}:{}:{}:{ha2}",
        p["nonce"], p["nc"], p["cnonce"], p["qop"]
    ));
    assert_eq!(p["response"], expected, "the digest of {header}");
    p
}

fn event(registrant: &mut Registrant) -> RegistrationEvent {
    registrant.poll_event().expect("an event")
}

#[test]
fn a_401_is_answered_with_md5_then_registered() {
    let (mut registrant, asked) = registrant(PASSWORD);
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    assert_eq!(registrant.state(), RegistrationState::Registering);
    assert!(first.header("Authorization").is_none());
    assert!(first.header("Via").unwrap().contains(";rport;branch="));
    registrant
        .handle_response(
            reply(
                &first,
                "401 Unauthorized",
                "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-1\", \
                 qop=\"auth\", algorithm=MD5, opaque=\"op\"\r\n",
            ),
            now,
        )
        .unwrap();
    assert_eq!(registrant.poll_event(), None);
    let second = registrant.poll_transmit().expect("the answer");
    assert_eq!(registrant.poll_transmit(), None);
    assert_eq!(second.call_id(), first.call_id());
    assert_eq!(second.from_tag(), first.from_tag());
    assert_eq!(second.cseq(), first.cseq() + 1);
    assert_ne!(second.branch(), first.branch());
    let p = verify(
        second.header("Authorization").unwrap(),
        "REGISTER",
        PASSWORD,
    );
    assert_eq!(p["username"], "+15550100001@ims.example.net");
    assert_eq!(p["uri"], "sip:ims.example.net");
    assert_eq!(p["nc"], "00000001");
    assert_eq!(p["opaque"], "op");
    assert_eq!(asked.load(Ordering::SeqCst), 1);

    registrant.handle_response(ok(&second, 600), now).unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Registered { expires: 600 }
    );
    assert_eq!(registrant.state(), RegistrationState::Registered);
    assert_eq!(
        registrant.expires_at(),
        Some(now + Duration::from_secs(600))
    );
}

#[test]
fn the_strongest_challenge_is_answered_with_sha_256() {
    let (mut registrant, asked) = registrant(PASSWORD);
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    registrant
        .handle_response(
            reply(
                &first,
                "401 Unauthorized",
                "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-md5\", qop=auth\r\n\
                 WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-sha\", qop=auth, \
                 algorithm=SHA-256\r\n",
            ),
            now,
        )
        .unwrap();
    let second = registrant.poll_transmit().unwrap();
    let p = verify(
        second.header("Authorization").unwrap(),
        "REGISTER",
        PASSWORD,
    );
    assert_eq!(
        (p["algorithm"].as_str(), p["nonce"].as_str()),
        ("SHA-256", "n-sha")
    );
    assert_eq!(
        second
            .headers()
            .filter(|(n, _)| *n == "Authorization")
            .count(),
        1,
        "one answer per realm"
    );
    registrant.handle_response(ok(&second, 3600), now).unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Registered { expires: 3600 }
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[test]
fn a_407_is_answered_with_proxy_authorization() {
    let (mut registrant, _) = registrant(PASSWORD);
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    registrant
        .handle_response(
            reply(
                &first,
                "407 Proxy Authentication Required",
                "Proxy-Authenticate: Digest realm=\"ims.example.net\", nonce=\"p-1\", qop=auth\r\n",
            ),
            now,
        )
        .unwrap();
    let second = registrant.poll_transmit().unwrap();
    assert!(second.header("Authorization").is_none());
    verify(
        second.header("Proxy-Authorization").unwrap(),
        "REGISTER",
        PASSWORD,
    );
    registrant.handle_response(ok(&second, 600), now).unwrap();
    assert!(matches!(
        event(&mut registrant),
        RegistrationEvent::Registered { .. }
    ));
}

/// Registers through one 401 and returns the registrant, its counter and the
/// REGISTER that the 200 answered.
fn registered(expires: u32, now: Instant) -> (Registrant, Arc<AtomicUsize>, OutgoingRequest) {
    let (mut registrant, asked) = registrant(PASSWORD);
    let first = registrant.start(now).unwrap();
    registrant
        .handle_response(
            reply(
                &first,
                "401 Unauthorized",
                "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-1\", qop=auth\r\n",
            ),
            now,
        )
        .unwrap();
    let second = registrant.poll_transmit().unwrap();
    registrant
        .handle_response(ok(&second, expires), now)
        .unwrap();
    assert!(matches!(
        event(&mut registrant),
        RegistrationEvent::Registered { .. }
    ));
    (registrant, asked, second)
}

#[test]
fn a_stale_nonce_is_answered_again_without_asking_the_application() {
    let now = Instant::now();
    let (mut registrant, asked, last) = registered(600, now);
    let due = registrant.poll_timeout().unwrap();
    registrant.handle_timeout(due);
    let refresh = registrant.poll_transmit().unwrap();
    assert_eq!(registrant.state(), RegistrationState::Refreshing);
    assert_eq!(refresh.cseq(), last.cseq() + 1);
    // The refresh carries the last answer again, the nonce count up.
    let p = verify(
        refresh.header("Authorization").unwrap(),
        "REGISTER",
        PASSWORD,
    );
    assert_eq!((p["nonce"].as_str(), p["nc"].as_str()), ("n-1", "00000002"));
    registrant
        .handle_response(
            reply(
                &refresh,
                "401 Unauthorized",
                "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-2\", qop=auth, \
                 stale=true\r\n",
            ),
            due,
        )
        .unwrap();
    let again = registrant.poll_transmit().unwrap();
    let p = verify(again.header("Authorization").unwrap(), "REGISTER", PASSWORD);
    assert_eq!((p["nonce"].as_str(), p["nc"].as_str()), ("n-2", "00000001"));
    assert_eq!(asked.load(Ordering::SeqCst), 1, "not asked again");
    registrant.handle_response(ok(&again, 600), due).unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Refreshed { expires: 600 }
    );
    assert_eq!(registrant.state(), RegistrationState::Registered);
}

#[test]
fn a_wrong_password_fails_on_the_second_401() {
    for second_nonce in ["n-1", "n-other"] {
        let (mut registrant, asked) = registrant("wrong password");
        let now = Instant::now();
        let first = registrant.start(now).unwrap();
        registrant
            .handle_response(
                reply(
                    &first,
                    "401 Unauthorized",
                    "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n-1\", qop=auth\r\n",
                ),
                now,
            )
            .unwrap();
        let second = registrant.poll_transmit().unwrap();
        registrant
            .handle_response(
                reply(
                    &second,
                    "401 Unauthorized",
                    &format!(
                        "WWW-Authenticate: Digest realm=\"ims.example.net\", \
                         nonce=\"{second_nonce}\", qop=auth\r\n"
                    ),
                ),
                now,
            )
            .unwrap();
        assert_eq!(
            event(&mut registrant),
            RegistrationEvent::Failed {
                status: StatusCode::UNAUTHORIZED,
                reason: RegistrationFailure::CredentialsRejected
            },
            "{second_nonce}"
        );
        assert_eq!(registrant.poll_transmit(), None, "no third REGISTER");
        assert_eq!(registrant.state(), RegistrationState::Failed);
        assert_eq!(registrant.poll_timeout(), None);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn challenges_without_credentials_or_support_fail() {
    let now = Instant::now();
    for (challenge, reason) in [
        (
            "WWW-Authenticate: Digest realm=\"elsewhere.example\", nonce=\"n\"\r\n",
            RegistrationFailure::NoCredentials {
                realm: "elsewhere.example".into(),
            },
        ),
        (
            "WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"n\", algorithm=AKAv1-MD5\r\n",
            RegistrationFailure::Challenge(cpm_client::sip::DigestError::UnsupportedAlgorithm(
                "AKAv1-MD5".into(),
            )),
        ),
        (
            "",
            RegistrationFailure::Challenge(cpm_client::sip::DigestError::NoChallenge),
        ),
    ] {
        let (mut registrant, _) = registrant(PASSWORD);
        let first = registrant.start(now).unwrap();
        registrant
            .handle_response(reply(&first, "401 Unauthorized", challenge), now)
            .unwrap();
        assert_eq!(
            event(&mut registrant),
            RegistrationEvent::Failed {
                status: StatusCode::UNAUTHORIZED,
                reason
            }
        );
        assert_eq!(registrant.poll_transmit(), None);
    }
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let (secret, _) = credentials(PASSWORD);
    let mut registrant = Registrant::new(config(), secret, SequentialIds::new(1)).with_expires(60);
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    assert_eq!(first.header("Expires"), Some("60"));
    registrant
        .handle_response(
            reply(&first, "423 Interval Too Brief", "Min-Expires: 1800\r\n"),
            now,
        )
        .unwrap();
    let second = registrant.poll_transmit().unwrap();
    assert_eq!(second.header("Expires"), Some("1800"));
    assert_eq!(second.cseq(), first.cseq() + 1);
    assert_eq!(second.call_id(), first.call_id());
    registrant
        .handle_response(reply(&second, "200 OK", "Expires: 1800\r\n"), now)
        .unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Registered { expires: 1800 }
    );

    // Without a usable Min-Expires, the 423 ends it.
    for extra in ["", "Min-Expires: 30\r\n", "Min-Expires: soon\r\n"] {
        let (secret, _) = credentials(PASSWORD);
        let mut registrant =
            Registrant::new(config(), secret, SequentialIds::new(1)).with_expires(60);
        let first = registrant.start(now).unwrap();
        registrant
            .handle_response(reply(&first, "423 Interval Too Brief", extra), now)
            .unwrap();
        assert_eq!(
            event(&mut registrant),
            RegistrationEvent::Failed {
                status: StatusCode::INTERVAL_TOO_BRIEF,
                reason: RegistrationFailure::IntervalTooBrief
            },
            "{extra:?}"
        );
    }
}

#[test]
fn the_granted_expiry_is_our_contacts_then_the_expires_header() {
    let now = Instant::now();
    let cases = [
        // Our Contact's expires wins over the Expires header.
        (
            "Contact: <sip:other@192.0.2.99>;expires=50\r\n\
             Contact: <sip:+15550100001@192.0.2.10:5060;transport=tcp>;+sip.instance=\"<URN:UUID:1b4e28ba-2fa1-11d2-883f-0016d3cca427>\";expires=300\r\n\
             Expires: 900\r\n",
            300,
        ),
        // One Contact line listing two bindings.
        (
            "Contact: <sip:other@192.0.2.99>;+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-000000000000>\";expires=50, \
             <sip:x@192.0.2.10>;+sip.instance=\"<urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427>\";expires=120\r\n",
            120,
        ),
        // Only other devices' bindings: the Expires header.
        (
            "Contact: <sip:other@192.0.2.99>;expires=50\r\nExpires: 900\r\n",
            900,
        ),
        // Nothing said: what was asked.
        ("", 3600),
    ];
    for (extra, expected) in cases {
        let (mut registrant, _) = registrant(PASSWORD);
        let first = registrant.start(now).unwrap();
        registrant
            .handle_response(reply(&first, "200 OK", extra), now)
            .unwrap();
        assert_eq!(
            event(&mut registrant),
            RegistrationEvent::Registered { expires: expected },
            "{extra}"
        );
    }
    // A binding of 0 seconds binds nothing.
    let (mut registrant, _) = registrant(PASSWORD);
    let first = registrant.start(now).unwrap();
    registrant.handle_response(ok(&first, 0), now).unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Failed {
            status: StatusCode::OK,
            reason: RegistrationFailure::NotBound
        }
    );
}

#[test]
fn refreshes_are_scheduled_before_expiry_on_virtual_time() {
    let t0 = Instant::now();
    for (granted, refresh_after) in [(3600, 3000), (1201, 601), (1200, 600), (600, 300), (1, 1)] {
        let (mut registrant, _, last) = registered(granted, t0);
        let due = t0 + Duration::from_secs(refresh_after);
        assert_eq!(registrant.poll_timeout(), Some(due), "{granted}");
        // Early: nothing.
        registrant.handle_timeout(due - Duration::from_millis(1));
        assert_eq!(registrant.poll_transmit(), None);
        registrant.handle_timeout(due);
        let refresh = registrant.poll_transmit().expect("the refresh");
        assert_eq!(registrant.poll_timeout(), None, "none while refreshing");
        // RFC 3261 10.2.4: same Call-ID and From tag, next CSeq.
        assert_eq!(refresh.call_id(), last.call_id());
        assert_eq!(refresh.from_tag(), last.from_tag());
        assert_eq!(refresh.cseq(), last.cseq() + 1);
        assert_eq!(refresh.header("Expires"), Some("3600"));
        // The next cycle is counted from the refresh's answer.
        registrant.handle_response(ok(&refresh, 1800), due).unwrap();
        assert_eq!(
            event(&mut registrant),
            RegistrationEvent::Refreshed { expires: 1800 }
        );
        assert_eq!(
            registrant.poll_timeout(),
            Some(due + Duration::from_secs(1200))
        );
    }
}

#[test]
fn deregistration_sends_expires_0() {
    let now = Instant::now();
    let (mut registrant, _, last) = registered(600, now);
    let gone = registrant.unregister(now).unwrap().expect("sent now");
    assert_eq!(gone.header("Expires"), Some("0"));
    assert_eq!(gone.cseq(), last.cseq() + 1);
    assert_eq!(gone.call_id(), last.call_id());
    assert!(gone.header("Contact").unwrap().contains(INSTANCE));
    assert!(
        gone.header("Authorization").is_some(),
        "the last credentials ride along"
    );
    assert_eq!(registrant.state(), RegistrationState::Unregistering);
    assert_eq!(registrant.poll_timeout(), None);
    registrant.handle_response(ok(&gone, 0), now).unwrap();
    assert_eq!(event(&mut registrant), RegistrationEvent::Deregistered);
    assert_eq!(registrant.state(), RegistrationState::Unregistered);
    assert_eq!(registrant.poll_timeout(), None);
    assert_eq!(registrant.expires_at(), None);

    // Asked while a refresh is in progress: it follows the refresh's answer.
    let (mut registrant, _, _) = registered(600, now);
    registrant.handle_timeout(registrant.poll_timeout().unwrap());
    let refresh = registrant.poll_transmit().unwrap();
    assert_eq!(
        registrant.start(now).unwrap_err(),
        RegistrantError::InProgress
    );
    assert_eq!(registrant.unregister(now).unwrap(), None);
    registrant.handle_response(ok(&refresh, 600), now).unwrap();
    assert!(matches!(
        event(&mut registrant),
        RegistrationEvent::Refreshed { .. }
    ));
    let gone = registrant
        .poll_transmit()
        .expect("the deferred de-registration");
    assert_eq!(gone.header("Expires"), Some("0"));
    assert_eq!(gone.cseq(), refresh.cseq() + 1);
    assert_eq!(registrant.poll_timeout(), None);
}

#[test]
fn service_route_becomes_the_route_set_of_later_requests() {
    let config = config()
        .with_outbound_proxy("sip:pcscf.ims.example.net:5060;lr")
        .unwrap();
    let (credentials, _) = credentials(PASSWORD);
    let mut registrant = Registrant::new(config, credentials, SequentialIds::new(1));
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    // REGISTER goes to the outbound proxy, without the (not yet known) route set.
    assert_eq!(
        first
            .headers()
            .filter(|(n, _)| *n == "Route")
            .collect::<Vec<_>>(),
        [("Route", "<sip:pcscf.ims.example.net:5060;lr>")]
    );
    assert_eq!(first.next_hop(), "sip:pcscf.ims.example.net:5060;lr");
    let contact = first.header("Contact").unwrap();
    registrant
        .handle_response(
            reply(
                &first,
                "200 OK",
                &format!(
                    "Contact: {contact};expires=600\r\n\
                     Service-Route: <sip:orig@scscf.ims.example.net;lr>, <sip:as.ims.example.net;lr>\r\n\
                     Service-Route: <sip:last.ims.example.net;lr>\r\n"
                ),
            ),
            now,
        )
        .unwrap();
    assert_eq!(
        registrant.service_route(),
        [
            "<sip:orig@scscf.ims.example.net;lr>",
            "<sip:as.ims.example.net;lr>",
            "<sip:last.ims.example.net;lr>"
        ]
    );
    let config = registrant
        .config()
        .clone()
        .with_route_set(registrant.service_route())
        .unwrap();
    let message = Pager::new(
        "sip:+15550100002@ims.example.net",
        Content::text("Hi"),
        std::time::SystemTime::UNIX_EPOCH,
    )
    .build(&config, &mut SequentialIds::new(5))
    .unwrap()
    .into_pager()
    .unwrap();
    let read = IncomingRequest::parse(message.bytes()).unwrap();
    let routes: Vec<&[u8]> = read.header_values("Route").collect();
    assert_eq!(
        routes,
        [
            &b"<sip:pcscf.ims.example.net:5060;lr>"[..],
            b"<sip:orig@scscf.ims.example.net;lr>",
            b"<sip:as.ims.example.net;lr>",
            b"<sip:last.ims.example.net;lr>",
        ]
    );
    assert_eq!(message.next_hop(), "sip:pcscf.ims.example.net:5060;lr");
    assert_eq!(read.request_uri(), b"sip:+15550100002@ims.example.net");
    // A later REGISTER still carries only the outbound proxy (RFC 3608 section 5).
    let refresh = Registration::refresh_of(&first)
        .build(&config, &mut SequentialIds::new(9))
        .unwrap();
    assert_eq!(refresh.headers().filter(|(n, _)| *n == "Route").count(), 1);
}

#[test]
fn responses_to_other_requests_are_ignored() {
    let (mut registrant, _) = registrant(PASSWORD);
    let now = Instant::now();
    let first = registrant.start(now).unwrap();
    let good = String::from_utf8(ok(&first, 600).to_vec()).unwrap();
    for (bad, why) in [
        (good.replace(first.branch(), "z9hG4bK-other"), "Via branch"),
        (good.replace(first.call_id(), "another-call"), "Call-ID"),
        (good.replace("CSeq: 1 REGISTER", "CSeq: 7 REGISTER"), "CSeq"),
        (good.replace("CSeq: 1 REGISTER", "CSeq: 1 INVITE"), "CSeq"),
    ] {
        assert_eq!(
            registrant.handle_response(Bytes::from(bad), now),
            Err(RegistrantError::NotOurs(why))
        );
    }
    assert!(matches!(
        registrant.handle_response(Bytes::from_static(b"garbage"), now),
        Err(RegistrantError::Parse(_))
    ));
    // A provisional response changes nothing.
    registrant
        .handle_response(reply(&first, "100 Trying", ""), now)
        .unwrap();
    assert_eq!(registrant.state(), RegistrationState::Registering);
    assert_eq!(registrant.poll_event(), None);
    registrant.handle_response(ok(&first, 600), now).unwrap();
    assert!(matches!(
        event(&mut registrant),
        RegistrationEvent::Registered { .. }
    ));
    // A retransmitted 200 after the transaction ended is not ours any more.
    assert_eq!(
        registrant.handle_response(ok(&first, 600), now),
        Err(RegistrantError::NotOurs("no REGISTER is in progress"))
    );
}

#[test]
fn refusals_and_silence_fail() {
    let now = Instant::now();
    let (mut registrant, _) = registrant(PASSWORD);
    let first = registrant.start(now).unwrap();
    registrant
        .handle_response(reply(&first, "403 Forbidden", ""), now)
        .unwrap();
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Failed {
            status: StatusCode::FORBIDDEN,
            reason: RegistrationFailure::Rejected
        }
    );
    // Starting again keeps the Call-ID and takes the next CSeq.
    let again = registrant.start(now).unwrap();
    assert_eq!(again.call_id(), first.call_id());
    assert_eq!(again.cseq(), first.cseq() + 1);
    registrant.handle_no_response(now);
    assert_eq!(
        event(&mut registrant),
        RegistrationEvent::Failed {
            status: StatusCode::REQUEST_TIMEOUT,
            reason: RegistrationFailure::NoResponse
        }
    );
    // A configuration without +sip.instance cannot register.
    let plain = ClientConfig::new(
        "sip:+15550100001@ims.example.net",
        ContactAddress::new("192.0.2.10", 5060, Transport::Tcp).unwrap(),
    )
    .unwrap();
    let (credentials, _) = credentials(PASSWORD);
    let mut registrant = Registrant::new(plain, credentials, SequentialIds::new(1));
    assert!(matches!(
        registrant.start(now),
        Err(RegistrantError::Build(BuildError::Missing {
            field: "instance",
            ..
        }))
    ));
}

#[test]
fn added_headers_are_checked_against_injection() {
    let config = config();
    let ids = &mut SequentialIds::new(1);
    let register = Registration::new()
        .extra_header(
            "Security-Client",
            "ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2",
        )
        .extra_header("Route", "<sip:extra.example.net;lr>")
        .extra_header("Authorization", "Digest username=\"u\", realm=\"r\"")
        .build(&config, ids)
        .unwrap();
    let read = IncomingRequest::parse(register.bytes()).unwrap();
    assert_eq!(
        read.header("Security-Client").unwrap().value(),
        b"ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2"
    );
    assert_eq!(
        read.header("Route").unwrap().value(),
        b"<sip:extra.example.net;lr>"
    );
    assert_eq!(register.next_hop(), "sip:extra.example.net;lr");
    let names: Vec<&str> = register.headers().map(|(n, _)| n).collect();
    let at = |name| names.iter().position(|n| *n == name).unwrap();
    assert!(
        at("Route") < at("From"),
        "Route lines come after Max-Forwards"
    );
    assert!(at("Authorization") < at("User-Agent"));

    for (name, value, expected) in [
        (
            "Authorization",
            "Digest x\r\nVia: SIP/2.0/UDP evil",
            BuildError::ControlCharacter {
                field: "Authorization",
            },
        ),
        (
            "X-Thing",
            "a\u{0}b",
            BuildError::ControlCharacter {
                field: "header value",
            },
        ),
    ] {
        assert_eq!(
            Registration::new()
                .extra_header(name, value)
                .build(&config, ids),
            Err(expected)
        );
    }
    for (name, value) in [
        ("Bad Name", "x"),
        ("Bad:Name", "x"),
        ("", "x"),
        ("Via", "SIP/2.0/UDP evil;branch=z9hG4bK1"),
        ("v", "SIP/2.0/UDP evil;branch=z9hG4bK1"),
        ("call-id", "x"),
        ("Content-Length", "5"),
        ("Expires", "1"),
        ("Route", "not an address>"),
        ("X-Empty", "  "),
    ] {
        assert!(
            matches!(
                Registration::new()
                    .extra_header(name, value)
                    .build(&config, ids),
                Err(BuildError::InvalidValue { .. })
            ),
            "{name}: {value}"
        );
    }
    // A CPM builder's own headers are its own too.
    assert!(matches!(
        Pager::new(
            "sip:b@example.net",
            Content::text("x"),
            std::time::SystemTime::UNIX_EPOCH
        )
        .extra_header("Conversation-ID", "x")
        .build(&config, ids),
        Err(BuildError::InvalidValue { .. })
    ));
}

#[test]
fn outbound_proxy_and_route_set_are_checked() {
    for bad in [
        "sip:pcscf.example.net",
        "tel:+1555",
        "sip:pcscf.example.net;lr?x=y",
        "sip:p cscf;lr",
    ] {
        assert!(config().with_outbound_proxy(bad).is_err(), "{bad}");
    }
    assert!(config()
        .with_outbound_proxy("sips:pcscf.example.net:5061;transport=tls;lr")
        .is_ok());
    for bad in [
        "<sip:a;lr>\r\nVia: x",
        "no address",
        "<tel:+1555>",
        "<http://example.net>",
    ] {
        assert!(config().with_route_set([bad]).is_err(), "{bad:?}");
    }
    let set = config()
        .with_route_set(["<sip:a.example.net;lr>", " <sip:b.example.net;lr>;x=1 "])
        .unwrap();
    assert_eq!(
        set.route_set(),
        ["<sip:a.example.net;lr>", "<sip:b.example.net;lr>;x=1"]
    );
    assert!(set
        .with_route_set::<[&str; 0], &str>([])
        .unwrap()
        .route_set()
        .is_empty());
}
