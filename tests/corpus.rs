//! Routes every message of the public corpus (`tests/corpus/`, an exact copy of the
//! project's shared corpus) and of the library's own cases (`tests/data/`), and checks
//! each against its `expected.tsv`.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use cpm_client::{route, Route, RoutedRequest};

/// One row of an `expected.tsv`.
struct Case {
    file: String,
    /// Accepted answers (`a|b` in the file), each a route name or `error`.
    routes: Vec<String>,
    /// Remaining columns, by header name.
    columns: Vec<(String, String)>,
}

impl Case {
    fn column(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

fn cases(dir: &Path) -> Vec<Case> {
    let table = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().expect("header line").split('\t').collect();
    assert_eq!(header[0], "file", "first column of {}", dir.display());
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            Case {
                file: fields[0].to_owned(),
                routes: fields[1].split('|').map(str::to_owned).collect(),
                columns: header[2..]
                    .iter()
                    .zip(&fields[2..])
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect(),
            }
        })
        .collect()
}

/// The routing contract's name for an outcome.
fn outcome(result: &Result<Route, cpm_client::ParseError>) -> &'static str {
    match result {
        Ok(route) => route.as_str(),
        Err(_) => "error",
    }
}

/// Routes every case of a directory both ways, returns the failures.
fn check(dir: &Path, extra: impl Fn(&Case, &[u8]) -> Option<String>) -> (usize, Vec<String>) {
    let cases = cases(dir);
    let mut failures = Vec::new();
    for case in &cases {
        let bytes = std::fs::read(dir.join(&case.file)).expect("corpus file");
        let routed = route(&bytes);
        let parsed = RoutedRequest::parse(Bytes::from(bytes.clone())).map(|r| r.route());
        let got = outcome(&routed);
        if !case.routes.iter().any(|r| r == got) {
            failures.push(format!(
                "{}: got {got} ({:?}), expected {}",
                case.file,
                routed.as_ref().err().map(ToString::to_string),
                case.routes.join("|")
            ));
        }
        if routed != parsed {
            failures.push(format!(
                "{}: route() {routed:?} but parse() {parsed:?}",
                case.file
            ));
        }
        if let Some(failure) = extra(case, &bytes) {
            failures.push(failure);
        }
    }
    (cases.len(), failures)
}

#[test]
fn public_corpus_routes_as_expected() {
    let (count, failures) = check(&dir("corpus"), |_, _| None);
    assert_eq!(count, 81, "the public corpus has 81 messages");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn own_cases_route_with_the_expected_tags_and_errors() {
    let (count, failures) = check(&dir("data"), |case, bytes| {
        let routing = cpm_client::Routing::read(bytes, &cpm_client::Limits::DEFAULT);
        match (routing, case.column("tags"), case.column("error")) {
            (Ok(r), Some(tags), _) => {
                let got = if r.tags.is_empty() {
                    "-".to_owned()
                } else {
                    r.tags.to_string()
                };
                (got != tags).then(|| format!("{}: tags {got}, expected {tags}", case.file))
            }
            (Err(e), _, Some(reason)) => {
                let text = e.to_string();
                let got = text.split_once(": ").map_or(text.as_str(), |(_, r)| r);
                (got != reason)
                    .then(|| format!("{}: error {got:?}, expected {reason:?}", case.file))
            }
            _ => None,
        }
    });
    assert!(count >= 100, "tests/data holds the library's own cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_route_and_the_error_outcome_are_covered_by_own_cases() {
    let cases = cases(&dir("data"));
    for name in Route::ALL.iter().map(|r| r.as_str()).chain(["error"]) {
        assert!(
            cases.iter().any(|c| c.routes == [name]),
            "no case in tests/data routes {name}"
        );
    }
}
