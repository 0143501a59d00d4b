#!/usr/bin/env python3
"""rlb-docs.py SRCDIR RADLB: the man pages and the README against the code.

Prints TAP. Each check lists what the code has and a document lacks (or
the reverse), so a new option, counter, command or message cannot land
undocumented, and a removed one cannot stay in the pages:

1. every configuration key of src/conf/confschema.c's tables has an entry (.TP/.B)
   in its section of radlb.conf(5) and a row in README.md's table;
   every entry of those sections is a key the code knows;
2. every figure of `radlb -M` (the show-stats names) has an entry in
   radlb(8)'s COUNTERS, and every entry there is a figure;
3. every command of src/ops/cmd.c's table has an entry in radlbctl(8)'s
   COMMANDS, and every entry there is a command;
4. every option of radlb's and radlbctl's getopt strings and long option
   tables is in the OPTIONS section of its page and in the command lines
   of README.md's "Running radlb", and the reverse;
5. every message of radlb(8)'s DIAGNOSTICS: each literal piece of it
   (the roman/bold parts, not the italic placeholders) occurs in a
   string of src/**/*.c.
6. the bash completions (conf/bash-completion/): radlbctl's command list
   is cmd.c's table (each command with its arguments, as "radlbctl help"
   shows them), and each program's completion offers exactly its options.
"""
import os
import re
import subprocess
import sys

SRC, RADLB = sys.argv[1], sys.argv[2]
TOP = os.path.dirname(os.path.abspath(SRC.rstrip('/')))
n = 0
failed = 0


def tap(ok, what, missing=()):
    global n, failed
    n += 1
    if not ok:
        failed += 1
        for m in missing:
            print('#   %s' % m)
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))


def read(path):
    with open(os.path.join(TOP, path), encoding='utf-8') as f:
        return f.read()


def roff_text(s):
    """The words of a roff fragment, escapes resolved."""
    s = re.sub(r'\\f[RBIP]', '', s)
    s = s.replace('\\(dq', '"').replace('\\-', '-').replace('\\e', '\\')
    s = s.replace('\\~', ' ').replace('\\&', '').replace('\\(em', '-')
    s = s.replace('\\(en', '-').replace("\\(aq", "'").replace('\\ ', ' ')
    return s


def roff_args(line):
    """The arguments of a roff macro line, quotes honoured."""
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"(?:[^"\\]|\\.)*"|\S+', line)][1:]


def sections(page):
    """{.SH title: [lines]}."""
    out, cur = {}, None
    for line in page.splitlines():
        if line.startswith('.SH '):
            cur = line[4:].strip().strip('"')
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def tp_tags(lines):
    """The tag line of each .TP entry of the section's own list (not of a
    list nested in .RS/.RE, such as a key's values)."""
    tags, depth = [], 0
    for i, line in enumerate(lines[:-1]):
        if line.startswith('.RS'):
            depth += 1
        elif line.startswith('.RE'):
            depth -= 1
        elif line == '.TP' and depth == 0:
            tags.append(lines[i + 1])
    return tags


def tag_names(tag):
    """The names a tag line documents: `.B a\\fR, \\fPb` gives a and b (b
    with a's prefix when it has no dot); `.BI server. name .x` gives
    server.NAME.x."""
    if tag.startswith('.BI ') or tag.startswith('.IB '):
        args = roff_args(tag)
        parts = [roff_text(a) if i % 2 == 0 else 'NAME'
                 for i, a in enumerate(args)]
        name = ''.join(parts)
        return [re.split(r'[,)\s]', name)[0].rstrip('.')]
    if not (tag.startswith('.B ') or tag.startswith('.BR ')):
        return []
    words = tag.split(None, 1)[1]
    if tag.startswith('.BR '):
        words = roff_args(tag)[0]
    names = []
    for piece in re.split(r'\\fR,\s*\\fP', words):
        piece = roff_text(piece).strip().strip('"')
        if not names or '.' in piece or '.' not in names[0]:
            names.append(piece)
        else:
            names.append(names[0].rsplit('.', 1)[0] + '.' + piece)
    return names


# 1. configuration keys -------------------------------------------------
schema_c = read('src/conf/confschema.c')
tables = {}
for m in re.finditer(r'struct conf_item (\w+)\[\] = \{(.*?)\n\};', schema_c, re.S):
    tables[m.group(1)] = re.findall(r'^\s*\{ "(\w+)",', m.group(2), re.M)
section_of = {}
for m in re.finditer(r'conf_section \w+ = \{\s*"([\w.]*)", (\w+),', schema_c):
    section_of[m.group(2)] = m.group(1)
keys = {}
for table, names in tables.items():
    sec = section_of.get(table)
    if sec is None:
        continue
    keys[sec] = names
tap(len(keys) >= 10 and sum(map(len, keys.values())) >= 60,
    'src/conf/confschema.c: %d sections, %d keys read' % (len(keys), sum(map(len, keys.values()))))

conf5 = sections(read('doc/radlb.conf.5'))
readme = read('README.md')
readme_keys = set()
for cell in re.findall(r'^\| (`[^|]+`) \|', readme, re.M):
    # `listen[].type`, `writes[].equals` / `.regex`, `a.b_min` / `b_max`
    names = [n.replace('[]', '') for n in re.findall(r'`([\w.\[\]]+)`', cell)]
    for k, name in enumerate(names):
        if k and name.startswith('.'):
            name = names[0].rsplit('.', 1)[0] + name
        elif k and '.' not in name and '.' in names[0]:
            name = names[0].rsplit('.', 1)[0] + '.' + name
        readme_keys.add(name)
missing_man, extra_man, missing_readme = [], [], []
# A nested section ("pools.health", "routes.migrate") is documented in its
# parent's (POOLS, ROUTES) and has README rows of its full names.
def title_of(sec):
    return 'TOP-LEVEL SETTINGS' if sec == '' else sec.split('.')[0].upper()
names_of_title = {}
for sec, names in keys.items():
    names_of_title.setdefault(title_of(sec), set()).update(names)
checked_titles = set()
for sec, names in sorted(keys.items()):
    title = title_of(sec)
    if title not in conf5:
        if title not in checked_titles:
            missing_man.append('radlb.conf.5 has no section %s' % title)
        checked_titles.add(title)
        continue
    documented = set()
    for tag in tp_tags(conf5[title]):
        documented.update(tag_names(tag))
    for k in names:
        if sec == '' and k in keys:
            continue  # a section, documented by its own .SH
        full = k if sec == '' else sec + '.' + k
        if k not in documented:
            missing_man.append('%s: no ".TP/.B %s" in radlb.conf.5 %s' % (full, k, title))
        if full not in readme_keys:
            missing_readme.append('%s: no row "| `%s` |" in README.md' % (full, full))
    if title in checked_titles:
        continue
    checked_titles.add(title)
    for d in sorted(documented - names_of_title[title]):
        extra_man.append('radlb.conf.5 %s documents "%s", which src/conf/confschema.c does not have'
                         % (title, d))
tap(not missing_man, 'every configuration key is in radlb.conf(5)', missing_man)
tap(not extra_man, 'every key radlb.conf(5) documents exists', extra_man)
tap(not missing_readme, "every configuration key has a row in README.md's table", missing_readme)
stale = sorted(readme_keys - {k if s == '' else s + '.' + k
                              for s, ks in keys.items() for k in ks})
tap(not stale, "every key in README.md's table exists",
    ['README.md documents %s, which src/conf/confschema.c does not have' % k for k in stale])

# 2. counters -------------------------------------------------------------
metrics = subprocess.run([RADLB, '-M'], capture_output=True, text=True, check=True).stdout
figures = []
for row in metrics.splitlines():
    cells = [c.strip() for c in row.split('|')]
    if len(cells) > 5 and cells[4].startswith('`'):
        figures.append(cells[4].strip('`'))
drops = re.findall(r'X\((\w+),', read('src/base/drop.h'))
expanded = []
for f in figures:
    if f == 'drop.REASON':
        expanded += ['drop.' + d.lower() for d in drops if d != 'NONE']
    else:
        expanded.append(f)
figures = expanded
tap(len(figures) > 100, '`radlb -M`: %d figures read' % len(figures))
man8 = sections(read('doc/radlb.8'))
counters = set()
for tag in tp_tags(man8['COUNTERS']):
    counters.update(tag_names(tag))
tap(not [f for f in figures if f not in counters],
    'every figure of `radlb -M` is in radlb(8) COUNTERS',
    ['%s: no entry in radlb(8) COUNTERS' % f for f in figures if f not in counters])
tap(not sorted(counters - set(figures)), 'every entry of radlb(8) COUNTERS is a figure',
    ['radlb(8) COUNTERS documents %s, which `radlb -M` does not list' % c
     for c in sorted(counters - set(figures))])

# 3. radlbctl commands ------------------------------------------------------
commands = re.findall(r'^\s*\{ "([a-z ]+)", RLB_CMD_', read('src/ops/cmd.c'), re.M)
ctl8 = sections(read('doc/radlbctl.8'))
documented = set()
for tag in tp_tags(ctl8['COMMANDS']):
    args = roff_args(tag)
    if args and tag.startswith('.B '):
        documented.add(roff_text(' '.join(args)).strip())
    elif args and (tag.startswith('.BR ') or tag.startswith('.BI ')):
        documented.add(roff_text(args[0]).strip())
tap(len(commands) >= 10, 'src/ops/cmd.c: %d commands read' % len(commands))
tap(not [c for c in commands if c not in documented],
    'every command is in radlbctl(8) COMMANDS',
    ['"%s": no entry in radlbctl(8) COMMANDS' % c for c in commands if c not in documented])
tap(not sorted(documented - set(commands)), 'every entry of radlbctl(8) COMMANDS is a command',
    ['radlbctl(8) COMMANDS documents "%s", which src/ops/cmd.c does not have' % c
     for c in sorted(documented - set(commands))])

# 4. options ------------------------------------------------------------------
options_of = {}
for prog, page in (('main.c', man8), ('radlbctl.c', ctl8)):
    src = read('src/' + prog)
    letters = set(re.sub(r'[^A-Za-z]', '', re.search(r'getopt\w*\([^"]*"([^"]+)"', src).group(1)))
    longs = set(re.findall(r'\{ "([a-z-]+)", (?:no|required|optional)_argument', src))
    documented = set()
    for tag in tp_tags(page['OPTIONS']):
        for a in roff_args(tag):
            a = roff_text(a)
            for m in re.finditer(r'(?<![\w-])-([A-Za-z])\b', a):
                documented.add(m.group(1))
            for m in re.finditer(r'--([a-z-]+)', a):
                documented.add(m.group(1))
    want = letters | longs
    name = 'radlb' if prog == 'main.c' else 'radlbctl'
    options_of[name] = want
    tap(want == documented, '%s options (%s) match its OPTIONS section'
        % (name, ' '.join(sorted(want))),
        ['%s: -%s in the code, not in OPTIONS' % (name, o) for o in sorted(want - documented)] +
        ['%s: OPTIONS documents -%s, which the code does not take' % (name, o)
         for o in sorted(documented - want)])
    # README.md: the lines of the "Running radlb" code blocks that start
    # with the program's name, and their indented continuation lines.
    running = re.search(r'^## Running radlb\n(.*?)^## ', readme, re.S | re.M).group(1)
    in_readme, cur = set(), None
    for block in re.findall(r'^```sh\n(.*?)^```', running, re.S | re.M):
        for line in block.splitlines():
            if line and not line[0].isspace():
                cur = line.split()[0]
            if cur != name:
                continue
            in_readme.update(re.findall(r'(?<![\w-])-([A-Za-z])\b', line))
            in_readme.update(re.findall(r'--([a-z-]+)', line))
    tap(want == in_readme, "%s options match README.md's Running radlb" % name,
        ['%s: -%s in the code, not in README.md' % (name, o) for o in sorted(want - in_readme)] +
        ['%s: README.md shows -%s, which the code does not take' % (name, o)
         for o in sorted(in_readme - want)])

# 5. diagnostics ---------------------------------------------------------------
code = ''
for d, _, files in sorted(os.walk(os.path.join(TOP, 'src'))):
    for f in sorted(files):
        if f.endswith('.c') or f.endswith('.h'):
            code += read(os.path.relpath(os.path.join(d, f), TOP))
# adjacent C string literals concatenated, escapes resolved
strings = ''
for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"(?:\s*"((?:[^"\\\n]|\\.)*)")*', code):
    lit = ''.join(re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(0)))
    strings += lit.replace('\\"', '"').replace('\\\\', '\\') + '\x00'
literals = set(strings.split('\x00'))


def covered(frag):
    """frag is made of pieces of the code's strings: each piece the longest
    run of words found in one string (edge punctuation aside, which a format
    may put around a %s). A piece of one word inside the fragment must be a
    whole string of the code (a %s argument such as "spooled"); at the
    fragment's ends it may be any word of a string (a unit after a number)."""
    words = frag.split()
    pieces, i = [], 0
    while i < len(words):
        j = len(words)
        while j > i and ' '.join(words[i:j]).strip('();,:."') not in strings:
            j -= 1
        if j == i:
            return False
        pieces.append(words[i:j])
        i = j
    for k, p in enumerate(pieces):
        if len(p) == 1 and 0 < k < len(pieces) - 1 and p[0].strip('();,:."') not in literals:
            return False
    return len(pieces) <= 3


unknown = []
diag = 0
for tag in tp_tags(man8['DIAGNOSTICS']):
    if not tag.startswith('.BI ') and not tag.startswith('.B '):
        continue
    diag += 1
    args = roff_args(tag) if tag.startswith('.BI ') else [tag[3:]]
    for i, a in enumerate(args):
        if i % 2:
            continue
        piece = roff_text(a).strip('"')
        for frag in re.split(r'\s*\.\.\.\s*', piece):
            frag = frag.strip()
            if len(frag) >= 4 and not covered(frag):
                unknown.append('DIAGNOSTICS: "%s" (in: %s) is in no string of src/'
                               % (frag, roff_text(' '.join(args))[:100]))
tap(diag >= 20, 'radlb(8) DIAGNOSTICS: %d messages read' % diag)
tap(not unknown, "every DIAGNOSTICS message's text is in the code", unknown)

# 6. bash completion -----------------------------------------------------------
usages = ['%s %s' % (c, a) if a else c for c, a in
          re.findall(r'^\s*\{ "([a-z ]+)", RLB_CMD_\w+, "([^"]*)"', read('src/ops/cmd.c'), re.M)]
comp = read('conf/bash-completion/radlbctl')
listed = re.findall(r'"([^"]*)"', re.search(r'^_radlbctl_commands=\((.*?)^\)', comp,
                                              re.S | re.M).group(1))
tap(usages == listed and len(usages) == len(commands),
    "conf/bash-completion/radlbctl lists src/ops/cmd.c's commands, in order",
    ['"%s": in src/ops/cmd.c, not in the completion' % u for u in usages if u not in listed] +
    ['"%s": in the completion, not in src/ops/cmd.c' % u for u in listed if u not in usages] +
    (['the same commands in another order'] if sorted(usages) == sorted(listed) else []))
for name, want in sorted(options_of.items()):
    text = read('conf/bash-completion/' + name)
    offered = set()
    for words in re.findall(r"compgen -W '([^']*)'", text):
        for w in words.split():
            m = re.fullmatch(r'-([A-Za-z])|--([a-z-]+)=?', w)
            if m:
                offered.add(m.group(1) or m.group(2))
    tap(offered == want, 'conf/bash-completion/%s offers the options of %s' % (name, name),
        ['%s: -%s in the code, not completed' % (name, o) for o in sorted(want - offered)] +
        ['%s: -%s completed, which the code does not take' % (name, o)
         for o in sorted(offered - want)])

print('1..%d' % n)
sys.exit(1 if failed else 0)
