#!/usr/bin/env python3
"""Lists the functions longer than a screenful (80 lines) in the crate's sources.

A run's functions should read like burn's custom-training-loop example: the loop a screenful
long, each part named. This finds every `fn` item's body (brace matching that skips comments,
strings and chars), outside `#[cfg(test)]` modules, and prints those over the limit with their
file:line and length. A function may stay long if the comment just above it (its doc comment
or a `//` line) says why, in a sentence starting "Long:"; those are listed as explained.

Exit status 1 when a function over the limit in a checked path has no such reason (default:
every .rs file under the roots), else 0.

Usage: long-functions.py [--limit 80] [--roots src core/src] [--check PATH ...]
"""
import argparse
import re
import sys
from pathlib import Path

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"[^\"]*\"\s+)?fn\s+(\w+)")
TEST_MOD = re.compile(r"^\s*#\[cfg\(test\)\]")


def strip(text):
    """The text with comments, strings and char literals blanked (newlines kept), so that
    braces can be matched."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"' or (c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not text[i - 1].isalnum())):
            m = re.match(r'r(#*)"', text[i:i + 10]) if c == "r" else None
            if m:
                end = '"' + m.group(1)
                j = text.find(end, i + len(m.group(0)))
                j = n if j < 0 else j + len(end)
            else:
                j = i + 1
                while j < n and text[j] != '"':
                    j += 2 if text[j] == "\\" else 1
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    """(name, first line, line count, reason) of every fn with a body, outside test modules."""
    raw = path.read_text()
    lines = raw.split("\n")
    code = strip(raw).split("\n")
    found, skip_until = [], -1
    for i, line in enumerate(code):
        if i <= skip_until:
            continue
        if TEST_MOD.match(line):
            # Skip the item that follows (a `mod tests { … }` or a test-only fn).
            skip_until = block_end(code, i + 1)
            continue
        m = FN.match(line)
        if not m:
            continue
        end = block_end(code, i)
        if end is None:
            continue  # a declaration without a body (trait method, extern)
        reason = None
        j = i - 1
        while j >= 0 and (lines[j].strip().startswith(("///", "//", "#[")) ):
            if "Long:" in lines[j]:
                reason = lines[j].split("Long:", 1)[1].strip()
            j -= 1
        found.append((m.group(1), i + 1, end - i + 1, reason))
    return found


def block_end(code, start):
    """The line where the braces opened at or after `start` close; None when a `;` ends the
    item first (no body)."""
    depth, opened = 0, False
    for k in range(start, len(code)):
        for ch in code[k]:
            if ch == "{":
                depth += 1
                opened = True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return k
            elif ch == ";" and not opened:
                return None
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=80)
    ap.add_argument("--roots", nargs="+", default=["src", "core/src"])
    ap.add_argument("--check", nargs="*", default=None,
                    help="paths whose unexplained long functions fail the check (default: all)")
    args = ap.parse_args()
    long, failing = [], 0
    for root in args.roots:
        for path in sorted(Path(root).rglob("*.rs")):
            for name, line, count, reason in functions(path):
                if count > args.limit:
                    long.append((str(path), line, name, count, reason))
    for path, line, name, count, reason in long:
        checked = args.check is None or any(path == c or path.startswith(c.rstrip("/") + "/") for c in args.check)
        bad = reason is None and checked
        failing += bad
        why = f"long: {reason}" if reason else ("NO REASON" if checked else "not checked")
        print(f"{path}:{line}: {name} is {count} lines ({why})")
    explained = sum(1 for *_, r in long if r)
    print(f"{len(long)} functions over {args.limit} lines, {explained} with a stated reason, "
          f"{failing} failing")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
