#!/usr/bin/env python3
"""Checks that SECURITY.md names only things that exist (run from anywhere, no build needed).

Every backticked reference in SECURITY.md is resolved against the worktree:

- tests, as `cargo test` prints them: `x::y` is `fn y` in tests/{api,browser,reliability}/x.rs
  (or x/mod.rs and its siblings), `a::b::tests::t` is `fn t` in src/a/b.rs (or b/mod.rs, b/tests.rs);
  `x::*` needs the test module to exist;
- code paths such as `auth::login::staff`, `db::sessions::LIVE`, `Actions::reset_factors`: the
  module file exists and every later segment is an item or word of it;
- file paths (src/, tests/, templates/, static/, migrations/), environment variables
  (ALL_CAPS, looked for in src/) and routes (/..., looked for in src/).

Prints each reference it cannot resolve and exits 1 if there is any; `-v` prints the counts.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "SECURITY.md"
TEST_DIRS = [ROOT / "tests" / d for d in ("api", "browser", "reliability")]
SRC = ROOT / "src"


def read(path):
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def all_src_text():
    return "\n".join(read(p) for p in SRC.rglob("*.rs"))


SRC_TEXT = all_src_text()
TEMPLATES_TEXT = "\n".join(read(p) for p in (ROOT / "templates").rglob("*.html"))
MIGRATIONS_TEXT = "\n".join(read(p) for p in (ROOT / "migrations").glob("*.sql"))


def has_fn(text, name):
    return re.search(r"\bfn\s+" + re.escape(name) + r"\b", text) is not None


def has_word(text, name):
    return re.search(r"\b" + re.escape(name) + r"\b", text) is not None


def test_module_files(module):
    """Files holding the integration test module `module`, per test binary."""
    found = []
    for d in TEST_DIRS:
        single = d / f"{module}.rs"
        folder = d / module
        if single.is_file():
            found.append([single])
        elif folder.is_dir():
            found.append(sorted(folder.rglob("*.rs")))
    return found


def src_module_files(segments):
    """Longest prefix of `segments` that is a module under src/: (files, rest of the segments)."""
    for cut in range(len(segments), 0, -1):
        base = SRC.joinpath(*segments[:cut])
        candidates = []
        if base.with_suffix(".rs").is_file():
            candidates.append(base.with_suffix(".rs"))
        if (base / "mod.rs").is_file():
            candidates.append(base / "mod.rs")
        if candidates:
            # A module's unit tests may sit in a sibling tests.rs (`mod tests;`).
            if (base / "tests.rs").is_file():
                candidates.append(base / "tests.rs")
            return candidates, segments[cut:]
    return None, segments


def resolve_path(ref):
    segments = ref.split("::")
    if segments[-1] == "*":
        stem = segments[:-1]
        if len(stem) == 1 and test_module_files(stem[0]):
            return True
        if stem[-1] == "tests":
            files, rest = src_module_files(stem[:-1])
            return bool(files) and not rest and any("mod tests" in read(f) for f in files)
        files, rest = src_module_files(stem)
        return files is not None and not rest
    # An integration test `module::fn`.
    if len(segments) == 2:
        for files in test_module_files(segments[0]):
            if any(has_fn(read(f), segments[1]) for f in files):
                return True
    # A unit test `a::b::tests::t`.
    if "tests" in segments:
        i = segments.index("tests")
        files, rest = src_module_files(segments[:i])
        if files and not rest and len(segments) == i + 2:
            return any(has_fn(read(f), segments[i + 1]) for f in files)
        return False
    # Written as the code writes it (`Expiry::OnInactivity`, a type of a dependency).
    if any(seg[:1].isupper() for seg in segments) and ref in SRC_TEXT:
        return True
    # A code path: module, then items named in it.
    files, rest = src_module_files(segments)
    if files:
        text = "\n".join(read(f) for f in files)
        return all(has_word(text, r) for r in rest)
    # A path written from inside its area (`link::verify_code`, `totp::accepted_step`): some
    # module of that name under src/ holds the rest.
    for module in SRC.rglob(segments[0] + ".rs"):
        if all(has_word(read(module), r) for r in segments[1:]):
            return True
    for module in SRC.rglob(segments[0]):
        if module.is_dir():
            files, rest = src_module_files(list(module.relative_to(SRC).parts) + segments[1:])
            if files and all(has_word("\n".join(read(f) for f in files), r) for r in rest):
                return True
    # `Type::item`: the type is declared in src/ and the item is named there too.
    declared = re.search(r"\b(struct|enum|trait|type)\s+" + re.escape(segments[0]) + r"\b", SRC_TEXT)
    return declared is not None and all(has_word(SRC_TEXT, s) for s in segments[1:])


def expand_braces(ref):
    """`auth::factors::{passkey, passkey_enrolment}` -> both paths."""
    m = re.fullmatch(r"(.*)::\{([^}]*)\}", ref)
    if not m:
        return [ref]
    return [m.group(1) + "::" + part.strip() for part in m.group(2).split(",")]


def kind_and_check(ref):
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(::([A-Za-z_][A-Za-z0-9_]*|\*|\{[^}]*\}))+", ref):
        return "path", all(resolve_path(r) for r in expand_braces(ref))
    if re.fullmatch(r"(src|tests|templates|static|migrations|scripts|fuzz)/[\w./-]*", ref):
        return "file", (ROOT / ref.rstrip("/")).exists()
    if re.fullmatch(r"[A-Z][A-Z0-9_]{3,}", ref):
        return "env/const", has_word(SRC_TEXT, ref)
    if re.fullmatch(r"/[\w/{}.…-]*", ref) and "…" not in ref:
        # A route (path parameters as {name}) is a string in src/.
        return "route", ref in SRC_TEXT
    if re.fullmatch(r"[a-z_]+", ref) and "_" in ref:
        # A table, column, audit action or cookie name: in src/, templates or migrations.
        return "name", any(has_word(t, ref) for t in (SRC_TEXT, MIGRATIONS_TEXT, TEMPLATES_TEXT))
    return None, True


def main():
    verbose = "-v" in sys.argv
    text = read(DOC)
    refs = re.findall(r"`([^`\n]+)`", text)
    counts, missing, seen = {}, [], set()
    for ref in refs:
        ref = ref.strip()
        if ref in seen:
            continue
        seen.add(ref)
        kind, ok = kind_and_check(ref)
        if kind is None:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if not ok:
            missing.append((kind, ref))
    for kind, ref in missing:
        print(f"unresolved {kind}: {ref}")
    if verbose or not missing:
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
        print(f"SECURITY.md: {len(seen)} distinct backticked references checked ({summary}); "
              f"{len(missing)} unresolved")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
