//! The one thing routing reads from Contact: the `isfocus` feature parameter.
//!
//! RFC 3840 section 10 defines `isfocus` as a base feature tag that a conference focus
//! puts in its Contact. An INVITE carrying the `deferred` CPM tag is a deferred
//! group-session delivery (section 7.3.11) when it comes from a focus, and a stored
//! large message (7.2.2.2) otherwise: the library's rule, as section 7 sets none (see
//! the precedence list of `cpm_client::route`).
//!
//! Only header parameters count: in `<sip:conf@example.net;isfocus>` the parameter
//! belongs to the URI, not to the Contact, and marks nothing. (In a Contact written
//! without angle brackets the parameters after the URI are header parameters, RFC 3261
//! section 20.10.)

use crate::error::{ParseErrorKind, ValueError};
use crate::sip::grammar::{self, ListItem};
use crate::sip::Limits;

/// Whether any value of one Contact header carries the `isfocus` parameter, with or
/// without a value, its name in any case.
///
/// ```
/// use cpm_client::{routing::contact, Limits};
///
/// let focus = b"<sip:conf-7@example.net;transport=tcp>;isfocus;+g.3gpp.icsi-ref=\"x\"";
/// assert!(contact::is_focus(focus, &Limits::DEFAULT).unwrap());
/// assert!(!contact::is_focus(b"<sip:conf-7@example.net;isfocus>", &Limits::DEFAULT).unwrap());
/// assert!(contact::is_focus(b"<sip:a@b>;;", &Limits::DEFAULT).is_err());
/// ```
pub fn is_focus(value: &[u8], limits: &Limits) -> Result<bool, ValueError> {
    let mut focus = false;
    // `Contact: *` (a REGISTER removing every binding) is read as a value too.
    grammar::address_list(
        value,
        limits.max_params,
        ParseErrorKind::BadContact,
        grammar::address,
        "value is not a name-addr or addr-spec",
        |item| {
            if let ListItem::Param(param) = item {
                focus |= param.name.eq_ignore_ascii_case(b"isfocus");
            }
            Ok(())
        },
    )?;
    Ok(focus)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn focus(v: &str) -> Result<bool, ValueError> {
        is_focus(v.as_bytes(), &Limits::DEFAULT)
    }

    #[test]
    fn isfocus_as_a_header_parameter() {
        assert!(focus("<sip:g@conf.example.net>;isfocus").unwrap());
        assert!(focus("<sip:g@conf.example.net>;ISFOCUS=\"\"").unwrap());
        assert!(focus("\"Group\" <sip:g@c>;+sip.instance=\"<urn:uuid:1>\";isfocus").unwrap());
        assert!(focus("sip:g@conf.example.net;isfocus").unwrap());
        assert!(focus("<sip:a@b>, <sip:g@c>;isfocus").unwrap());
        assert!(focus("<sip:g@c>\r\n ;\r\n isfocus").unwrap());
    }

    #[test]
    fn isfocus_elsewhere_marks_nothing() {
        assert!(!focus("<sip:g@conf.example.net;isfocus>").unwrap());
        assert!(!focus("<sip:g@c>;isfocusx").unwrap());
        assert!(!focus("<sip:g@c>;x=\"isfocus\"").unwrap());
        assert!(!focus("*").unwrap());
    }

    #[test]
    fn malformed_contacts() {
        assert!(focus("\"Joe\" <sip:joe@example.org>;;;;").is_err());
        assert!(focus("<sip:a@b").is_err());
        assert!(focus("").is_err());
        assert!(focus("<sip:a@b>,").is_err());
        assert!(focus("\"Joe\" sip:joe@example.org").is_err());
    }
}
