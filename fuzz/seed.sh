#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with seed inputs for the seven fuzz targets, generated from
# the SIP messages the project already has:
#   tests/data/**/*.sip, tests/corpus/*.sip and, when it is beside the repository,
#   ../shared/corpus/**/*.sip
# plus the small dedicated seeds committed under fuzz/seeds/TARGET/.
#
#   parse, route, dispatch  each whole message
#   accept_contact          each Accept-Contact (or compact `a`) header value, folds kept
#   cpim, sdp               each message body (what follows the first empty line), and
#                           each part of a multipart body
#   msrp                    only its dedicated seeds (MSRP messages and streams)
#
# Every seed is named by the SHA-1 of its bytes (as libFuzzer names corpus entries),
# so running the script again adds nothing twice. Needs bash and python3.
#
# Usage: fuzz/seed.sh [TARGET...]     (no argument: every target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(parse route accept_contact cpim sdp dispatch msrp)
fi

python3 - "$root" "$here" "${targets[@]}" <<'PY'
import hashlib, os, re, sys
from pathlib import Path

root, fuzz, targets = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]

def messages():
    globs = [(root / "tests" / "data", "**/*.sip"), (root / "tests" / "corpus", "*.sip"),
             (root.parent / "shared" / "corpus", "**/*.sip")]
    for base, pattern in globs:
        if base.is_dir():
            for path in sorted(base.glob(pattern)):
                yield path.read_bytes()

def split_head(message):
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = message.find(sep)
        if at >= 0:
            return message[:at], message[at + len(sep):]
    return message, b""

def header_values(head, names):
    """Values of the header lines called one of `names` (any case), folds kept."""
    lines = re.split(rb"\r?\n", head)[1:]
    out, current = [], None
    for line in lines:
        if line[:1] in (b" ", b"\t") and current is not None:
            current += b"\r\n" + line
            continue
        if current is not None:
            out.append(current)
            current = None
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in names:
            current = value.strip(b" \t")
    if current is not None:
        out.append(current)
    return out

def parts(head, body):
    """The bodies of the parts of a multipart body (head and body of each part)."""
    match = re.search(rb"boundary=\"?([^\";\r\n]+)", head, re.I)
    if not match:
        return []
    delimiter = b"--" + match.group(1).strip()
    out = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.lstrip(b" \t").removeprefix(b"\r\n").removeprefix(b"\n")
        chunk = chunk.removesuffix(b"\r\n").removesuffix(b"\n")
        out.append(split_head(chunk)[1])
    return out

def seeds(target):
    for message in messages():
        head, body = split_head(message)
        if target in ("parse", "route", "dispatch"):
            yield message
        elif target == "accept_contact":
            yield from header_values(head, {b"accept-contact", b"a"})
        elif target in ("cpim", "sdp"):
            if body:
                yield body
            yield from parts(head, body)
    dedicated = fuzz / "seeds" / target
    if dedicated.is_dir():
        for path in sorted(dedicated.iterdir()):
            if path.is_file():
                yield path.read_bytes()

for target in targets:
    out = fuzz / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    before = len(os.listdir(out))
    for seed in seeds(target):
        if seed:
            (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    print(f"{target}: {len(os.listdir(out)) - before} new seeds, {len(os.listdir(out))} in {out.relative_to(root)}")
PY
