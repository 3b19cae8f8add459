//! The multipart writer: [`MultipartBuilder`].

use bytes::Bytes;

use crate::error::{invalid, BuildError};
use crate::ids::IdGenerator;
use crate::mime::check_media_type;
use crate::sip::write::check_token;

/// How many times a fresh boundary is drawn when one occurs in a part.
const ATTEMPTS: usize = 8;

/// One part to write: its type, an optional Content-Disposition, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PartDraft {
    content_type: String,
    disposition: Option<String>,
    body: Bytes,
}

/// Writes a `multipart/mixed` body that [`Multipart::parse`](super::Multipart::parse)
/// reads back. Each part gets a Content-Length (a SIP habit that RFC 2046 does not
/// need but deployed clients write and read).
///
/// Written as the group INVITE example (7.3.1) writes it: each part's headers, a blank
/// line, its bytes, then the next delimiter. A part whose bytes end in CRLF is
/// followed directly by `--boundary` (that CRLF serving as the delimiter's); any
/// other part gets a CRLF before the delimiter. The body ends with
/// `--boundary--` and CRLF.
///
/// ```
/// use cpm_client::ids::SequentialIds;
/// use cpm_client::multipart::MultipartBuilder;
///
/// let (content_type, body) = MultipartBuilder::new()
///     .boundary("b0undary7q")
///     .part("text/plain", "hi\r\n")
///     .write(&mut SequentialIds::new(0))?;
/// assert_eq!(content_type, "multipart/mixed;boundary=b0undary7q");
/// assert_eq!(body, b"--b0undary7q\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nhi\r\n--b0undary7q--\r\n");
/// # Ok::<(), cpm_client::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultipartBuilder {
    boundary: Option<String>,
    parts: Vec<PartDraft>,
}

impl MultipartBuilder {
    /// No parts yet; a generated boundary.
    pub fn new() -> MultipartBuilder {
        MultipartBuilder::default()
    }

    /// The boundary (letters, digits and `-._`, 1 to 70) instead of a generated one.
    pub fn boundary(mut self, boundary: &str) -> MultipartBuilder {
        self.boundary = Some(boundary.to_owned());
        self
    }

    /// Appends a part of type `content_type`.
    pub fn part(mut self, content_type: &str, body: impl Into<Bytes>) -> MultipartBuilder {
        self.parts.push(PartDraft {
            content_type: content_type.to_owned(),
            disposition: None,
            body: body.into(),
        });
        self
    }

    /// Appends a part of type `content_type` with `Content-Disposition: <disposition>`
    /// (a token such as `recipient-list`).
    pub fn part_with_disposition(
        self,
        content_type: &str,
        disposition: &str,
        body: impl Into<Bytes>,
    ) -> MultipartBuilder {
        let mut builder = self.part(content_type, body);
        if let Some(last) = builder.parts.last_mut() {
            last.disposition = Some(disposition.to_owned());
        }
        builder
    }

    /// The Content-Type value (`multipart/mixed;boundary=...`) and the body.
    ///
    /// # Errors
    ///
    /// [`BuildError::Missing`] with no parts (RFC 2046 section 5.1.1: a multipart
    /// body has at least one); [`BuildError::InvalidValue`] for a bad boundary, part
    /// type or disposition; [`BuildError::Collision`] when the boundary occurs in a
    /// part.
    pub fn write(&self, ids: &mut dyn IdGenerator) -> Result<(String, Vec<u8>), BuildError> {
        if self.parts.is_empty() {
            return Err(BuildError::Missing {
                field: "parts",
                why: "a multipart body has at least one part (RFC 2046 section 5.1.1)",
            });
        }
        for part in &self.parts {
            check_media_type("part content type", &part.content_type)?;
            if let Some(d) = &part.disposition {
                check_token("part disposition", d)?;
            }
        }
        let boundary = match &self.boundary {
            Some(b) => {
                let ok = (1..=70).contains(&b.len())
                    && b.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
                if !ok {
                    return Err(invalid(
                        "boundary",
                        b,
                        "1 to 70 letters, digits, '-', '.' or '_'",
                    ));
                }
                if self.occurs(b) {
                    return Err(BuildError::Collision { field: "boundary" });
                }
                b.clone()
            }
            None => self.fresh_boundary(ids)?,
        };
        let mut out =
            Vec::with_capacity(self.parts.iter().map(|p| p.body.len() + 128).sum::<usize>() + 64);
        let mut needs_crlf = false;
        for part in &self.parts {
            if needs_crlf {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            out.extend_from_slice(format!("Content-Type: {}\r\n", part.content_type).as_bytes());
            if let Some(d) = &part.disposition {
                out.extend_from_slice(format!("Content-Disposition: {d}\r\n").as_bytes());
            }
            out.extend_from_slice(
                format!("Content-Length: {}\r\n\r\n", part.body.len()).as_bytes(),
            );
            out.extend_from_slice(&part.body);
            needs_crlf = !part.body.ends_with(b"\r\n");
        }
        if needs_crlf {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Ok((format!("multipart/mixed;boundary={boundary}"), out))
    }

    fn occurs(&self, boundary: &str) -> bool {
        let delimiter = format!("--{boundary}");
        self.parts
            .iter()
            .any(|p| memchr::memmem::find(&p.body, delimiter.as_bytes()).is_some())
    }

    fn fresh_boundary(&self, ids: &mut dyn IdGenerator) -> Result<String, BuildError> {
        for _ in 0..ATTEMPTS {
            let boundary = format!("b{}", ids.token(15));
            if !self.occurs(&boundary) {
                return Ok(boundary);
            }
        }
        Err(BuildError::Collision { field: "boundary" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SequentialIds;

    #[test]
    fn parts_without_final_crlf_get_one() {
        let (_, body) = MultipartBuilder::new()
            .boundary("B")
            .part("text/plain", "a")
            .part_with_disposition("text/plain", "render", "b")
            .write(&mut SequentialIds::new(0))
            .unwrap();
        assert_eq!(
            body,
            b"--B\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\na\r\n\
              --B\r\nContent-Type: text/plain\r\nContent-Disposition: render\r\nContent-Length: 1\r\n\r\nb\r\n--B--\r\n"
        );
    }

    #[test]
    fn no_parts_is_refused() {
        for multipart in [
            MultipartBuilder::new(),
            MultipartBuilder::new().boundary("B"),
        ] {
            assert!(matches!(
                multipart.write(&mut SequentialIds::new(0)),
                Err(BuildError::Missing { field: "parts", .. })
            ));
        }
    }

    #[test]
    fn boundary_in_content_is_refused_or_avoided() {
        let m = MultipartBuilder::new().part("text/plain", "--B inside");
        assert_eq!(
            m.clone().boundary("B").write(&mut SequentialIds::new(0)),
            Err(BuildError::Collision { field: "boundary" })
        );
        assert!(m.write(&mut SequentialIds::new(0)).is_ok());
    }
}
