//! Reading SIP requests, knowing nothing of CPM.
//!
//! [`IncomingRequest`] is the zero-copy view of one request; [`Method`],
//! [`KnownHeader`] and [`Header`] are its parts; [`Limits`] bounds what is read.

pub(crate) mod grammar;
mod header;
mod limits;
mod method;
mod name_addr;
mod request;
mod response;
pub(crate) mod scan;

pub use grammar::split_list;
pub use header::{Header, KnownHeader};
pub use limits::Limits;
pub use method::Method;
pub use name_addr::NameAddr;
pub use request::IncomingRequest;
pub use response::IncomingResponse;
