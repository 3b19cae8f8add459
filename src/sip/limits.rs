//! Size limits on what the reader accepts.

/// Bounds on an incoming request. Input beyond any of them is refused with a
/// [`ParseError`](crate::ParseError) before more work is spent on it, so the work per
/// request is bounded by these numbers and grows linearly with the input.
///
/// | limit | default | why this default |
/// | --- | --- | --- |
/// | `max_message_size` | 262 144 bytes (256 KiB) | four times the largest UDP datagram; room for a multipart INVITE with a file-transfer thumbnail over TCP |
/// | `max_headers` | 1 024 header lines | real CPM requests carry 15 to 40; RFC 4475's longest torture message about 60 |
/// | `max_header_size` | 16 384 bytes per header, folds included | the longest real values (Route sets, P-Access-Network-Info, feature-tag lists) stay under 2 KiB |
/// | `max_accept_contact_values` | 128 values over all Accept-Contact headers | deployed clients send one to three |
/// | `max_params` | 64 parameters in one Accept-Contact, Contact or Via value | a REGISTER Contact with every RCS tag has about 15 |
///
/// Each reading limit is inclusive: a request with exactly `max_headers` header lines
/// reads, one more is refused with [`ParseErrorKind::TooManyHeaders`] naming the
/// limit, and likewise [`MessageTooLarge`](crate::ParseErrorKind::MessageTooLarge),
/// [`HeaderTooLong`](crate::ParseErrorKind::HeaderTooLong) (the header counted from the first
/// byte of its name to the CRLF that ends it, fold CRLFs included),
/// [`TooManyAcceptContactValues`](crate::ParseErrorKind::TooManyAcceptContactValues) and
/// [`TooManyParams`](crate::ParseErrorKind::TooManyParams). The
/// [`Dispatcher`](crate::Dispatcher) answers them 513 (message size) or 400 with the
/// error as reason phrase (nothing when the request has no Via).
///
/// [`ParseErrorKind::TooManyHeaders`]: crate::ParseErrorKind::TooManyHeaders
///
/// # Example
///
/// ```
/// use cpm_client::{Limits, Routing};
///
/// let strict = Limits::DEFAULT.with_max_headers(8);
/// let many = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
///     From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\
///     X-1: 1\r\nX-2: 2\r\nX-3: 3\r\nX-4: 4\r\n\r\n";
/// assert!(Routing::read(many, &Limits::DEFAULT).is_ok());
/// assert_eq!(Routing::read(many, &strict).unwrap_err().to_string(), "line 10: more than 8 headers");
/// ```
///
/// The fields can be read; new limits may be added, so a `Limits` is made from
/// [`Limits::DEFAULT`] and the `with_` setters, which are `const` so that a set of
/// limits can be a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input, in bytes, head and body together.
    pub max_message_size: usize,
    /// Most header lines (a folded header counts once).
    pub max_headers: usize,
    /// Longest header, name, folds and value together, in bytes.
    pub max_header_size: usize,
    /// Most Accept-Contact values over all the request's Accept-Contact headers.
    pub max_accept_contact_values: usize,
    /// Most parameters in one Accept-Contact, Contact or Via value.
    pub max_params: usize,
}

impl Limits {
    /// The defaults of the table above.
    pub const DEFAULT: Limits = Limits {
        max_message_size: 256 * 1024,
        max_headers: 1024,
        max_header_size: 16 * 1024,
        max_accept_contact_values: 128,
        max_params: 64,
    };

    /// These limits with `max_message_size` set.
    #[must_use]
    pub const fn with_max_message_size(mut self, bytes: usize) -> Limits {
        self.max_message_size = bytes;
        self
    }

    /// These limits with `max_headers` set.
    #[must_use]
    pub const fn with_max_headers(mut self, count: usize) -> Limits {
        self.max_headers = count;
        self
    }

    /// These limits with `max_header_size` set.
    #[must_use]
    pub const fn with_max_header_size(mut self, bytes: usize) -> Limits {
        self.max_header_size = bytes;
        self
    }

    /// These limits with `max_accept_contact_values` set.
    #[must_use]
    pub const fn with_max_accept_contact_values(mut self, count: usize) -> Limits {
        self.max_accept_contact_values = count;
        self
    }

    /// These limits with `max_params` set.
    #[must_use]
    pub const fn with_max_params(mut self, count: usize) -> Limits {
        self.max_params = count;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
