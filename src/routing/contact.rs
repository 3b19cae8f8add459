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
/// # Errors
///
/// A value that breaks RFC 3261's Contact grammar (section 25.1): not `*`, a
/// `name-addr` or an `addr-spec` whose URI has a scheme; an empty or broken
/// parameter; `q` that is not a qvalue, `expires` that is not a number of seconds
/// (either without a value included), or either of them twice in one value (section
/// 7.3.1).
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
    let mut seen = 0;
    // `Contact: *` (a REGISTER removing every binding) is read as a value too.
    grammar::address_list(
        value,
        limits.max_params,
        ParseErrorKind::BadContact,
        grammar::address,
        "value is not a name-addr or addr-spec (scheme:...)",
        |item| {
            match item {
                ListItem::Value(_) => seen = 0,
                ListItem::Param(param) => {
                    grammar::check_named(
                        grammar::CONTACT_PARAMS,
                        &mut seen,
                        param.name,
                        param.value,
                    )
                    .map_err(|what| {
                        let at = grammar::position(value, param.name);
                        ValueError::new(ParseErrorKind::BadContact(what), at)
                    })?;
                    focus |= param.name.eq_ignore_ascii_case(b"isfocus");
                }
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
    fn contact_parameters_with_a_value_need_one() {
        assert!(focus("<sip:a@b>;q=0.7;expires=3600;isfocus").unwrap());
        assert!(focus("<sip:a@b>;Q=1.000;EXPIRES=0, <sip:c@d>;q=0").is_ok());
        let qvalue = "q parameter is not a qvalue (0 to 1, three decimals at most)";
        for (bad, what, at) in [
            ("<sip:a@b>;q", "q parameter has no value", 10),
            (
                "<sip:a@b>;expires;isfocus",
                "expires parameter has no value",
                10,
            ),
            ("<sip:a@b>;q=1.5", qvalue, 10),
            ("<sip:a@b>;q=\"0.5\"", qvalue, 10),
            (
                "<sip:a@b>;expires=soon",
                "expires parameter is not a number of seconds",
                10,
            ),
            ("<sip:a@b>;q=0.1;Q=0.2", "q parameter appears twice", 16),
        ] {
            let e = focus(bad).unwrap_err();
            assert_eq!(e.kind(), &ParseErrorKind::BadContact(what), "{bad}");
            assert_eq!(e.offset(), at, "{bad}");
        }
        // The count starts again with each value.
        assert!(focus("<sip:a@b>;q=0.1, <sip:c@d>;q=0.2").is_ok());
    }

    #[test]
    fn a_contact_uri_needs_a_scheme() {
        for bad in [
            ".",
            "<.>",
            "<>",
            "alice@example.net;isfocus",
            "\"A\" <alice@example.net>",
        ] {
            let e = focus(bad).unwrap_err();
            assert_eq!(
                e.kind(),
                &ParseErrorKind::BadContact("value is not a name-addr or addr-spec (scheme:...)"),
                "{bad}"
            );
        }
        assert!(focus("<tel:+15550100>;isfocus").unwrap());
        assert!(focus("< sip:g@c >;isfocus").unwrap());
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
