//! SIP messages, read and written, knowing nothing of CPM.
//!
//! - Reading: [`IncomingRequest`] and [`IncomingResponse`] are zero-copy views of one
//!   message; [`Method`], [`KnownHeader`], [`Header`] and [`NameAddr`] are their
//!   parts; [`Limits`] bounds what is read.
//! - Writing: [`OutgoingRequest`] is a request this client wrote (the outgoing
//!   procedures build them); [`Response`] is the answer written for an incoming
//!   request (the [`Dispatcher`](crate::Dispatcher) builds them), with its
//!   [`StatusCode`].
//! - Framing: on a stream transport (TCP, TLS), [`StreamReader`] cuts the byte
//!   stream into whole messages and reports CRLF keep-alives (RFC 5626 4.4.1).
//!   [`Transport`] names the transport (UDP, TCP, TLS) and whether it is reliable.
//! - Authentication: [`DigestChallenge`] reads the challenges of a 401 or 407 and
//!   writes the `Authorization` or `Proxy-Authorization` answering one (RFC 3261 22,
//!   RFC 7616).
//!
//! The CPM layers above (routing, dispatch, outgoing) use this module; it uses none
//! of them. Routing adds its feature-tag reading to the reader's single pass over
//! the headers rather than walking the message again.

mod digest;
pub(crate) mod grammar;
mod header;
mod limits;
mod method;
mod name_addr;
mod outgoing_request;
mod request;
mod response;
mod response_writer;
mod salvage;
pub(crate) mod scan;
mod status;
mod stream;
mod transport;
pub(crate) mod via;
pub(crate) mod write;

pub use digest::{
    ChallengeHeader, DigestAlgorithm, DigestAnswer, DigestChallenge, DigestError, DigestQop,
};
pub use grammar::split_list;
pub use header::{Header, KnownHeader};
pub use limits::Limits;
pub use method::Method;
pub use name_addr::NameAddr;
pub use outgoing_request::OutgoingRequest;
pub use request::IncomingRequest;
pub use response::IncomingResponse;
pub use response_writer::Response;
pub(crate) use response_writer::{Echo, ResponseWriter, Source};
pub(crate) use salvage::Salvaged;
pub use status::StatusCode;
pub use stream::{StreamError, StreamErrorKind, StreamItem, StreamReader};
pub use transport::Transport;
