//! Is-composing indications (RFC 3994): the `application/im-iscomposing+xml`
//! document, read and written. A client tells its peer that the user is typing
//! (`active`, with a `refresh` interval) or stopped (`idle`, with when the user was
//! last active).
//!
//! The document is read with the same bounded XML reader as IMDN (a DTD, deep
//! nesting or a large body are refused with an [`XmlBodyError`]). In pager mode an
//! indication is sent as the content of a MESSAGE (inside CPIM, without IMDN
//! headers, or bare); see `docs/imdn.md`.
//!
//! ```
//! use cpm_client::iscomposing::{ComposingState, IsComposing};
//!
//! let typing = IsComposing::active(Some(90)).with_content_type("text/plain");
//! let read = IsComposing::parse(typing.to_xml()?.as_bytes()).expect("reads back");
//! assert_eq!(read, typing);
//! assert_eq!(read.state, ComposingState::Active);
//! # Ok::<(), cpm_client::BuildError>(())
//! ```

use std::fmt;

use crate::cpim::Content;
use crate::error::BuildError;
use crate::imdn::{escape, read_tree};

pub use crate::imdn::XmlBodyError;

/// The namespace of the is-composing document (RFC 3994).
pub const ISCOMPOSING_XML_NS: &str = "urn:ietf:params:xml:ns:im-iscomposing";
/// The media type of the is-composing document.
pub const ISCOMPOSING_CONTENT_TYPE: &str = "application/im-iscomposing+xml";

/// The composing state (RFC 3994).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComposingState {
    /// The user is composing a message.
    Active,
    /// The user stopped composing (or never started); a receiver also falls back to
    /// idle when an active state's refresh interval passes without news.
    Idle,
}

impl ComposingState {
    /// `active` or `idle`, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ComposingState::Active => "active",
            ComposingState::Idle => "idle",
        }
    }
}

impl fmt::Display for ComposingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One is-composing document (RFC 3994).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsComposing {
    /// `<state>`.
    pub state: ComposingState,
    /// `<lastactive>`: when the user was last active (RFC 3339 date-time), as
    /// written; mostly sent with `idle`.
    pub last_active: Option<String>,
    /// `<contenttype>`: what is being composed (a media type such as `text/plain`,
    /// or a top-level type such as `audio`).
    pub content_type: Option<String>,
    /// `<refresh>`: seconds within which an `active` sender will send again; the
    /// receiver times the state out after it (RFC 3994).
    pub refresh: Option<u32>,
}

impl IsComposing {
    /// The user is typing; `refresh` seconds until the next indication, if any.
    pub fn active(refresh: Option<u32>) -> IsComposing {
        IsComposing {
            state: ComposingState::Active,
            last_active: None,
            content_type: None,
            refresh,
        }
    }

    /// The user stopped, last active at `last_active` (an RFC 3339 date-time), if
    /// given.
    pub fn idle(last_active: Option<&str>) -> IsComposing {
        IsComposing {
            state: ComposingState::Idle,
            last_active: last_active.map(str::to_owned),
            content_type: None,
            refresh: None,
        }
    }

    /// Sets `<contenttype>`.
    pub fn with_content_type(mut self, content_type: &str) -> IsComposing {
        self.content_type = Some(content_type.to_owned());
        self
    }

    /// Reads an `application/im-iscomposing+xml` body. Unknown elements are skipped.
    ///
    /// # Errors
    ///
    /// An [`XmlBodyError`]: the bounded reader's limits and refusals, another root or
    /// namespace, no `<state>`, a state other than `active` or `idle`, a `<refresh>`
    /// that is not a number of seconds.
    pub fn parse(body: &[u8]) -> Result<IsComposing, XmlBodyError> {
        let tree = read_tree(body, "isComposing", ISCOMPOSING_XML_NS)?;
        let state = tree
            .child_text("state")
            .ok_or(XmlBodyError::Missing("state"))?;
        let state = if state.eq_ignore_ascii_case("active") {
            ComposingState::Active
        } else if state.eq_ignore_ascii_case("idle") {
            ComposingState::Idle
        } else {
            return Err(XmlBodyError::BadValue {
                element: "state",
                value: state.chars().take(64).collect(),
            });
        };
        let refresh = match tree.child_text("refresh") {
            Some(text) => Some(text.parse().map_err(|_| XmlBodyError::BadValue {
                element: "refresh",
                value: text.chars().take(64).collect(),
            })?),
            None => None,
        };
        let text = |name: &str| tree.child_text(name).map(str::to_owned);
        Ok(IsComposing {
            state,
            last_active: text("lastactive"),
            content_type: text("contenttype"),
            refresh,
        })
    }

    /// The document, UTF-8, text escaped.
    ///
    /// # Errors
    ///
    /// [`BuildError::InvalidValue`] for a field holding a control character that XML
    /// cannot carry.
    pub fn to_xml(&self) -> Result<String, BuildError> {
        let mut out = String::with_capacity(240);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<isComposing xmlns=\"");
        out.push_str(ISCOMPOSING_XML_NS);
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
        element("state", Some(self.state.as_str()))?;
        element("lastactive", self.last_active.as_deref())?;
        element("contenttype", self.content_type.as_deref())?;
        element("refresh", self.refresh.map(|r| r.to_string()).as_deref())?;
        out.push_str("</isComposing>\r\n");
        Ok(out)
    }

    /// The document as [`Content`] of type `application/im-iscomposing+xml`, for a
    /// CPIM message or a bare MESSAGE body.
    ///
    /// # Errors
    ///
    /// As [`IsComposing::to_xml`].
    pub fn to_content(&self) -> Result<Content, BuildError> {
        Ok(Content::new(
            ISCOMPOSING_CONTENT_TYPE,
            self.to_xml()?.into_bytes(),
        ))
    }
}
