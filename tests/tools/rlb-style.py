#!/usr/bin/env python3
"""rlb-style.py TOP: the code layout rules that a compiler does not check,
over the C files of src/ (generated files apart). TAP output,
exits 1 when one fails:

1. no line over 100 columns (tabs at 8), the limit of .clang-format;
2. no file of src/ over 800 lines (issue 12: a file that grows past it
   owns more than one thing: split it by noun);
3. no tab indentation and no trailing white space.
"""
import os
import sys

TOP = sys.argv[1] if len(sys.argv) > 1 else '.'
LIMIT = 100
MAX_LINES = 800
GENERATED = {'src/ops/www_assets.c'}
n = 0
failed = False


def tap(ok, what, details):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    for d in details[:40]:
        print('# ' + d)
    if len(details) > 40:
        print('# ... and %d more' % (len(details) - 40))
    if not ok:
        failed = True


files = []
for top in ('src',):
    for d, _, names in os.walk(os.path.join(TOP, top)):
        for f in names:
            p = os.path.relpath(os.path.join(d, f), TOP)
            if f.endswith(('.c', '.h')) and p not in GENERATED and '/compat/' not in p:
                files.append(p)
files.sort()
long_lines, big, ws = [], [], []
for p in files:
    with open(os.path.join(TOP, p), encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    for i, line in enumerate(lines, 1):
        if len(line.expandtabs(8)) > LIMIT:
            long_lines.append('%s:%d: %d columns' % (p, i, len(line.expandtabs(8))))
        if line.startswith('\t') or line != line.rstrip():
            ws.append('%s:%d: %s' % (p, i, 'tab indentation' if line.startswith('\t')
                                     else 'trailing white space'))
    if p.startswith('src/') and len(lines) > MAX_LINES:
        big.append('%s: %d lines' % (p, len(lines)))
tap(not long_lines, 'no line over %d columns (%d files)' % (LIMIT, len(files)), long_lines)
tap(not big, 'no file of src/ over %d lines' % MAX_LINES, big)
tap(not ws, 'no tab indentation, no trailing white space', ws)
print('1..%d' % n)
sys.exit(1 if failed else 0)
