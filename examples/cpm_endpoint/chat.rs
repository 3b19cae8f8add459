//! The content of chat sessions (OMA CPM 7.3.2) and deferred group sessions (7.3.11)
//! as the endpoint reads it, with the library's readers: a CPIM message (RFC 3862)
//! holding an IMDN (RFC 5438) prints `imdn <disposition> message-id=<id>
//! status=<status>`, one holding an is-composing indication (RFC 3994) prints
//! `is-composing <state>`, the same lines as in pager mode (`around.rs`); both may
//! also come bare. A chat message of a one-to-one session whose
//! `imdn.Disposition-Notification` asks for `positive-delivery` is answered with an
//! IMDN `delivered` inside the same session (RFC 5438 section 7.2.1.1, which OMA CPM
//! 7.3.2 applies to session mode), unless `--no-imdn`.
//!
//! A deferred group session is offered `a=sendonly` by the focus (7.3.11): nothing is
//! sent back in it, so its messages get no notification from here.

use std::sync::OnceLock;
use std::time::SystemTime;

use cpm_client::cpim::{CpimBuilder, CpimMessage, Disposition};
use cpm_client::imdn::{is_notification, DeliveryStatus, Imdn, ImdnStatus, IMDN_CONTENT_TYPE};
use cpm_client::iscomposing::{ComposingState, IsComposing, ISCOMPOSING_CONTENT_TYPE};
use cpm_client::mime::MediaType;
use cpm_client::outgoing::RandomIds;

use crate::msrp::print_line;

/// The largest message whose content is read (a chat message is small; a larger one
/// is still hashed and printed, its content not read).
pub const MAX_READ: usize = 1 << 20;

/// What the receiving sessions need to answer: this user's identity (the CPIM From
/// of an IMDN, and its `recipient-uri`) and whether to answer at all (`--no-imdn`).
struct Settings {
    identity: String,
    answer_delivery: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Sets, once, who this endpoint is and whether it answers delivery requests.
pub fn configure(identity: &str, answer_delivery: bool) {
    let _ = SETTINGS.set(Settings {
        identity: identity.to_owned(),
        answer_delivery,
    });
}

/// The line printed for a notification, in pager mode and in a session alike.
pub fn imdn_line(status: ImdnStatus, notified: &str) -> String {
    let kind = match status {
        ImdnStatus::Delivery(_) => "delivered",
        ImdnStatus::Display(_) => "displayed",
        ImdnStatus::Processing(_) => "processed",
    };
    format!(
        "imdn {kind} message-id={notified} status={}",
        status.status_name()
    )
}

/// The line printed for an is-composing indication.
pub fn composing_line(state: ComposingState) -> &'static str {
    match state {
        ComposingState::Active => "is-composing active",
        ComposingState::Idle => "is-composing idle",
    }
}

/// What a whole message of a session turned out to hold.
pub enum Content {
    /// An IMDN, read.
    Notification(Imdn),
    /// An is-composing indication, read.
    Composing(IsComposing),
    /// A chat message; `answer` is the CPIM message of the IMDN `delivered` to send
    /// back in the session (when it asks for one, `--no-imdn` is off and `answer` was
    /// wanted), with the `imdn.Message-ID` it is about.
    Chat { answer: Option<(Vec<u8>, String)> },
    /// Something that does not read as what its type says (said on stderr).
    Unreadable,
}

/// Reads a whole message of MSRP type `content_type`; `peer` is the other party's
/// URI, the CPIM `To` of an answer when the message has no CPIM `From`. `answering`:
/// whether an IMDN may be sent back in this session.
pub fn read(content_type: &str, body: &[u8], peer: &str, answering: bool) -> Content {
    let Ok(media) = MediaType::parse(content_type) else {
        return Content::Unreadable;
    };
    if media.is(ISCOMPOSING_CONTENT_TYPE) {
        return composing(body);
    }
    if media.is(IMDN_CONTENT_TYPE) {
        return notification(body);
    }
    if !media.is("message/cpim") {
        // A bare message (RFC 4975 allows one of any accepted type): no envelope.
        return Content::Chat { answer: None };
    }
    let cpim = match CpimMessage::parse(body) {
        Ok(cpim) => cpim,
        Err(e) => {
            eprintln!("cpm_endpoint: MSRP message/cpim does not read: {e}");
            return Content::Unreadable;
        }
    };
    if cpim
        .content_type()
        .is_some_and(|t| t.is(ISCOMPOSING_CONTENT_TYPE))
    {
        return composing(cpim.content());
    }
    if is_notification(&cpim) {
        return notification(cpim.content());
    }
    let settings = SETTINGS.get();
    let wanted = answering
        && settings.is_some_and(|s| s.answer_delivery)
        && cpim
            .disposition_notification()
            .is_some_and(|d| d.contains(Disposition::PositiveDelivery));
    let answer = match settings.filter(|_| wanted) {
        Some(settings) => match delivered(&cpim, &settings.identity, peer) {
            Ok(answer) => Some(answer),
            Err(e) => {
                eprintln!("cpm_endpoint: no IMDN in the session: {e}");
                None
            }
        },
        None => None,
    };
    Content::Chat { answer }
}

/// The IMDN `delivered` about `message`, in CPIM from `identity` to its author.
fn delivered(
    message: &CpimMessage<'_>,
    identity: &str,
    peer: &str,
) -> Result<(Vec<u8>, String), cpm_client::BuildError> {
    let status = ImdnStatus::Delivery(DeliveryStatus::Delivered);
    let imdn = Imdn::for_message(message, status)?.with_recipient_uri(identity);
    let to = message.from().map_or(peer, |a| a.uri);
    let (bytes, _) = CpimBuilder::new(identity, to, SystemTime::now(), imdn.to_content()?)
        .write(&mut RandomIds::new())?;
    Ok((bytes, imdn.message_id))
}

fn composing(body: &[u8]) -> Content {
    match IsComposing::parse(body) {
        Ok(indication) => Content::Composing(indication),
        Err(e) => {
            eprintln!("cpm_endpoint: is-composing indication does not read: {e}");
            Content::Unreadable
        }
    }
}

fn notification(body: &[u8]) -> Content {
    match Imdn::parse(body) {
        Ok(imdn) => Content::Notification(imdn),
        Err(e) => {
            eprintln!("cpm_endpoint: IMDN does not read: {e}");
            Content::Unreadable
        }
    }
}

/// Prints the line of a notification or an indication; `true` for a notification.
pub fn print(content: &Content) -> bool {
    match content {
        Content::Notification(imdn) => {
            print_line(&imdn_line(imdn.status, &imdn.message_id));
            true
        }
        Content::Composing(indication) => {
            print_line(composing_line(indication.state));
            false
        }
        _ => false,
    }
}
