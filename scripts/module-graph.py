#!/usr/bin/env python3
"""Checks that the crate's modules depend on each other one way only (no cycle).

The project requires dependencies between modules to point one way along the pipeline:
data -> model -> losses -> train -> eval -> report -> pipeline -> cli/ui. A cycle between
modules (a uses b, b uses a) breaks that layering and usually means a type or function lives in
the wrong module. This script builds the graph of module dependencies of the library crate
(src/lib.rs and the modules it declares with `mod x;`), finds its strongly connected
components and, for each one with several modules, prints its members and one
concrete cycle with the file:line of every reference making each edge. Exit status: 1 if there
is a cycle, 0 otherwise ("N modules, M edges, no cycle").

An edge a -> b is any reference from a's code to module b: `use crate::…`, `use super::…`,
`use self::…` (grouped `{…}`, nested, multi-line), and inline paths starting with `crate::`,
`super::` or `self::` in expressions, types and attributes. A path resolves to its longest
prefix that is a module (`crate::config::ExperimentConfig` -> `crate::config`). Not edges:
references to itself, and from a module to its own descendants (a parent declaring `mod child;`
and re-exporting `pub use child::X` contains the child; that is not a dependency); visibility
restrictions `pub(in crate::x)`; paths not starting with crate/super/self (extern crates, or
names brought into scope by a `use` that is itself counted). Skipped: comments, doc comments,
string/char literals, and items under `#[cfg(test)]` (`mod tests { … }`, `mod tests;`, …).

Layers: with `--layers a,b,c` (the lab crate's default is its pipeline order, LAB_LAYERS), a
top-level module may only depend on modules listed before it; an edge to a later one is
reported like a cycle (exit 1). Top-level modules not listed are not checked.

Usage: module-graph.py [--root DIR] [--layers a,b,…] [--edges | --dot]
"""
import argparse
import re
import sys
from collections import defaultdict, deque
from pathlib import Path

IDENT = re.compile(r"[^\W\d]\w*")
ITEM_KEYWORDS = {"mod", "fn", "use", "impl", "const", "static", "struct", "enum", "trait",
                 "type", "unsafe", "async", "extern", "macro_rules", "union"}
TOKEN = re.compile(r"""
    (?P<skip> \s+ | //[^\n]* | [bc]?r(?P<h>\#*)".*?"(?P=h) | [bc]?"(?:\\.|[^"\\])*"
            | b?'(?:\\.[^']*|[^\\'])' | '[^\W\d]\w* | \d\w* )   # literals, lifetimes
  | (?P<block> /\* )
  | (?:r\#)? (?P<tok> [^\W\d]\w* | :: | . )""", re.S | re.X)


def tokenize(text):
    """(token, line) pairs: identifiers, '::' and single punctuation characters. Comments,
    string/char literals, lifetimes and numbers are dropped."""
    toks, i, line = [], 0, 1
    while i < len(text):
        m = TOKEN.match(text, i)
        j = m.end()
        if m.group("block"):  # block comments nest in Rust
            depth = 1
            while j < len(text) and depth:
                step = text[j:j + 2]
                depth += (step == "/*") - (step == "*/")
                j += 2 if step in ("/*", "*/") else 1
        elif m.group("tok"):
            toks.append((m.group("tok"), line))
        line, i = line + text.count("\n", i, j), j
    return toks + [("", line)] * 8  # sentinels


def use_tree(toks, i, prefix, out):
    """Parses one use tree at toks[i]; appends (path segments, line) per leaf; returns next i."""
    path = list(prefix)
    if toks[i][0] == "::":
        i += 1
    while True:
        tok, line = toks[i]
        if tok == "{":
            i += 1
            while toks[i][0] not in ("}", ""):
                i = use_tree(toks, i, path, out)
                if toks[i][0] == ",":
                    i += 1
            return i + 1
        if tok == "*":
            out.append((path, line))
            return i + 1
        path, i = path + [tok], i + 1
        if toks[i][0] == "::":
            i += 1
            continue
        if len(path) > 1 and path[-1] == "self":  # `use a::{self}` names `a`
            path = path[:-1]
        out.append((path, line))
        return i + 2 if toks[i][0] == "as" else i


def skip_group(toks, i):
    """Returns the index after the bracketed group opening at toks[i]."""
    depth = 0
    while toks[i][0]:
        if toks[i][0] in "([{":
            depth += 1
        elif toks[i][0] in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def skip_item(toks, i):
    """Returns the index after the item starting at toks[i] (ends at `;` or its `{…}` body)."""
    while toks[i][0] and toks[i][0] != ";":
        if toks[i][0] == "{":
            return skip_group(toks, i)
        i = skip_group(toks, i) if toks[i][0] in "([" else i + 1
    return i + 1


def scan_file(path, module, modules, refs):
    """Registers `module` (file `path`) and, recursively, the modules it declares; appends
    (module, path segments, file, line) to refs for every crate/super/self path."""
    modules[module] = path
    toks = tokenize(path.read_text(encoding="utf-8"))
    child_dir = path.parent if path.name in ("lib.rs", "mod.rs") else path.with_suffix("")
    stack = [(module, child_dir, -1)]  # inline `mod x { … }`: (module, child dir, depth)
    depth, i = 0, 0
    while toks[i][0]:
        tok, line = toks[i]
        prev = toks[i - 1][0] if i else ""
        ctx, cdir, _ = stack[-1]
        if tok == "#" and [t for t, _ in toks[i + 1:i + 6]] == ["[", "cfg", "(", "test", ")"]:
            j = i + 7  # past `]`; further attributes, then the item
            while toks[j][0] == "#":
                j = skip_group(toks, j + 1)
            k = j + (4 if toks[j + 1][0] == "(" else 1) if toks[j][0] == "pub" else j
            if toks[k][0] in ITEM_KEYWORDS:
                i = skip_item(toks, j)
                continue
        if tok == "mod" and IDENT.fullmatch(toks[i + 1][0]) and toks[i + 2][0] in (";", "{"):
            name = toks[i + 1][0]
            if toks[i + 2][0] == ";":
                for f in (cdir / f"{name}.rs", cdir / name / "mod.rs"):
                    if f.is_file():
                        scan_file(f, f"{ctx}::{name}", modules, refs)
                        break
                else:
                    print(f"warning: {path}:{line}: no file for `mod {name};`", file=sys.stderr)
                i += 3
            else:
                modules[f"{ctx}::{name}"] = path
                stack.append((f"{ctx}::{name}", cdir / name, depth))
                depth, i = depth + 1, i + 3
            continue
        if tok == "use" and toks[i + 1][0] != "<":  # not `impl Trait + use<'a>`
            leaves = []
            i = use_tree(toks, i + 1, [], leaves)
            refs.extend((ctx, segs, path, ln) for segs, ln in leaves)
            continue
        if tok in ("crate", "super", "self") and toks[i + 1][0] == "::" and prev != "::" \
                and prev != "in":  # `pub(in crate::x)` is a visibility, not a use
            segs, j = [tok], i + 1
            while toks[j][0] == "::" and IDENT.fullmatch(toks[j + 1][0]):
                segs.append(toks[j + 1][0])
                j += 2
            refs.append((ctx, segs, path, line))
            i = j
            continue
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == stack[-1][2]:
                stack.pop()
        i += 1


def resolve(ctx, segs, modules):
    """The module a path names: its longest prefix that is a module, or None (extern, bare)."""
    if segs[0] == "crate":
        base, rest = ["crate"], segs[1:]
    elif segs[0] in ("self", "super"):
        base, rest = ctx.split("::"), segs[1:] if segs[0] == "self" else segs
    else:
        return None
    while rest and rest[0] == "super":
        base, rest = base[:-1], rest[1:]
    full = base + rest
    for k in range(len(full), 0, -1):
        if "::".join(full[:k]) in modules:
            return "::".join(full[:k])
    return None


def build(root):
    modules, refs = {}, []
    scan_file(root / "lib.rs", "crate", modules, refs)
    edges = defaultdict(list)  # (from, to) -> ["file:line", …]
    for ctx, segs, path, line in refs:
        dst = resolve(ctx, segs, modules)
        if dst is None or dst == ctx or dst.startswith(ctx + "::"):
            continue
        loc = f"{path.relative_to(root.parent)}:{line}"
        if loc not in edges[ctx, dst]:
            edges[ctx, dst].append(loc)
    return modules, dict(edges)


def cycles(nodes, succ):
    """Strongly connected components with more than one module (mutual reachability; the
    graph has ~100 nodes, so a search from each node is instant)."""
    reach = {}
    for v in nodes:
        seen, todo = set(), [v]
        while todo:
            for w in succ[todo.pop()] - seen:
                seen.add(w)
                todo.append(w)
        reach[v] = seen
    sccs = {frozenset({v} | {w for w in reach[v] if v in reach[w]}) for v in nodes if v in reach[v]}
    return sorted(sccs, key=min)


def shortest_cycle(start, scc, succ):
    """Shortest cycle start -> … -> start inside scc (BFS)."""
    parent, queue = {}, deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(succ[v]):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1] + [start]
            if w in scc and w not in parent:
                parent[w] = v
                queue.append(w)
    return [start]


# The lab crate's top-level modules in pipeline order (config, links, sweeps and the parsers are
# in dml-lab-core, below all of them).
LAB_LAYERS = "backend,data,model,losses,train,eval,report,pipeline,cli,ui"


def layer_violations(edges, layers):
    """Edges from a top-level module to one listed after it in `layers`."""
    rank = {name: i for i, name in enumerate(layers)}
    top = lambda m: m.split("::")[1] if m.count("::") >= 1 else m
    return sorted(
        (a, b)
        for a, b in edges
        if top(a) in rank and top(b) in rank and rank[top(b)] > rank[top(a)]
    )


def main():
    default_root = Path(__file__).resolve().parent.parent / "src"
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=default_root, help="the crate's src/ directory")
    ap.add_argument("--edges", action="store_true", help="list every edge with its locations")
    ap.add_argument("--dot", action="store_true", help="print the graph in Graphviz dot")
    ap.add_argument("--layers", default=None,
                    help="top-level modules in dependency order (default: the lab crate's, for src/)")
    args = ap.parse_args()
    root = args.root.resolve()
    if not (root / "lib.rs").is_file():
        ap.error(f"{root}/lib.rs not found")
    modules, edges = build(root)
    succ = defaultdict(set)
    for a, b in edges:
        succ[a].add(b)
    sccs = cycles(modules, succ)
    in_cycle = {(a, b) for s in sccs for a, b in edges if a in s and b in s}
    if args.dot:
        print("digraph modules {\n  rankdir=LR;\n  node [shape=box, fontsize=10];")
        for m in sorted(modules):
            print(f'  "{m}";')
        for a, b in sorted(edges):
            red = " [color=red]" if (a, b) in in_cycle else ""
            print(f'  "{a}" -> "{b}"{red};')
        print("}")
        return 1 if sccs else 0
    if args.edges:
        for (a, b), locs in sorted(edges.items()):
            print(f"{a} -> {b} ({', '.join(locs)})")
    for n, scc in enumerate(sccs, 1):
        print(f"cycle {n}: {len(scc)} modules in one SCC: {', '.join(sorted(scc))}")
        cycle = shortest_cycle(min(scc), scc, succ)
        print("  one cycle: " + " -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            print(f"    {a} -> {b} ({', '.join(edges[a, b])})")
        on_path = set(zip(cycle, cycle[1:]))
        others = sorted(e for e in in_cycle if e[0] in scc and e not in on_path)
        if others:
            print(f"  other edges inside this SCC ({len(others)}):")
            for a, b in others:
                print(f"    {a} -> {b} ({', '.join(edges[a, b])})")
    layers = args.layers if args.layers is not None else (LAB_LAYERS if root == default_root else "")
    backward = layer_violations(edges, [l for l in layers.split(",") if l])
    for a, b in backward:
        print(f"against the layers ({layers}): {a} -> {b} ({', '.join(edges[a, b])})")
    verdict = f"{len(sccs)} cycle(s)" if sccs else "no cycle"
    if layers:
        verdict += f", {len(backward)} edge(s) against the layers" if backward else ", layers respected"
    print(f"{len(modules)} modules, {len(edges)} edges, {verdict}")
    return 1 if sccs or backward else 0


if __name__ == "__main__":
    sys.exit(main())
