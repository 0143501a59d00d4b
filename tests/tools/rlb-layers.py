#!/usr/bin/env python3
"""rlb-layers.py OBJDIR [SRCDIR]: radlb's module graph, from the symbols its
object files define and use (nm -P), checked against the layers of
doc/architecture.md ("The dependency rule").

A module is one .c file under src/; its layer is its folder. Module A
depends on B when A calls (or reads) a symbol B defines. Calls by name go
down: a module may use its own layer and the layers below, never one above
(the lower layers report upward through callback tables: upcalls.h,
rlb_stream_ops, rlb_redis_hooks, rlb_rstore_hooks), so no circle crosses
layers. With SRCDIR (the source tree's src/), includes are checked the
same way: no file includes a header of a layer above its own, but the
type-only headers of TYPE_HEADERS. TAP output: exits 1 on a call or an
include upward, on a circle between layers or on a module outside the
layers' folders; --dot prints the graph (Graphviz) instead.
"""
import glob
import os
import re
import subprocess
import sys


# Bottom to top: each layer is one or more folders of src/ (a module's
# layer is its folder: a new file goes in the folder of what it owns, and
# in doc/architecture.md's list). '.' is src/ itself.
LAYERS = [
    ('tools', 'base'),
    ('wire', 'wire'),
    ('tables', 'tables'),
    ('configuration', 'conf'),
    ('transports and cluster', 'net cluster'),
    ('request flow', 'flow'),
    ('operations', 'ops'),
    ('daemon', '.'),
]


# Headers that any layer may include although they sit higher: types only,
# read and never called. conf.h: the loaded configuration, which the
# tables and the wire read (they never call the configuration layer);
# ctx.h and upcalls.h: the root context every file receives, and the
# table through which news goes up.
TYPE_HEADERS = {'conf.h', 'ctx.h', 'upcalls.h'}


def upward_includes(srcdir):
    """Every #include "x.h" of a file of src/ that names a header of a
    higher layer (by folder) than the file's own, but TYPE_HEADERS."""
    layer_of = {}
    for i, (_, folders) in enumerate(LAYERS):
        for d in folders.split():
            layer_of[d] = i
    where = {}
    for d, _, names in os.walk(srcdir):
        rel = os.path.relpath(d, srcdir)
        if rel in layer_of:
            for f in names:
                if f.endswith(('.c', '.h')):
                    where[f] = rel
    up = []
    for f, d in sorted(where.items()):
        with open(os.path.join(srcdir, d, f), encoding='utf-8') as fp:
            for inc in re.findall(r'^#include "([^"]+)"', fp.read(), re.M):
                if inc in where and inc not in TYPE_HEADERS and \
                        layer_of[where[inc]] > layer_of[d]:
                    up.append('%s/%s includes %s/%s, a layer above' % (d, f, where[inc], inc))
    return up


def module_of(path):
    base = os.path.basename(path)
    base = re.sub(r'^librlb_a-', '', base)
    return base[:-2] if base.endswith('.o') else base


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    srcdir = args[1] if len(args) > 1 else None
    dot = '--dot' in sys.argv
    objdir = args[0] if args else 'src'
    objs = sorted(glob.glob(os.path.join(objdir, '**', 'librlb_a-*.o'), recursive=True))
    if not objs:
        sys.exit('rlb-layers.py: no librlb_a-*.o in %s (build first)' % objdir)
    defines, uses, folder = {}, {}, {}
    for o in objs:
        m = module_of(o)
        folder[m] = os.path.relpath(os.path.dirname(o), objdir)
        out = subprocess.run(['nm', '-P', o], check=True, capture_output=True, text=True).stdout
        d, u = set(), set()
        for line in out.splitlines():
            f = line.split()
            if len(f) < 2:
                continue
            sym, kind = f[0], f[1]
            if kind == 'U':
                u.add(sym)
            elif kind in 'TDBRCV':
                d.add(sym)
        uses[m] = u
        for s in d:
            defines[s] = m
    graph = {m: set() for m in uses}
    for m, u in uses.items():
        for s in u:
            t = defines.get(s)
            if t and t != m:
                graph[m].add(t)
    if dot:
        print('digraph radlb {')
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print('  "%s" -> "%s";' % (m, t))
        print('}')
        return 0
    layer = {}
    for i, (_, folders) in enumerate(LAYERS):
        for d in folders.split():
            for m in graph:
                if folder[m] == d:
                    layer[m] = i
    n = [0]
    failed = [False]

    def tap(ok, what, details=()):
        n[0] += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', n[0], what))
        for d in details:
            print('# ' + d)
        if not ok:
            failed[0] = True

    unplaced = sorted(m for m in graph if m not in layer)
    tap(not unplaced, "every module of src/ is in a layer's folder (%d modules, %d dependencies)"
        % (len(graph), sum(len(t) for t in graph.values())),
        ['%s is in src/%s, a folder of no layer: move it, or add the folder to LAYERS here '
         'and to doc/architecture.md' % (m, folder[m]) for m in unplaced])
    up = []
    for m in sorted(graph):
        for t in sorted(graph[m]):
            if m in layer and t in layer and layer[t] > layer[m]:
                syms = sorted(s for s in uses[m] if defines.get(s) == t)
                up.append('%s (%s) calls %s (%s): %s' % (m, LAYERS[layer[m]][0], t,
                                                         LAYERS[layer[t]][0], ' '.join(syms)))
    tap(not up, 'calls by name go down: no module calls a layer above its own', up)
    # circles between layers: the layer graph, with Tarjan's algorithm on
    # modules whose edges cross layers
    lgraph = {i: set() for i in range(len(LAYERS))}
    for m in graph:
        for t in graph[m]:
            if m in layer and t in layer and layer[m] != layer[t]:
                lgraph[layer[m]].add(layer[t])
    index, low, onstack, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(lgraph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(sorted(comp))

    for v in sorted(lgraph):
        if v not in index:
            visit(v)
    circles = [', '.join(LAYERS[i][0] for i in c) for c in sccs if len(c) > 1]
    tap(not circles, 'no circle between layers', circles)
    if srcdir:
        up = upward_includes(srcdir)
        tap(not up, 'includes go down too (but for %s)' % ', '.join(sorted(TYPE_HEADERS)), up)
    print('1..%d' % n[0])
    return 1 if failed[0] else 0


if __name__ == '__main__':
    sys.exit(main())
