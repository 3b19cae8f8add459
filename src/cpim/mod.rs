//! `message/cpim` (RFC 3862) with the IMDN headers of RFC 5438, read and written: the
//! envelope of a pager-mode message, of a large message and of every chat message in
//! a session.
//!
//! - [`CpimMessage`] reads a body in place; [`CpimAddress`] is one of its From, To or
//!   cc values.
//! - [`CpimBuilder`] writes one, with [`Content`] inside; [`format_date_time`] is its
//!   `DateTime` form and [`is_date_time`] checks one.
//! - [`DispositionNotification`] is the `imdn.Disposition-Notification` value either
//!   way, a list of [`Disposition`]s.
//!
//! ```
//! use std::time::SystemTime;
//! use cpm_client::cpim::{Content, CpimBuilder, CpimMessage, Disposition, DispositionNotification};
//! use cpm_client::ids::SequentialIds;
//!
//! let (bytes, id) = CpimBuilder::new("sip:a@example.net", "sip:b@example.net",
//!         SystemTime::UNIX_EPOCH, Content::text("Hi"))
//!     .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
//!     .write(&mut SequentialIds::new(7))?;
//! let read = CpimMessage::parse(&bytes).expect("what the builder wrote reads back");
//! assert_eq!(read.message_id(), id.as_deref());
//! assert!(read.disposition_notification().unwrap().contains(Disposition::Display));
//! assert_eq!(read.content(), b"Hi");
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

mod reader;
mod writer;

pub use reader::{is_date_time, CpimAddress, CpimMessage};
pub use writer::{format_date_time, Content, CpimBuilder};

use crate::error::{invalid, BuildError};
use crate::sip::grammar::is_token_char;

/// The IMDN namespace URN (RFC 5438), which CPIM messages bind to a prefix with
/// `NS: imdn <urn:ietf:params:imdn>`.
pub const IMDN_NS: &str = "urn:ietf:params:imdn";

/// One notification an IMDN `Disposition-Notification` asks for (RFC 5438 section
/// 7.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition<'a> {
    /// `positive-delivery`: tell the sender when the message is delivered.
    PositiveDelivery,
    /// `negative-delivery`: tell the sender when delivery fails.
    NegativeDelivery,
    /// `display`: tell the sender when the message is shown to the user.
    Display,
    /// `processing`: tell the sender of intermediate processing.
    Processing,
    /// A token this library does not know, as written.
    Other(&'a str),
}

impl<'a> Disposition<'a> {
    const KNOWN: [Disposition<'static>; 4] = [
        Disposition::PositiveDelivery,
        Disposition::NegativeDelivery,
        Disposition::Display,
        Disposition::Processing,
    ];

    /// Reads one token of the list (ignoring ASCII case).
    pub fn from_token(token: &'a str) -> Self {
        Disposition::KNOWN
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(token))
            .unwrap_or(Disposition::Other(token))
    }

    /// The token as written on the wire.
    pub fn as_str(&self) -> &'a str {
        match self {
            Disposition::PositiveDelivery => "positive-delivery",
            Disposition::NegativeDelivery => "negative-delivery",
            Disposition::Display => "display",
            Disposition::Processing => "processing",
            Disposition::Other(token) => token,
        }
    }
}

/// The value of an IMDN `Disposition-Notification` header: a comma-separated list of
/// [`Disposition`]s, read from a message or built for one.
///
/// ```
/// use cpm_client::cpim::{Disposition, DispositionNotification};
///
/// let n = DispositionNotification::new("positive-delivery, Display ,x-later");
/// let all: Vec<_> = n.iter().collect();
/// assert_eq!(all, [Disposition::PositiveDelivery, Disposition::Display, Disposition::Other("x-later")]);
/// assert!(n.contains(Disposition::Display));
///
/// let asked = DispositionNotification::of(&[Disposition::NegativeDelivery, Disposition::Display]);
/// assert_eq!(asked.to_string(), "negative-delivery, display");
/// assert_eq!(DispositionNotification::DELIVERY_AND_DISPLAY.as_str(), "positive-delivery, display");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DispositionNotification<'a> {
    raw: Cow<'a, str>,
}

impl DispositionNotification<'static> {
    /// `positive-delivery, display`: what chat clients usually ask.
    pub const DELIVERY_AND_DISPLAY: DispositionNotification<'static> = DispositionNotification {
        raw: Cow::Borrowed("positive-delivery, display"),
    };

    /// The list of `dispositions`, in order, written `a, b`.
    pub fn of(dispositions: &[Disposition<'_>]) -> DispositionNotification<'static> {
        let mut raw = String::new();
        for d in dispositions {
            if !raw.is_empty() {
                raw.push_str(", ");
            }
            raw.push_str(d.as_str());
        }
        DispositionNotification {
            raw: Cow::Owned(raw),
        }
    }
}

impl<'a> DispositionNotification<'a> {
    /// Reads a header value.
    pub fn new(raw: &'a str) -> Self {
        DispositionNotification {
            raw: Cow::Borrowed(raw),
        }
    }

    /// The value as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the list asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The dispositions in order, empty list items skipped.
    pub fn iter(&self) -> impl Iterator<Item = Disposition<'_>> + '_ {
        self.raw
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(Disposition::from_token)
    }

    /// Whether `disposition` is asked for.
    pub fn contains(&self, disposition: Disposition<'_>) -> bool {
        self.iter().any(|d| match (d, disposition) {
            (Disposition::Other(a), Disposition::Other(b)) => a.eq_ignore_ascii_case(b),
            (d, wanted) => d == wanted,
        })
    }

    /// The value owning its text.
    pub fn into_owned(self) -> DispositionNotification<'static> {
        DispositionNotification {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }

    /// The value when every item is a token, as a header may carry it.
    pub(crate) fn checked(&self) -> Result<&str, BuildError> {
        let token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
        if self.raw.split(',').map(str::trim).all(token) {
            Ok(&self.raw)
        } else {
            Err(invalid(
                "imdn.Disposition-Notification",
                &self.raw,
                "a comma-separated list of tokens",
            ))
        }
    }
}

impl fmt::Display for DispositionNotification<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}
