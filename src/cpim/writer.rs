//! The CPIM writer: [`CpimBuilder`] and the [`Content`] it carries, and the CPIM
//! `DateTime` format ([`format_date_time`]).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::DispositionNotification;
use crate::error::BuildError;
use crate::ids::IdGenerator;
use crate::mime::check_media_type;
use crate::sip::write::{check_text, check_token, check_uri, quoted_display_name};

/// What the user sends: a media type and its bytes.
///
/// ```
/// use cpm_client::cpim::Content;
///
/// let hello = Content::text("Hello, Bob!");
/// assert_eq!(hello.content_type(), "text/plain;charset=UTF-8");
/// assert_eq!(hello.body(), b"Hello, Bob!");
/// let image = Content::new("image/png", vec![0x89, b'P', b'N', b'G']);
/// assert_eq!(image.body().len(), 4);
/// let imdn = Content::new("message/imdn+xml", "<imdn/>").with_header("Content-Disposition", "notification");
/// assert_eq!(imdn.headers().collect::<Vec<_>>(), [("Content-Disposition", "notification")]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    content_type: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Content {
    /// Content of type `content_type` (checked when a request is built).
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Content {
        Content {
            content_type: content_type.to_owned(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a MIME content header written after Content-Type in the CPIM message's
    /// content headers (RFC 3862 section 3.3), such as `Content-Disposition:
    /// notification` for an IMDN (RFC 5438) or `Content-ID`. The name
    /// must be a token and the value free of control characters (checked when the
    /// message is written); Content-Type and Content-Length are the builder's own.
    pub fn with_header(mut self, name: &str, value: &str) -> Content {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The content headers added with [`Content::with_header`], in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// UTF-8 text: `text/plain;charset=UTF-8`.
    pub fn text(text: &str) -> Content {
        Content::new(
            "text/plain;charset=UTF-8",
            Bytes::copy_from_slice(text.as_bytes()),
        )
    }

    /// The media type, parameters included (checked when the message is written).
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The media type without parameters (`text/plain`), as
    /// `a=accept-wrapped-types` lists it.
    pub fn essence(&self) -> &str {
        self.content_type
            .split(';')
            .next()
            .unwrap_or(&self.content_type)
            .trim()
    }
}

/// Writes a CPIM message (`message/cpim`, RFC 3862) that [`CpimMessage::parse`](super::CpimMessage::parse)
/// reads back: From, To, DateTime, the IMDN namespace
/// and `imdn.Message-ID` (unless left out), `imdn.Disposition-Notification` when asked,
/// then the content with its own Content-Type and Content-Length.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cpm_client::cpim::{Content, CpimBuilder, DispositionNotification};
/// use cpm_client::ids::SequentialIds;
///
/// let sent_at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_515_300);
/// let (bytes, id) = CpimBuilder::new("sip:a@example.net", "sip:b@example.net", sent_at, Content::text("Hi"))
///     .message_id("m1")
///     .disposition(DispositionNotification::DELIVERY_AND_DISPLAY)
///     .write(&mut SequentialIds::new(0))?;
/// assert_eq!(id.as_deref(), Some("m1"));
/// assert_eq!(
///     String::from_utf8(bytes).unwrap(),
///     "From: <sip:a@example.net>\r\nTo: <sip:b@example.net>\r\nDateTime: 2026-11-24T10:15:00.000Z\r\n\
///      NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1\r\n\
///      imdn.Disposition-Notification: positive-delivery, display\r\n\r\n\
///      Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 2\r\n\r\nHi"
/// );
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpimBuilder {
    from: String,
    from_name: Option<String>,
    to: String,
    to_name: Option<String>,
    sent_at: SystemTime,
    content: Content,
    imdn: bool,
    message_id: Option<String>,
    disposition: Option<DispositionNotification<'static>>,
}

impl CpimBuilder {
    /// A message from `from` to `to` (URIs), sent at `sent_at`.
    pub fn new(from: &str, to: &str, sent_at: SystemTime, content: Content) -> CpimBuilder {
        CpimBuilder {
            from: from.to_owned(),
            from_name: None,
            to: to.to_owned(),
            to_name: None,
            sent_at,
            content,
            imdn: true,
            message_id: None,
            disposition: None,
        }
    }

    /// The sender's display name (quoted and escaped).
    pub fn from_display_name(mut self, name: Option<&str>) -> CpimBuilder {
        self.from_name = name.map(str::to_owned);
        self
    }

    /// The recipient's display name (quoted and escaped).
    pub fn to_display_name(mut self, name: Option<&str>) -> CpimBuilder {
        self.to_name = name.map(str::to_owned);
        self
    }

    /// The `imdn.Message-ID` (a token) instead of a generated one.
    pub fn message_id(mut self, id: &str) -> CpimBuilder {
        self.message_id = Some(id.to_owned());
        self
    }

    /// Asks for IMDNs; an empty list writes no `imdn.Disposition-Notification`.
    pub fn disposition(mut self, disposition: DispositionNotification<'_>) -> CpimBuilder {
        self.disposition = (!disposition.is_empty()).then(|| disposition.into_owned());
        self
    }

    /// Leaves out the IMDN namespace and `imdn.Message-ID` (and so any disposition
    /// request): a message nobody will acknowledge.
    pub fn without_imdn(mut self) -> CpimBuilder {
        self.imdn = false;
        self
    }

    /// The content.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// The CPIM bytes, and the `imdn.Message-ID` written (`None` without IMDN).
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the CPIM field at fault (URI, display name, media type,
    /// message id, a time before 1970).
    pub fn write(
        &self,
        ids: &mut dyn IdGenerator,
    ) -> Result<(Vec<u8>, Option<String>), BuildError> {
        check_uri("CPIM From", &self.from)?;
        check_uri("CPIM To", &self.to)?;
        check_media_type("content type", &self.content.content_type)?;
        for (name, value) in &self.content.headers {
            check_token("CPIM content header name", name)?;
            check_text("CPIM content header value", value)?;
            let own = ["Content-Type", "Content-Length"];
            if own.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                return Err(crate::error::invalid(
                    "CPIM content header name",
                    name,
                    "a header other than Content-Type and Content-Length (the builder writes those)",
                ));
            }
        }
        let name_addr = |field, name: &Option<String>, uri: &str| -> Result<String, BuildError> {
            Ok(match name {
                Some(name) => format!("{} <{uri}>", quoted_display_name(field, name)?),
                None => format!("<{uri}>"),
            })
        };
        if let Some(disposition) = &self.disposition {
            disposition.checked()?;
        }
        let from = name_addr("CPIM From display name", &self.from_name, &self.from)?;
        let to = name_addr("CPIM To display name", &self.to_name, &self.to)?;
        let date_time = format_date_time(self.sent_at)?;
        let message_id = if self.imdn {
            Some(match &self.message_id {
                Some(id) => check_token("imdn.Message-ID", id)?.to_owned(),
                None => ids.token(16),
            })
        } else {
            None
        };

        let mut out = Vec::with_capacity(256 + self.content.body.len());
        let mut line = |text: &str| {
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\r\n");
        };
        line(&format!("From: {from}"));
        line(&format!("To: {to}"));
        line(&format!("DateTime: {date_time}"));
        if let Some(id) = &message_id {
            line("NS: imdn <urn:ietf:params:imdn>");
            line(&format!("imdn.Message-ID: {id}"));
            if let Some(disposition) = &self.disposition {
                line(&format!(
                    "imdn.Disposition-Notification: {}",
                    disposition.as_str()
                ));
            }
        }
        line("");
        line(&format!("Content-Type: {}", self.content.content_type));
        for (name, value) in &self.content.headers {
            line(&format!("{name}: {}", value.trim()));
        }
        line(&format!("Content-Length: {}", self.content.body.len()));
        line("");
        out.extend_from_slice(&self.content.body);
        Ok((out, message_id))
    }
}

/// A time as RFC 3339 UTC with milliseconds, the CPIM `DateTime` form:
/// `2026-11-24T10:15:00.000Z`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cpm_client::cpim::format_date_time;
///
/// let t = SystemTime::UNIX_EPOCH + Duration::from_millis(951_782_400_123);
/// assert_eq!(format_date_time(t).unwrap(), "2000-02-29T00:00:00.123Z");
/// assert_eq!(format_date_time(SystemTime::UNIX_EPOCH).unwrap(), "1970-01-01T00:00:00.000Z");
/// ```
///
/// # Errors
///
/// [`BuildError::TimeBeforeEpoch`] for a time before 1970,
/// [`BuildError::TimeAfterYear9999`] for one after 9999 (an RFC 3339 year has four
/// digits).
///
/// ```
/// # use std::time::{Duration, SystemTime};
/// # use cpm_client::{cpim::format_date_time, BuildError};
/// let last = SystemTime::UNIX_EPOCH + Duration::from_millis(253_402_300_799_999);
/// assert_eq!(format_date_time(last).unwrap(), "9999-12-31T23:59:59.999Z");
/// let after = last + Duration::from_millis(1);
/// assert_eq!(format_date_time(after), Err(BuildError::TimeAfterYear9999));
/// ```
pub fn format_date_time(time: SystemTime) -> Result<String, BuildError> {
    let since = time
        .duration_since(UNIX_EPOCH)
        .map_err(|_| BuildError::TimeBeforeEpoch)?;
    let secs = since.as_secs();
    let days = secs / 86_400;
    let of_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    if year > 9999 {
        return Err(BuildError::TimeAfterYear9999);
    }
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        since.subsec_millis()
    ))
}

/// The proleptic Gregorian date `days` after 1970-01-01: counted in 400-year eras of
/// 146 097 days, with years starting on March 1 so that the leap day ends a year.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153; // month from March = 0
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn years_have_four_digits_or_are_refused() {
        let at = |s: u64| format_date_time(UNIX_EPOCH + Duration::from_secs(s));
        let last = at(253_402_300_799).unwrap();
        assert_eq!(last, "9999-12-31T23:59:59.000Z");
        assert!(super::super::is_date_time(&last));
        for after in [253_402_300_800, 1 << 40, u64::MAX / 2, u64::MAX] {
            // The largest a SystemTime can hold depends on the platform.
            if let Some(time) = UNIX_EPOCH.checked_add(Duration::from_secs(after)) {
                assert_eq!(
                    format_date_time(time),
                    Err(BuildError::TimeAfterYear9999),
                    "{after}"
                );
            }
        }
    }

    #[test]
    fn dates_match_known_points() {
        let at = |s: u64| format_date_time(UNIX_EPOCH + Duration::from_secs(s)).unwrap();
        assert_eq!(at(1_795_515_300), "2026-11-24T10:15:00.000Z");
        assert_eq!(at(951_868_799), "2000-02-29T23:59:59.000Z");
        assert_eq!(at(951_868_800), "2000-03-01T00:00:00.000Z");
        assert_eq!(at(4_107_542_400), "2100-03-01T00:00:00.000Z");
        assert_eq!(at(1_709_164_800), "2024-02-29T00:00:00.000Z");
        assert_eq!(at(253_402_300_799), "9999-12-31T23:59:59.000Z");
    }

    #[test]
    fn every_day_follows_the_previous() {
        let mut previous = civil_from_days(0);
        assert_eq!(previous, (1970, 1, 1));
        for d in 1..200_000 {
            let next = civil_from_days(d);
            let (y, m, day) = previous;
            let expect_next_day = (y, m, day + 1);
            let expect_next_month = (y, m + 1, 1);
            let expect_next_year = (y + 1, 1, 1);
            assert!(
                next == expect_next_day || next == expect_next_month || next == expect_next_year,
                "{previous:?} -> {next:?}"
            );
            previous = next;
        }
    }

    #[test]
    fn cpim_refuses_injection() {
        let t = UNIX_EPOCH;
        let m = CpimBuilder::new("sip:a@x.net", "sip:b@x.net", t, Content::text("x"))
            .from_display_name(Some("A\r\nNS: evil <x>"));
        assert_eq!(
            m.write(&mut crate::ids::SequentialIds::new(0)),
            Err(BuildError::ControlCharacter {
                field: "CPIM From display name"
            })
        );
        let m = CpimBuilder::new(
            "sip:a@x.net",
            "sip:b@x.net",
            t,
            Content::new("text/plain\r\nX: y", "x"),
        );
        assert!(m.write(&mut crate::ids::SequentialIds::new(0)).is_err());
    }
}
