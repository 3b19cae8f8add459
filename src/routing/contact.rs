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
    if let Some(focus) = plain_is_focus(value, limits.max_params) {
        return Ok(focus);
    }
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

/// [`is_focus`] for the Contact nearly every INVITE carries, in one pass: one value,
/// `<URI>` then `;name[=value]` parameters with no white space, quoted values without
/// escapes, at most `max_params` of them. `None` for any other value, which the list
/// grammar then reads (to the same answer, or the fault of an invalid value).
#[inline]
fn plain_is_focus(value: &[u8], max_params: usize) -> Option<bool> {
    let uri = value.strip_prefix(b"<")?;
    // The URI runs to the first `>` or `<`, which must be a `>` (as `angle_uri` reads it).
    let end = memchr::memchr2(b'>', b'<', uri)?;
    if uri[end] != b'>' || !grammar::has_scheme(&uri[..end]) {
        return None;
    }
    let mut rest = &uri[end + 1..];
    let (mut count, mut focus, mut seen) = (0, false, 0);
    while let Some((b';', after)) = rest.split_first() {
        count += 1;
        let name_len = grammar::short_token_len(after);
        if count > max_params || name_len == 0 {
            return None;
        }
        let name = &after[..name_len];
        focus |= name.eq_ignore_ascii_case(b"isfocus");
        rest = &after[name_len..];
        let mut param_value = None;
        if let Some((b'=', after)) = rest.split_first() {
            let value_len = match after.split_first() {
                Some((b'"', quoted)) => {
                    let close = memchr::memchr2(b'"', b'\\', quoted)?;
                    if quoted[close] != b'"' {
                        return None;
                    }
                    param_value = Some(grammar::ParamValue::Quoted(&quoted[..close]));
                    close + 2
                }
                _ => {
                    let len = grammar::short_bare_len(after);
                    param_value = Some(grammar::ParamValue::Bare(&after[..len]));
                    len
                }
            };
            if value_len == 0 {
                return None;
            }
            rest = &after[value_len..];
        }
        // Parameters Contact names (q, expires) as its grammar says, or the list
        // grammar reads the value again and names the fault.
        grammar::check_named(grammar::CONTACT_PARAMS, &mut seen, name, param_value).ok()?;
    }
    rest.is_empty().then_some(focus)
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
    fn the_one_pass_reader_agrees_with_the_list_grammar() {
        for value in [
            "<sip:g@c>;isfocus",
            "<sip:g@c;isfocus>",
            "<sip:g@c>;ISFOCUS=\"\";x=1",
            "<sip:a@b:5060;transport=tcp>;+sip.instance=\"<urn:gsma:imei:1-2-0>\";+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"",
            "<sip:g@c>;x=\"a\\\"b\";isfocus",
            "<sip:g@c>;isfocusx",
            "<sip:g@c>;;",
            "<sip:g@c>;a=",
            "<sip:g@c>;a=\"open",
            "<sip:g@c> ;isfocus",
            "<sip:g@c>, <sip:h@d>;isfocus",
            "<sip:g@c",
            "<sip:g<@c>",
        ] {
            let full = {
                let mut focus = false;
                grammar::address_list(
                    value.as_bytes(),
                    Limits::DEFAULT.max_params,
                    ParseErrorKind::BadContact,
                    grammar::address,
                    "value is not a name-addr or addr-spec",
                    |item| {
                        if let ListItem::Param(param) = item {
                            focus |= param.name.eq_ignore_ascii_case(b"isfocus");
                        }
                        Ok(())
                    },
                )
                .map(|()| focus)
            };
            if let Some(plain) = plain_is_focus(value.as_bytes(), Limits::DEFAULT.max_params) {
                assert_eq!(full, Ok(plain), "{value}");
            }
        }
        assert_eq!(plain_is_focus(b"<sip:g@c>;isfocus", 8), Some(true));
        assert_eq!(plain_is_focus(b"<sip:g@c>;a;isfocus", 1), None);
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
