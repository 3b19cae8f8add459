//! The bounded XML reader under the IMDN (RFC 5438) and is-composing (RFC 3994)
//! bodies: a tiny element tree built from `quick-xml` pull events, with the limits
//! that keep hostile input cheap, and the escaping of the writers.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{invalid, BuildError};

/// The largest XML body read: both documents are a few hundred bytes.
pub const MAX_XML_BYTES: usize = 64 * 1024;
/// The deepest element nesting read (an IMDN is 4 deep).
pub const MAX_XML_DEPTH: usize = 16;
/// The most elements read in one body.
pub const MAX_XML_ELEMENTS: usize = 256;

/// Why an `message/imdn+xml` or `application/im-iscomposing+xml` body was refused.
/// Every refusal is found after bounded work: the body's size is checked before it is
/// read, and nesting and element counts stop the reader as soon as they are passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlBodyError {
    /// The body is larger than [`MAX_XML_BYTES`].
    #[error("XML body of {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Elements nest deeper than [`MAX_XML_DEPTH`].
    #[error("XML elements nest deeper than {limit} at byte {offset}")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where the element that passed it starts.
        offset: u64,
    },
    /// More than [`MAX_XML_ELEMENTS`] elements.
    #[error("more than {limit} XML elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// A document type declaration: entity declarations and DTDs are refused, never
    /// expanded (the billion-laughs and external-entity attacks).
    #[error("XML document type declarations (DTD, entities) are refused, at byte {offset}")]
    Doctype {
        /// Where the declaration starts.
        offset: u64,
    },
    /// A reference to an entity other than the five XML predefines and character
    /// references.
    #[error("unknown XML entity &{name}; at byte {offset}")]
    UnknownEntity {
        /// The entity's name.
        name: String,
        /// Where the reference ends.
        offset: u64,
    },
    /// The text is not well-formed XML (what `quick-xml` says, and where).
    #[error("malformed XML at byte {offset}: {message}")]
    Syntax {
        /// The reader's message.
        message: String,
        /// Where the reader stopped.
        offset: u64,
    },
    /// No root element, or a root of another document type.
    #[error("XML root element is `{found}`, expected `{expected}`")]
    WrongRoot {
        /// The root the format requires.
        expected: &'static str,
        /// The root found (empty when there is none).
        found: String,
    },
    /// The root's namespace is not the format's.
    #[error("XML namespace `{found}` is not `{expected}`")]
    WrongNamespace {
        /// The namespace the format requires.
        expected: &'static str,
        /// The namespace found.
        found: String,
    },
    /// An element the format requires is absent.
    #[error("XML element <{0}> is missing")]
    Missing(&'static str),
    /// An element whose value the format does not allow.
    #[error("XML element <{element}> has a value the format does not allow: {value}")]
    BadValue {
        /// The element.
        element: &'static str,
        /// The value as read (cut to 64 characters).
        value: String,
    },
}

/// One element: its local name (prefix dropped), the namespace its root declared,
/// its text (trimmed, references resolved) and its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) namespace: Option<String>,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub(crate) fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Reads `body` into a tree whose root must be `root` in namespace `namespace`.
pub(crate) fn read_tree(
    body: &[u8],
    root: &'static str,
    namespace: &'static str,
) -> Result<Element, XmlBodyError> {
    if body.len() > MAX_XML_BYTES {
        return Err(XmlBodyError::TooLarge {
            size: body.len(),
            limit: MAX_XML_BYTES,
        });
    }
    let mut reader = Reader::from_reader(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut done: Option<Element> = None;
    let mut elements = 0usize;
    let syntax = |reader: &Reader<&[u8]>, e: &dyn std::fmt::Display| XmlBodyError::Syntax {
        message: e.to_string(),
        offset: reader.error_position(),
    };
    loop {
        let event = reader.read_event().map_err(|e| syntax(&reader, &e))?;
        let offset = reader.buffer_position();
        match event {
            Event::Start(start) | Event::Empty(start) if done.is_some() => {
                let _ = start;
                return Err(XmlBodyError::Syntax {
                    message: "a second root element".into(),
                    offset,
                });
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if elements > MAX_XML_ELEMENTS {
                    return Err(XmlBodyError::TooManyElements {
                        limit: MAX_XML_ELEMENTS,
                    });
                }
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(XmlBodyError::TooDeep {
                        limit: MAX_XML_DEPTH,
                        offset,
                    });
                }
                let element = open(start, stack.is_empty())?;
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut done, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| XmlBodyError::Syntax {
                    message: "an end tag without a start".into(),
                    offset,
                })?;
                close(&mut stack, &mut done, element);
            }
            Event::Text(text) => {
                let text = text.xml10_content().map_err(|e| syntax(&reader, &e))?;
                push_text(&mut stack, &text, offset)?;
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| syntax(&reader, &e))?;
                push_text(&mut stack, &text, offset)?;
            }
            Event::GeneralRef(reference) => {
                let resolved: Cow<'_, str> = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Cow::Owned(c.to_string()),
                    Ok(None) => {
                        let name = reference.decode().map_err(|e| syntax(&reader, &e))?;
                        match &*name {
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "amp" => "&".into(),
                            "apos" => "'".into(),
                            "quot" => "\"".into(),
                            _ => {
                                return Err(XmlBodyError::UnknownEntity {
                                    name: cut(&name),
                                    offset,
                                })
                            }
                        }
                    }
                    Err(e) => return Err(syntax(&reader, &e)),
                };
                push_text(&mut stack, &resolved, offset)?;
            }
            Event::DocType(_) => {
                return Err(XmlBodyError::Doctype { offset });
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlBodyError::Syntax {
            message: "the document ends inside an element".into(),
            offset: reader.buffer_position(),
        });
    }
    let mut tree = done.ok_or(XmlBodyError::WrongRoot {
        expected: root,
        found: String::new(),
    })?;
    if tree.name != root {
        return Err(XmlBodyError::WrongRoot {
            expected: root,
            found: cut(&tree.name),
        });
    }
    match &tree.namespace {
        Some(ns) if ns == namespace => {}
        Some(ns) => {
            return Err(XmlBodyError::WrongNamespace {
                expected: namespace,
                found: cut(ns),
            })
        }
        None => tree.namespace = Some(namespace.to_owned()),
    }
    trim(&mut tree);
    Ok(tree)
}

/// A new element from its start tag; the root's namespace is read from its `xmlns`
/// (or `xmlns:prefix` for a prefixed root).
fn open(start: &BytesStart<'_>, is_root: bool) -> Result<Element, XmlBodyError> {
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut namespace = None;
    if is_root {
        let qname = start.name();
        let wanted: Vec<u8> = match qname.prefix() {
            Some(prefix) => [b"xmlns:", prefix.as_ref()].concat(),
            None => b"xmlns".to_vec(),
        };
        for attribute in start.attributes().flatten() {
            if attribute.key.as_ref() == wanted.as_slice() {
                namespace = Some(String::from_utf8_lossy(&attribute.value).into_owned());
            }
        }
    }
    Ok(Element {
        name: local,
        namespace,
        text: String::new(),
        children: Vec::new(),
    })
}

fn close(stack: &mut [Element], done: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *done = Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str, offset: u64) -> Result<(), XmlBodyError> {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    } else if !text.trim().is_empty() {
        return Err(XmlBodyError::Syntax {
            message: "text outside the root element".into(),
            offset,
        });
    }
    Ok(())
}

fn trim(element: &mut Element) {
    let trimmed = element.text.trim();
    if trimmed.len() != element.text.len() {
        element.text = trimmed.to_owned();
    }
    element.children.iter_mut().for_each(trim);
}

/// A value for an error message: at most 64 characters.
pub(crate) fn cut(value: &str) -> String {
    value.chars().take(64).collect()
}

/// Appends `text` escaped for XML element content and attribute values; refuses the
/// control characters XML 1.0 cannot carry at all (section 2.2: only tab, LF and CR).
pub(crate) fn escape(field: &'static str, text: &str, out: &mut String) -> Result<(), BuildError> {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A bare CR would be read back as LF (XML 1.0 section 2.11).
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() && (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                return Err(invalid(
                    field,
                    text,
                    "text without control characters (XML 1.0 section 2.2)",
                ))
            }
            c => out.push(c),
        }
    }
    Ok(())
}
