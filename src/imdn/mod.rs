//! IMDN (RFC 5438): the `message/imdn+xml` notification document, read and written,
//! and the CPIM message that carries one.
//!
//! - [`Imdn`] is one notification: the notified `message-id` and `datetime`,
//!   `recipient-uri` / `original-recipient-uri` when present, and what happened, an
//!   [`ImdnStatus`] (delivery, display or processing, each with its statuses: RFC 5438).
//! - [`Imdn::parse`] reads one with a bounded XML pull reader: a DTD or entity
//!   declaration, nesting past [`MAX_XML_DEPTH`], a body over [`MAX_XML_BYTES`] are
//!   refused with an [`XmlBodyError`] before any real work is done.
//! - [`Imdn::to_xml`] writes one, escaped; [`Imdn::to_content`] makes it the
//!   [`Content`] of a CPIM message with `Content-Disposition: notification` (RFC 5438), and [`Imdn::for_message`] fills one in for a received CPIM
//!   message.
//! - [`is_notification`] tells whether a CPIM message carries an IMDN.
//!
//! ```
//! use cpm_client::imdn::{DeliveryStatus, Imdn, ImdnStatus};
//!
//! let imdn = Imdn::new("34jk324j", ImdnStatus::Delivery(DeliveryStatus::Delivered))
//!     .with_date_time("2008-04-04T12:16:49-05:00");
//! let xml = imdn.to_xml()?;
//! let read = Imdn::parse(xml.as_bytes()).expect("what the writer wrote reads back");
//! assert_eq!(read, imdn);
//! assert_eq!(read.status.to_string(), "delivery delivered");
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

use std::fmt;

mod xml;

pub(crate) use xml::{escape, read_tree};
pub use xml::{XmlBodyError, MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS};

use crate::cpim::{Content, CpimMessage, Disposition};
use crate::error::BuildError;
use crate::mime::MediaType;

/// The namespace of the IMDN document (RFC 5438).
pub const IMDN_XML_NS: &str = "urn:ietf:params:xml:ns:imdn";
/// The media type of the IMDN document.
pub const IMDN_CONTENT_TYPE: &str = "message/imdn+xml";

/// The statuses of a delivery notification (RFC 5438: `delivered`,
/// `failed`, `forbidden` and `error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// The message reached the recipient's device.
    Delivered,
    /// It could not be delivered (answers a `negative-delivery` request).
    Failed,
    /// Policy forbids telling (for example a list server's).
    Forbidden,
    /// The notification request itself was in error.
    Error,
}

/// The statuses of a display notification (RFC 5438: `displayed`,
/// `forbidden` and `error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayStatus {
    /// The message was shown to the user.
    Displayed,
    /// Policy forbids telling.
    Forbidden,
    /// The notification request itself was in error.
    Error,
}

/// The statuses of a processing notification (RFC 5438: `processed`,
/// `stored`, `forbidden` and `error`): what an intermediary did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessingStatus {
    /// An intermediary (a list exploder, a store) processed the message.
    Processed,
    /// The message was stored for later delivery.
    Stored,
    /// Policy forbids telling.
    Forbidden,
    /// The notification request itself was in error.
    Error,
}

/// What an IMDN reports: which notification (the element `delivery-notification`,
/// `display-notification` or `processing-notification`) and its status element.
///
/// ```
/// use cpm_client::cpim::Disposition;
/// use cpm_client::imdn::{DeliveryStatus, ImdnStatus};
///
/// let failed = ImdnStatus::from_names("delivery", "failed").unwrap();
/// assert_eq!(failed, ImdnStatus::Delivery(DeliveryStatus::Failed));
/// assert_eq!(failed.answers(), Disposition::NegativeDelivery);
/// assert_eq!((failed.notification_name(), failed.status_name()), ("delivery", "failed"));
/// assert_eq!(ImdnStatus::from_names("display", "stored"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImdnStatus {
    /// `<delivery-notification>`.
    Delivery(DeliveryStatus),
    /// `<display-notification>`.
    Display(DisplayStatus),
    /// `<processing-notification>`.
    Processing(ProcessingStatus),
}

impl ImdnStatus {
    /// Every notification and status RFC 5438 defines, for round trips and menus.
    pub const ALL: [ImdnStatus; 11] = [
        ImdnStatus::Delivery(DeliveryStatus::Delivered),
        ImdnStatus::Delivery(DeliveryStatus::Failed),
        ImdnStatus::Delivery(DeliveryStatus::Forbidden),
        ImdnStatus::Delivery(DeliveryStatus::Error),
        ImdnStatus::Display(DisplayStatus::Displayed),
        ImdnStatus::Display(DisplayStatus::Forbidden),
        ImdnStatus::Display(DisplayStatus::Error),
        ImdnStatus::Processing(ProcessingStatus::Processed),
        ImdnStatus::Processing(ProcessingStatus::Stored),
        ImdnStatus::Processing(ProcessingStatus::Forbidden),
        ImdnStatus::Processing(ProcessingStatus::Error),
    ];

    /// `delivery`, `display` or `processing`: the element is this followed by
    /// `-notification`.
    pub fn notification_name(self) -> &'static str {
        match self {
            ImdnStatus::Delivery(_) => "delivery",
            ImdnStatus::Display(_) => "display",
            ImdnStatus::Processing(_) => "processing",
        }
    }

    /// The status element's name (`delivered`, `failed`, `displayed`, `processed`,
    /// `stored`, `forbidden`, `error`).
    pub fn status_name(self) -> &'static str {
        match self {
            ImdnStatus::Delivery(DeliveryStatus::Delivered) => "delivered",
            ImdnStatus::Delivery(DeliveryStatus::Failed) => "failed",
            ImdnStatus::Display(DisplayStatus::Displayed) => "displayed",
            ImdnStatus::Processing(ProcessingStatus::Processed) => "processed",
            ImdnStatus::Processing(ProcessingStatus::Stored) => "stored",
            ImdnStatus::Delivery(DeliveryStatus::Forbidden)
            | ImdnStatus::Display(DisplayStatus::Forbidden)
            | ImdnStatus::Processing(ProcessingStatus::Forbidden) => "forbidden",
            ImdnStatus::Delivery(DeliveryStatus::Error)
            | ImdnStatus::Display(DisplayStatus::Error)
            | ImdnStatus::Processing(ProcessingStatus::Error) => "error",
        }
    }

    /// The status from the notification's name (`delivery`, ...) and the status
    /// element's; `None` for a pair RFC 5438 does not define.
    pub fn from_names(notification: &str, status: &str) -> Option<ImdnStatus> {
        ImdnStatus::ALL
            .into_iter()
            .find(|s| s.notification_name() == notification && s.status_name() == status)
    }

    /// The disposition request this notification answers: a delivery failure answers
    /// `negative-delivery`, any other delivery status `positive-delivery`.
    pub fn answers(self) -> Disposition<'static> {
        match self {
            ImdnStatus::Delivery(DeliveryStatus::Failed) => Disposition::NegativeDelivery,
            ImdnStatus::Delivery(_) => Disposition::PositiveDelivery,
            ImdnStatus::Display(_) => Disposition::Display,
            ImdnStatus::Processing(_) => Disposition::Processing,
        }
    }
}

impl fmt::Display for ImdnStatus {
    /// `delivery delivered`, `display displayed`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.notification_name(), self.status_name())
    }
}

/// One IMDN document (RFC 5438 section 7.3 and its XML schema).
///
/// Unknown elements (extensions, `note`) are skipped when read; the fields are what
/// RFC 5438 defines. Text is stored with XML references resolved and surrounding
/// white space trimmed (so a value written with white space around it reads back
/// without it); a CR is written as `&#xD;` so that it survives XML's line-end
/// normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    /// `<message-id>`: the `imdn.Message-ID` of the message notified about.
    pub message_id: String,
    /// `<datetime>`: the `DateTime` of that message, as written there (required by
    /// the schema, `None` when a peer left it out).
    pub date_time: Option<String>,
    /// `<recipient-uri>`: who the notification is about (for a message sent to a
    /// list, the list member).
    pub recipient_uri: Option<String>,
    /// `<original-recipient-uri>`: who the message was first addressed to, before
    /// any redirection.
    pub original_recipient_uri: Option<String>,
    /// `<subject>`: the subject of the message notified about.
    pub subject: Option<String>,
    /// What happened.
    pub status: ImdnStatus,
}

impl Imdn {
    /// A notification for the message `message_id`.
    pub fn new(message_id: &str, status: ImdnStatus) -> Imdn {
        Imdn {
            message_id: message_id.to_owned(),
            date_time: None,
            recipient_uri: None,
            original_recipient_uri: None,
            subject: None,
            status,
        }
    }

    /// The notification for a received CPIM message: its `imdn.Message-ID` and its
    /// `DateTime`, with `status`. Works the same for a pager-mode message, a large
    /// message or a chat message of a session: each is a CPIM message.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] when the message has no `imdn.Message-ID` (there is
    /// nothing to notify about).
    pub fn for_message(original: &CpimMessage<'_>, status: ImdnStatus) -> Result<Imdn, BuildError> {
        let message_id = original.message_id().ok_or(BuildError::Missing {
            field: "imdn.Message-ID",
            why: "a notification names the message it is about (RFC 5438 section 6.3)",
        })?;
        let mut imdn = Imdn::new(message_id, status);
        imdn.date_time = original.date_time().map(str::to_owned);
        Ok(imdn)
    }

    /// Sets `<datetime>`.
    pub fn with_date_time(mut self, date_time: &str) -> Imdn {
        self.date_time = Some(date_time.to_owned());
        self
    }

    /// Sets `<recipient-uri>`.
    pub fn with_recipient_uri(mut self, uri: &str) -> Imdn {
        self.recipient_uri = Some(uri.to_owned());
        self
    }

    /// Sets `<original-recipient-uri>`.
    pub fn with_original_recipient_uri(mut self, uri: &str) -> Imdn {
        self.original_recipient_uri = Some(uri.to_owned());
        self
    }

    /// Reads a `message/imdn+xml` body.
    ///
    /// # Errors
    ///
    /// An [`XmlBodyError`]: size, depth and element limits, DTDs and unknown
    /// entities, malformed XML, another root or namespace, no `<message-id>`, no
    /// notification element, or a status RFC 5438 does not define for it.
    ///
    /// ```
    /// use cpm_client::imdn::{Imdn, XmlBodyError};
    ///
    /// let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE imdn [<!ENTITY a \"aaaa\">]>\
    ///     <imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>&a;</message-id></imdn>";
    /// assert!(matches!(Imdn::parse(laughs), Err(XmlBodyError::Doctype { .. })));
    /// ```
    pub fn parse(body: &[u8]) -> Result<Imdn, XmlBodyError> {
        let tree = read_tree(body, "imdn", IMDN_XML_NS)?;
        let message_id = tree
            .child_text("message-id")
            .filter(|id| !id.is_empty())
            .ok_or(XmlBodyError::Missing("message-id"))?;
        let text = |name: &str| tree.child_text(name).map(str::to_owned);
        let (notification, element) = ["delivery", "display", "processing"]
            .into_iter()
            .find_map(|n| {
                tree.children
                    .iter()
                    .find(|c| c.name.strip_suffix("-notification") == Some(n))
                    .map(|c| (n, c))
            })
            .ok_or(XmlBodyError::Missing("delivery-notification"))?;
        let status_element = element
            .child("status")
            .ok_or(XmlBodyError::Missing("status"))?;
        let status_name = status_element
            .children
            .first()
            .map(|c| c.name.as_str())
            .ok_or(XmlBodyError::Missing("status"))?;
        let status = ImdnStatus::from_names(notification, status_name).ok_or_else(|| {
            XmlBodyError::BadValue {
                element: "status",
                value: xml::cut(status_name),
            }
        })?;
        Ok(Imdn {
            message_id: message_id.to_owned(),
            date_time: text("datetime"),
            recipient_uri: text("recipient-uri"),
            original_recipient_uri: text("original-recipient-uri"),
            subject: text("subject"),
            status,
        })
    }

    /// The document, UTF-8, every text escaped.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] for a blank message id, or a field holding a
    /// control character that XML cannot carry.
    pub fn to_xml(&self) -> Result<String, BuildError> {
        if self.message_id.trim().is_empty() {
            return Err(crate::error::invalid(
                "message-id",
                &self.message_id,
                "the id of the message notified about (not blank)",
            ));
        }
        let mut out = String::with_capacity(320);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
        out.push_str("<imdn xmlns=\"");
        out.push_str(IMDN_XML_NS);
        out.push_str("\">\r\n");
        let mut element = |name: &'static str, value: Option<&str>| -> Result<(), BuildError> {
            if let Some(value) = value {
                out.push_str("  <");
                out.push_str(name);
                out.push('>');
                escape(name, value, &mut out)?;
                out.push_str("</");
                out.push_str(name);
                out.push_str(">\r\n");
            }
            Ok(())
        };
        element("message-id", Some(&self.message_id))?;
        element("datetime", self.date_time.as_deref())?;
        element("recipient-uri", self.recipient_uri.as_deref())?;
        element(
            "original-recipient-uri",
            self.original_recipient_uri.as_deref(),
        )?;
        element("subject", self.subject.as_deref())?;
        let notification = self.status.notification_name();
        out.push_str(&format!(
            "  <{notification}-notification>\r\n    <status>\r\n      <{}/>\r\n    </status>\r\n  </{notification}-notification>\r\n</imdn>\r\n",
            self.status.status_name()
        ));
        Ok(out)
    }

    /// The CPIM content carrying this notification: `Content-Type: message/imdn+xml`
    /// and `Content-Disposition: notification` (RFC 5438).
    ///
    /// # Errors
    ///
    /// As [`Imdn::to_xml`].
    pub fn to_content(&self) -> Result<Content, BuildError> {
        Ok(Content::new(IMDN_CONTENT_TYPE, self.to_xml()?.into_bytes())
            .with_header("Content-Disposition", "notification"))
    }
}

/// Whether `message` carries an IMDN: its content is `message/imdn+xml` and its
/// `Content-Disposition` is `notification` (RFC 5438). A message with
/// the type but no disposition counts too, since some stacks leave the header out and
/// the type alone is unambiguous.
pub fn is_notification(message: &CpimMessage<'_>) -> bool {
    is_notification_typed(message, message.content_type())
}

/// [`is_notification`] with the content type already read (`content_type`, that of
/// `message`'s content): the disposition is looked up only for an IMDN's type.
pub(crate) fn is_notification_typed(
    message: &CpimMessage<'_>,
    content_type: Option<MediaType<'_>>,
) -> bool {
    if !content_type.is_some_and(|t| t.is(IMDN_CONTENT_TYPE)) {
        return false;
    }
    let disposition = message.content_header("Content-Disposition").map(|d| {
        d.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("notification")
    });
    disposition != Some(false)
}
