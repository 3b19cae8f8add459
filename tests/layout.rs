//! The shape of the source tree, checked: one definition per public type name, format
//! modules below the CPM procedure layers (imports point down only), and no module
//! named like a function the crate exports.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The format modules: they read and write a wire format and know no CPM procedure.
const FORMATS: [&str; 8] = [
    "sip",
    "sdp",
    "cpim",
    "multipart",
    "mime",
    "msrp",
    "imdn",
    "iscomposing",
];

/// Modules that are no wire format but sit below the procedure layers all the same:
/// the transaction layer (RFC 3261 section 17) uses `sip` only.
const BELOW_PROCEDURES: [&str; 1] = ["transaction"];

/// The procedure layers above them.
const PROCEDURES: [&str; 4] = ["routing", "dispatch", "outgoing", "conversation"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).expect("UTF-8 source");
            let relative = path.strip_prefix(&src).expect("under src").to_path_buf();
            (relative, text)
        })
        .collect()
}

/// The code of a file before its `#[cfg(test)]` module.
fn library_code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// The name after `pub struct`, `pub enum`, `pub trait` or `pub type` on `line`.
fn public_type(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("pub ")?;
    let rest = ["struct ", "enum ", "trait ", "type "]
        .iter()
        .find_map(|kw| rest.strip_prefix(kw))?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|name| !name.is_empty())
}

#[test]
fn every_public_type_name_is_defined_once() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, text) in sources() {
        for line in library_code(&text).lines() {
            if let Some(name) = public_type(line) {
                seen.entry(name.to_owned())
                    .or_default()
                    .push(path.display().to_string());
            }
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, places)| places.len() > 1)
        .map(|(name, places)| format!("{name}: {}", places.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "public type names defined more than once:\n{}",
        twice.join("\n")
    );
    assert!(seen.len() > 50, "the scan found the crate's types");
}

#[test]
fn format_modules_use_no_procedure_layer() {
    let mut offences = Vec::new();
    for (path, text) in sources() {
        let top = path
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_owned();
        if !FORMATS.contains(&top.as_str()) && !BELOW_PROCEDURES.contains(&top.as_str()) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            for layer in PROCEDURES {
                let path_use = format!("crate::{layer}");
                let at = line.find(&path_use);
                let whole_word = at.is_some_and(|at| {
                    !line[at + path_use.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                if whole_word {
                    offences.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "format modules naming a procedure layer:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    // The scan above would catch these lines.
    let line = "use crate::routing::TagSet;";
    assert!(PROCEDURES
        .iter()
        .any(|layer| line.contains(&format!("crate::{layer}"))));
    assert_eq!(public_type("pub struct Pager {"), Some("Pager"));
    assert_eq!(public_type("    pub enum Setup {"), Some("Setup"));
    assert_eq!(public_type("pub fn route("), None);
}

#[test]
fn no_module_is_named_like_an_exported_function() {
    let sources = sources();
    let modules: Vec<String> = sources
        .iter()
        .flat_map(|(path, _)| {
            path.components()
                .filter_map(|c| c.as_os_str().to_str())
                .map(|c| c.trim_end_matches(".rs").to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|m| m != "mod" && m != "lib")
        .collect();
    let mut clashes = Vec::new();
    for (path, text) in &sources {
        for line in library_code(text).lines() {
            let Some(rest) = line.strip_prefix("pub fn ") else {
                continue;
            };
            let name = rest.split(['(', '<']).next().unwrap_or_default();
            if modules.iter().any(|m| m == name) {
                clashes.push(format!("{}: pub fn {name}", path.display()));
            }
        }
    }
    assert!(
        clashes.is_empty(),
        "functions named like a module:\n{}",
        clashes.join("\n")
    );
}
