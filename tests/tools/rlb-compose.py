#!/usr/bin/env python3
"""rlb-compose.py: docker/compose.yaml and the Dockerfiles without Docker
(tests/integration/t-compose.sh). Each subcommand prints what it found
and "# " lines for each problem, and exits 1 when there is one.

  compose TOP                 the structure of TOP/docker/compose.yaml
  dockerfile TOP FILE [RADLB] FILE's FROM/COPY sources; for
                              Dockerfile.runtime also its runtime stage
                              (and, given the binary, its libraries)
  command TOP SERVICE         SERVICE's command, one argument a line
  mounts TOP SERVICE ROOT     copy SERVICE's bind-mounted files to
                              ROOT/<path in the container>
"""
import ipaddress
import os
import re
import shutil
import subprocess
import sys

import yaml

problems = []


def bad(msg):
    problems.append(msg)


def finish(summary):
    for p in problems:
        print('# ' + p)
    print(summary)
    sys.exit(1 if problems else 0)


def load_compose(top):
    path = os.path.join(top, 'docker', 'compose.yaml')
    with open(path, encoding='utf-8') as f:
        return os.path.dirname(path), yaml.safe_load(f)


def binds(base, svc):
    """(host path, container path) of the service's bind mounts."""
    out = []
    for v in svc.get('volumes', []):
        if isinstance(v, dict):
            if v.get('type') == 'bind':
                out.append((os.path.normpath(os.path.join(base, v['source'])), v['target']))
            continue
        src, dst = v.split(':')[:2]
        if src.startswith(('.', '/', '~')):
            out.append((os.path.normpath(os.path.join(base, os.path.expanduser(src))), dst))
    return out


def host_of(base, svc, target):
    """The host file that lands at TARGET in the container, or None."""
    for host, dst in binds(base, svc):
        if dst == target:
            return host
        if target.startswith(dst.rstrip('/') + '/') and os.path.isdir(host):
            return os.path.join(host, target[len(dst.rstrip('/')) + 1:])
    return None


def list_of(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, dict)) else [x]


PORT = re.compile(r'^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:/(tcp|udp))?$')


def check_compose(top):
    base, doc = load_compose(top)
    services = doc.get('services') or {}
    networks = doc.get('networks') or {}
    volumes = doc.get('volumes') or {}
    subnets = {n: [ipaddress.ip_network(c['subnet']) for c in (d or {}).get('ipam', {}).get('config', [])]
               for n, d in networks.items()}
    published, addresses = {}, {}
    for name, s in services.items():
        if 'image' not in s and 'build' not in s:
            bad('%s: neither image nor build' % name)
        b = s.get('build')
        if b is not None:
            b = {'context': b} if isinstance(b, str) else b
            ctx = os.path.normpath(os.path.join(base, b.get('context', '.')))
            if not os.path.isdir(ctx):
                bad('%s: build context %s does not exist' % (name, ctx))
            df = os.path.join(ctx, b.get('dockerfile', 'Dockerfile'))
            if not os.path.isfile(df):
                bad('%s: dockerfile %s does not exist' % (name, df))
        for host, dst in binds(base, s):
            if not os.path.exists(host):
                bad('%s: bind-mounted %s (at %s) does not exist' % (name, host, dst))
        for v in s.get('volumes', []):
            src = v.get('source') if isinstance(v, dict) else v.split(':')[0]
            if isinstance(v, dict) and v.get('type') != 'volume':
                continue
            if not src.startswith(('.', '/', '~')) and src not in volumes:
                bad('%s: volume %s is not declared under volumes' % (name, src))
        for d in list_of(s.get('depends_on')):
            if d not in services or d == name:
                bad('%s: depends_on %s, which is no other service' % (name, d))
        for p in s.get('ports', []):
            m = PORT.match(str(p))
            if not m or not all(1 <= int(x) <= 65535 for x in m.group(2, 3)) or \
                    (m.group(1) and not all(int(o) < 256 for o in m.group(1).split('.'))):
                bad('%s: port %r is not [IP:]HOST:CONTAINER[/tcp|udp]' % (name, p))
                continue
            key = (m.group(1) or '0.0.0.0', m.group(2), m.group(4) or 'tcp')
            if key in published:
                bad('%s: host port %s/%s is published by %s too' % (name, key[1], key[2], published[key]))
            published[key] = name
        nets = s.get('networks', {})
        for n in list_of(nets):
            if n not in networks:
                bad('%s: network %s is not declared' % (name, n))
            a = nets[n].get('ipv4_address') if isinstance(nets, dict) and nets[n] else None
            if a:
                if not any(ipaddress.ip_address(a) in sub for sub in subnets.get(n, [])):
                    bad('%s: %s is not in the subnet of network %s' % (name, a, n))
                if a in addresses:
                    bad('%s: address %s is %s\'s too' % (name, a, addresses[a]))
                addresses[a] = name
    radlbs = [n for n, s in services.items()
              if isinstance(s.get('build'), dict) and
              s['build'].get('dockerfile', '').endswith('Dockerfile.runtime')]
    if len(radlbs) != 2:
        bad('radlb services built from docker/Dockerfile.runtime: %s, not two' % radlbs)
    check_radlbs(base, services, radlbs, addresses)
    secrets = check_demo_secrets(base)
    check_prometheus(top, base, services, radlbs)
    check_grafana(top, base, services)
    finish('%d services (%s), radlb: %s; %d secrets, each a demo value' % (
        len(services), ' '.join(services), ' '.join(radlbs), secrets))


def conf_of(base, svc):
    return host_of(base, svc, '/etc/radlb/radlb.conf')


def stats_port(conf):
    m = re.search(r'^stats\s*=\s*\{[^}]*\bport\s*=\s*(\d+)', open(conf).read(), re.M)
    return int(m.group(1)) if m else 9812


def check_radlbs(base, services, radlbs, addresses):
    """Every address radlb.conf names is that service's, with its secret and port."""
    for r in radlbs:
        conf = conf_of(base, services[r])
        if not conf or not os.path.isfile(conf):
            bad('%s: no radlb.conf mounted at /etc/radlb/radlb.conf' % r)
            continue
        text = open(conf).read()
        for m in re.finditer(r'\{ name = "([^"]+)"; address = "([^"]+)"; auth_port = (\d+);'
                             r' acct_port = (\d+); secret = "([^"]+)";', text):
            name, addr, auth, _, secret = m.groups()
            if addresses.get(addr) != name:
                bad('%s: server %s at %s, which is %s' % (
                    r, name, addr, addresses[addr] + "'s address" if addr in addresses else 'no service\'s address'))
                continue
            cmd = [str(a) for a in services[name].get('command', [])]
            opt = dict(zip(cmd, cmd[1:]))
            if opt.get('--secret') != secret or opt.get('--auth-port') != auth:
                bad('%s: server %s: secret or auth_port differ from its --secret/--auth-port' % (r, name))
            mine = [a for a, svc in addresses.items() if svc == r]
            nets = [ipaddress.ip_network(n) for n in opt.get('--clients', '').split(',') if n]
            if not mine or not any(ipaddress.ip_address(mine[0]) in n for n in nets):
                bad('%s: server %s does not take %s (%s) as a client (--clients)' % (r, name, r, mine))
        stats = re.search(r'^stats = \{([^}]*)\}', text, re.M)
        if not stats or 'address = "0.0.0.0"' not in stats.group(1) or \
                '"127.0.0.1/32"' not in stats.group(1):
            bad('%s: the stats port does not listen on 0.0.0.0 with 127.0.0.1/32 (the health '
                'check) in stats.allow' % r)
        for lst in re.findall(r'^  \{ type = "\w+"; proto = "udp"; address = "([^"]+)"', text, re.M):
            if lst != '0.0.0.0':
                bad('%s: a listener on %s, not 0.0.0.0' % (r, lst))
        for s in re.findall(r'"(\d+\.\d+\.\d+\.\d+):(\d+)"', text):
            if s[0] not in addresses:
                bad('%s: sentinel %s is no service\'s address' % (r, s[0]))


SECRET = re.compile(r'(?:secret|password) = "([^"]*)"|^requirepass (\S+)|^sentinel auth-pass \S+ (\S+)'
                    r'|"--secret", "([^"]*)"|PASSWORD: (\S+)', re.M)


def check_demo_secrets(base):
    """Every secret in compose.yaml and docker/compose/ says it is a demo value."""
    files = [os.path.join(base, 'compose.yaml')]
    for d, _, names in os.walk(os.path.join(base, 'compose')):
        files += [os.path.join(d, f) for f in names]
    n = 0
    for f in files:
        for m in SECRET.finditer(open(f, encoding='utf-8').read()):
            n += 1
            value = next(g for g in m.groups() if g is not None)
            if 'demo' not in value:
                bad('%s: the secret "%s" is not clearly a demo value' % (os.path.relpath(f, base), value))
    if n < 8:
        bad('only %d secrets found in compose.yaml and docker/compose/' % n)
    return n


def check_prometheus(top, base, services, radlbs):
    prom = [n for n, s in services.items() if host_of(base, s, '/etc/prometheus/prometheus.yml')]
    if len(prom) != 1:
        bad('no service (or several) mounts /etc/prometheus/prometheus.yml: %s' % prom)
        return
    svc = services[prom[0]]
    cfg = yaml.safe_load(open(host_of(base, svc, '/etc/prometheus/prometheus.yml')))
    want = {'%s:%d' % (r, stats_port(conf_of(base, services[r])))
            for r in radlbs if conf_of(base, services[r])}
    jobs = {j['job_name']: j for j in cfg.get('scrape_configs', [])}
    got = {t for sc in jobs.get('radlb', {}).get('static_configs', []) for t in sc['targets']}
    if got != want:
        bad('job radlb scrapes %s, not the radlb services\' stats ports %s' % (sorted(got), sorted(want)))
    rules = os.path.join(top, 'conf', 'prometheus', 'radlb.rules.yml')
    for rf in cfg.get('rule_files', []):
        path = rf if rf.startswith('/') else '/etc/prometheus/' + rf
        host = host_of(base, svc, path)
        if not host or os.path.realpath(host) != os.path.realpath(rules):
            bad('rule file %s is not conf/prometheus/radlb.rules.yml in the container' % rf)
    if not cfg.get('rule_files'):
        bad('prometheus.yml loads no rule file')


def check_grafana(top, base, services):
    graf = [n for n, s in services.items() if host_of(base, s, '/etc/grafana/provisioning')]
    if len(graf) != 1:
        bad('no service (or several) mounts /etc/grafana/provisioning: %s' % graf)
        return
    svc = services[graf[0]]
    prov = host_of(base, svc, '/etc/grafana/provisioning')
    dsdir, dbdir = os.path.join(prov, 'datasources'), os.path.join(prov, 'dashboards')
    urls = [d.get('url', '') for f in sorted(os.listdir(dsdir)) if f.endswith(('.yaml', '.yml'))
            for d in yaml.safe_load(open(os.path.join(dsdir, f))).get('datasources', [])]
    prom = [n for n, s in services.items() if host_of(base, s, '/etc/prometheus/prometheus.yml')]
    if not prom or 'http://%s:9090' % prom[0] not in urls:
        bad('no Grafana datasource points at http://%s:9090: %s' % (prom[0] if prom else '?', urls))
    dash = os.path.join(top, 'conf', 'grafana', 'radlb-dashboard.json')
    if '__inputs' in yaml.safe_load(open(dash)):
        bad('radlb-dashboard.json has __inputs, which provisioning does not fill')
    found = False
    for f in sorted(os.listdir(dbdir)):
        if not f.endswith(('.yaml', '.yml')):
            continue
        for p in yaml.safe_load(open(os.path.join(dbdir, f))).get('providers', []):
            path = p.get('options', {}).get('path', '')
            host = host_of(base, svc, path.rstrip('/') + '/radlb-dashboard.json')
            found |= bool(host) and os.path.realpath(host) == os.path.realpath(dash)
    if not found:
        bad('no Grafana dashboard provider path holds conf/grafana/radlb-dashboard.json')


# ---------------------------------------------------------------- Dockerfiles
def instructions(path):
    """(INSTRUCTION, arguments) with continuation lines joined."""
    out, cur = [], ''
    for line in open(path, encoding='utf-8'):
        s = line.rstrip('\n')
        if not cur and (not s.strip() or s.lstrip().startswith('#')):
            continue
        if cur and s.lstrip().startswith('#'):
            continue
        cur += s.rstrip('\\').strip() + ' ' if s.endswith('\\') else s.strip()
        if not s.endswith('\\'):
            word, _, rest = cur.partition(' ')
            out.append((word.upper(), rest.strip()))
            cur = ''
    return out


def ignore_rules(path):
    """The .dockerignore next to the Dockerfile (BuildKit), as (negated, regex)."""
    rules = []
    for f in (path + '.dockerignore',):
        if not os.path.isfile(f):
            continue
        for line in open(f, encoding='utf-8'):
            p = line.strip()
            if not p or p.startswith('#'):
                continue
            neg = p.startswith('!')
            p = p.lstrip('!').strip('/')
            rx = re.escape(p).replace(r'\*\*/', '(?:.*/)?').replace(r'\*\*', '.*')
            rx = rx.replace(r'\*', '[^/]*').replace(r'\?', '[^/]')
            rules.append((neg, re.compile(rx + '$')))
    return rules


def ignored(rules, rel):
    parts = rel.split('/')
    out = False
    for neg, rx in rules:
        if any(rx.match('/'.join(parts[:i])) for i in range(1, len(parts) + 1)):
            out = not neg
    return out


def json_or_words(args):
    args = re.sub(r'^(--[a-z]+=\S+\s+)+', '', args)
    if args.startswith('['):
        return yaml.safe_load(args)
    return args.split()


def check_dockerfile(top, path, radlb):
    ins = instructions(path)
    rules = ignore_rules(path)
    stages, stage = [], None
    for word, args in ins:
        if word == 'FROM':
            m = re.match(r'(\S+)(?:\s+AS\s+(\S+))?$', args, re.I)
            image = m.group(1)
            if image not in [s['name'] for s in stages] and ':' not in image:
                bad('FROM %s: no tag' % image)
            stage = {'name': m.group(2) or str(len(stages)), 'image': image, 'ins': []}
            stages.append(stage)
            continue
        if stage is None:
            bad('%s before FROM' % word)
            continue
        stage['ins'].append((word, args))
        if word in ('COPY', 'ADD'):
            frm = re.search(r'--from=(\S+)', args)
            srcs = json_or_words(args)[:-1]
            if frm:
                if frm.group(1) not in [s['name'] for s in stages[:-1]]:
                    bad('COPY --from=%s: no earlier stage has that name' % frm.group(1))
                continue
            for src in srcs:
                full = os.path.normpath(os.path.join(top, src))
                if not os.path.exists(full):
                    bad('COPY %s: no such file in the context' % src)
                elif src not in ('.', './') and ignored(rules, os.path.relpath(full, top)):
                    bad('COPY %s: left out of the context by %s.dockerignore' % (src, path))
    if os.path.basename(path) == 'Dockerfile.runtime':
        check_runtime(top, path, stages, rules, radlb)
    finish('%s: %d stages (%s), %d instructions' % (
        os.path.relpath(path, top), len(stages), ', '.join(s['image'] for s in stages), len(ins)))


def apt_packages(stage):
    pk = []
    for word, args in stage['ins']:
        if word == 'RUN':
            for m in re.finditer(r'apt-get install((?:\s+(?!&&)\S+)+)', args):
                pk += [w for w in m.group(1).split() if not w.startswith('-')]
    return pk


def check_runtime(top, path, stages, rules, radlb):
    rt = stages[-1]
    if rt['image'] != 'debian:12-slim':
        bad('the runtime stage is FROM %s, not debian:12-slim' % rt['image'])
    if not stages[0]['image'] == 'debian:12' or 'make install DESTDIR=' not in str(stages[0]['ins']):
        bad('the build stage is not debian:12 with make install DESTDIR=')
    last = {}
    for word, args in rt['ins']:
        last[word] = args
    user = last.get('USER', 'root').split(':')[0]
    if user in ('root', '0'):
        bad('the runtime stage runs as root (USER %s)' % user)
    if 'HEALTHCHECK' not in last or last['HEALTHCHECK'].upper() == 'NONE' or '/healthz' not in last['HEALTHCHECK']:
        bad('the runtime stage has no HEALTHCHECK on /healthz')
    if 'tini' not in last.get('ENTRYPOINT', ''):
        bad('the ENTRYPOINT is not tini')
    if json_or_words(last.get('CMD', '[]'))[-2:] != ['-f', '/etc/radlb/radlb.conf']:
        bad('CMD does not run radlb -f /etc/radlb/radlb.conf')
    for p in ('1812/udp', '1813/udp', '9812/tcp'):
        if p not in last.get('EXPOSE', '').split():
            bad('the runtime stage does not EXPOSE %s' % p)
    for v in ('/etc/radlb', '/var/spool/radlb', '/var/lib/radlb'):
        if v not in last.get('VOLUME', ''):
            bad('%s is not a VOLUME' % v)
    pk = apt_packages(rt)
    dev = [p for p in pk if p.endswith(('-dev', '-dbg')) or p in ('build-essential', 'gcc', 'make')]
    if dev:
        bad('the runtime stage installs build packages: %s' % ' '.join(dev))
    for p in ('tini', 'curl', 'freeradius-common', 'libfreeradius3'):
        if p not in pk:
            bad('the runtime stage does not install %s' % p)
    if radlb:
        check_libraries(radlb, pk)
    # Everything git tracks is in the context; what a built tree adds is not.
    try:
        tracked = subprocess.run(['git', '-C', top, 'ls-files'], capture_output=True,
                                 text=True, check=True).stdout.split('\n')
    except (OSError, subprocess.CalledProcessError):
        tracked = []
        print('# (no git here: the tracked files are not compared with the .dockerignore)')
    gone = [f for f in tracked if f and ignored(rules, f)]
    if gone:
        bad('Dockerfile.runtime.dockerignore leaves out tracked files: %s' % ' '.join(gone[:10]))
    for f in ('Makefile', 'config.status', 'configure', 'src/radlb', 'src/daemon.o', 'src/.deps/x'):
        if not ignored(rules, f):
            bad('Dockerfile.runtime.dockerignore lets %s of a built tree in' % f)


def check_libraries(radlb, packages):
    """Each library radlb links comes from a package the runtime stage installs."""
    dyn = subprocess.run(['readelf', '-d', radlb], capture_output=True, text=True).stdout
    needed = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', dyn)
    # A sanitizer build (quickstart check's second pass) links the
    # sanitizers' runtimes, which no image build does.
    needed = [n for n in needed if not re.match(r'lib(a|ub|l|t)san\.so', n)]
    where = dict(re.findall(r'^\s*(\S+) => (\S+)', subprocess.run(
        ['ldd', radlb], capture_output=True, text=True).stdout, re.M))
    for lib in needed:
        path = os.path.realpath(where.get(lib, lib))
        owner = ''
        for cand in (path, path.replace('/usr/lib/', '/lib/', 1), where.get(lib, '')):
            r = subprocess.run(['dpkg', '-S', cand], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(':')[0].split(',')[0].strip()
                break
        if not owner:
            bad('%s: no package owns %s' % (lib, path))
        elif owner not in packages and owner != 'libc6':
            bad('radlb links %s from %s, which the runtime stage does not install' % (lib, owner))
    print('# radlb links %d libraries, each from an installed package: %s' % (len(needed), ' '.join(needed)))


def main():
    cmd, top = sys.argv[1], sys.argv[2]
    if cmd == 'compose':
        check_compose(top)
    elif cmd == 'dockerfile':
        check_dockerfile(top, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == 'command':
        _, doc = load_compose(top)
        for a in doc['services'][sys.argv[3]].get('command', []):
            print(a)
    elif cmd == 'mounts':
        base, doc = load_compose(top)
        for host, dst in binds(base, doc['services'][sys.argv[3]]):
            out = os.path.join(sys.argv[4], dst.lstrip('/'))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            (shutil.copytree if os.path.isdir(host) else shutil.copy)(host, out)
    else:
        sys.exit('usage: see the top of ' + sys.argv[0])


main()
