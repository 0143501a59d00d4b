/* radlb status page: polls stats.json every 2 s; plain DOM, no framework.
 * Every string from the JSON goes through textContent or setAttribute, never innerHTML. */
(function () {
  'use strict';

  var POLL_MS = 2000, FETCH_TIMEOUT_MS = 5000;
  var WINDOW_MS = 10 * 60 * 1000, MAX_POINTS = 300, GAP_MS = 10000;
  var PALETTE = ['#2a7de1', '#e8590c', '#2f9e44', '#ae3ec9', '#d6336c', '#0c8599', '#a0790a', '#7950f2'];
  var DASHES = [[], [8, 4], [2, 3], [12, 3, 3, 3]];
  var COLS = ['name', 'pool', 'state', 'role', 'health', 'mfa', 'outstanding', 'sessions', 'p50', 'p99', 'requests'];
  var NUMERIC = map({ outstanding: 1, sessions: 1, p50: 1, p99: 1, requests: 1 });
  var STATE_CLASS = map({ up: 'ok', down: 'bad', draining: 'warn', maintenance: 'warn' });

  /* Maps keyed by names from the JSON have no prototype ("__proto__", "constructor"). */
  function map(init) {
    var m = Object.create(null);
    if (init) Object.keys(init).forEach(function (k) { m[k] = init[k]; });
    return m;
  }

  function $(sel, root) { return (root || document).querySelector(sel); }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
  function str(x) { return x == null ? '' : typeof x === 'string' ? x : String(x); }
  function obj(x) { return x && typeof x === 'object' && !Array.isArray(x) ? x : {}; }
  function setText(el, t) { if (el && el.textContent !== t) el.textContent = t; }
  function setClass(el, c) { if (el && el.className !== c) el.className = c; }
  function setAttr(el, a, v) {
    if (v == null || v === '') { if (el.hasAttribute(a)) el.removeAttribute(a); }
    else if (el.getAttribute(a) !== v) el.setAttribute(a, v);
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function hms(d) { return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function int(n) { return n == null ? '–' : Math.round(n).toLocaleString('en-US'); }
  function ms(sec) { return sec == null ? '–' : (sec * 1000).toFixed(1); }
  function duration(s) {
    if (s == null || s < 0) return '–';
    s = Math.floor(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + s % 60 + ' s';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
    return Math.floor(s / 86400) + ' d ' + Math.floor(s % 86400 / 3600) + ' h';
  }
  function bytes(b) {
    if (b == null) return '–';
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (i ? b.toFixed(b < 10 ? 1 : 0) : String(b)) + ' ' + u[i];
  }
  function badge(el, text, cls) {
    var b = el.firstElementChild;
    if (!b || b.tagName !== 'SPAN') { el.textContent = ''; b = el.appendChild(document.createElement('span')); }
    setText(b, text);
    setClass(b, 'badge ' + cls);
  }

  /* ---------- header, master ---------- */
  function renderHeader(d) {
    var up = num(d.uptime_seconds), m = obj(d.master);
    setText($('#version'), str(d.version));
    setText($('#uptime'), up == null ? '' : 'up ' + duration(up));
    var name = m.name == null || m.name === '' ? 'none' : str(m.name);
    setText($('#master-name'), name);
    setText($('#master-epoch'), num(m.epoch) == null ? '–' : String(m.epoch));
    var st = $('#master-status'), n = num(m.seconds_without_master);
    if (m.takes_writes === true) {
      setText(st, '✓ takes writes'); setClass(st, 'pill ok');
    } else if (m.takes_writes === false) {
      setText(st, 'NO MASTER TAKES WRITES' + (n == null ? '' : ' for ' + Math.round(n) + ' s'));
      setClass(st, 'pill bad');
    } else {
      setText(st, 'writes: unknown'); setClass(st, 'pill unknown');
    }
    setAttr(st, 'title', num(m.promotions) == null ? '' : 'promotions so far: ' + m.promotions);
    return m.takes_writes === false;
  }

  /* ---------- servers table ---------- */
  function makeRow(name) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-server', name);
    COLS.forEach(function (c) {
      var cell = document.createElement(c === 'name' ? 'th' : 'td');
      if (c === 'name') cell.scope = 'row';
      cell.className = c + (NUMERIC[c] ? ' num' : '');
      tr.appendChild(cell);
    });
    return tr;
  }

  function healthText(h) {
    var ok = num(h.ok_in_a_row) || 0, bad = num(h.failed_in_a_row) || 0;
    var last = str(h.last), rtt = num(h.rtt_seconds);
    if (bad > 0) return { text: 'failed ×' + bad + (last ? ': ' + last : ''), failed: true };
    if (ok > 0) return { text: 'ok ×' + ok + (rtt == null ? '' : ', ' + ms(rtt) + ' ms'), failed: false };
    return { text: last || '–', failed: false };
  }

  function renderServers(list) {
    var tbody = $('#servers tbody'), seen = map(), down = 0;
    var rows = map();
    Array.prototype.forEach.call(tbody.rows, function (r) { rows[r.getAttribute('data-server')] = r; });
    var pos = 0;
    list.forEach(function (s) {
      s = obj(s);
      var name = str(s.name);
      if (seen[name]) return;
      seen[name] = true;
      var tr = rows[name] || makeRow(name);
      if (tbody.children[pos] !== tr) tbody.insertBefore(tr, tbody.children[pos] || null);
      pos++;
      var c = {};
      Array.prototype.forEach.call(tr.cells, function (cell) { c[cell.className.split(' ')[0]] = cell; });

      var state = str(s.state), reason = str(s.state_reason), since = num(s.state_since_seconds);
      if (state === 'down') down++;
      setClass(tr, STATE_CLASS[state] ? state : 'unknown');
      setText(c.name, name);
      setText(c.pool, str(s.pool) || '–');
      badge(c.state, state || '?', STATE_CLASS[state] || 'unknown');
      setAttr(c.state, 'title', reason);
      setAttr(c.state, 'data-reason', state === 'up' ? '' :
        (reason + (since == null ? '' : (reason ? ' · ' : '') + 'for ' + duration(since))));

      var role = str(s.role);
      if (role === 'master') badge(c.role, role, 'info');
      else setText(c.role, role);
      setClass(c.role, 'role' + (role === 'master' ? ' master' : ''));

      var h = obj(s.health), ht = healthText(h), tip = [];
      setText(c.health, ht.text);
      setClass(c.health, 'health' + (ht.failed ? ' failed' : ''));
      if (h.port) tip.push('port ' + str(h.port));
      if (num(h.last_ok_seconds_ago) != null)
        tip.push(h.last_ok_seconds_ago < 0 ? 'never answered' : 'last ok ' + duration(h.last_ok_seconds_ago) + ' ago');
      if (ht.failed || !(num(h.ok_in_a_row) > 0)) tip.push(str(h.last));
      setAttr(c.health, 'title', tip.join('; '));

      var mp = obj(s.mfa_probe), mres = str(mp.result);
      if (mp.mfa_path_failing) badge(c.mfa, 'failing', 'down');
      else setText(c.mfa, mres === 'ok' || mres === 'failed' ? mres : '–');
      setAttr(c.mfa, 'title', str(mp.last));

      var lat = obj(s.latency), ctr = obj(s.counters);
      setText(c.outstanding, int(num(s.outstanding)));
      setText(c.sessions, int(num(s.sessions)));
      setText(c.p50, ms(num(lat.p50_seconds)));
      setText(c.p99, ms(num(lat.p99_seconds)));
      setText(c.requests, int(num(ctr.requests)));
      var addr = str(s.address);
      setAttr(c.name, 'title', addr ? addr + (s.auth_port ? ' auth ' + s.auth_port : '') +
        (s.acct_port ? ' acct ' + s.acct_port : '') : '');
    });
    Object.keys(rows).forEach(function (n) { if (!seen[n]) tbody.removeChild(rows[n]); });
    return down;
  }

  /* ---------- spool, redis, totals ---------- */
  function panel(id, off, offText) {
    var sec = $(id), p = $('p.off', sec), dl = $('dl', sec);
    p.hidden = !off; dl.hidden = off;
    if (off) setText(p, offText);
    return sec;
  }

  function renderSpool(sp) {
    var sec = panel('#spool', !sp || typeof sp !== 'object' || sp.enabled === false, 'no spool configured');
    if (!sp || sp.enabled === false) return;
    var st = str(sp.status), recs = num(sp.records), b = num(sp.bytes), max = num(sp.max_bytes);
    badge($('.status', sec), st || '?', st === 'empty' ? 'ok' : /^waiting/.test(st) ? 'bad' : st ? 'warn' : 'unknown');
    setText($('.records', sec), int(recs) + (num(sp.replaying) ? ' (' + sp.replaying + ' being replayed)' : ''));
    setText($('.bytes', sec), bytes(b) + (max && b != null ? ' of ' + bytes(max) + ' (' + (100 * b / max).toFixed(b && b < max / 100 ? 2 : 0) + ' %)' : ''));
    setText($('.oldest', sec), recs ? duration(num(sp.oldest_seconds)) : '–');
    setAttr(sec, 'title', str(sp.directory));
  }

  function renderRedis(r) {
    var sec = panel('#redis', !r || typeof r !== 'object', 'not used');
    if (!r || typeof r !== 'object') return;
    var st = str(r.state);
    badge($('.state', sec), st || '?', st === 'ready' ? 'ok' : st === 'down' ? 'bad' : st ? 'warn' : 'unknown');
    setText($('.address', sec), str(r.address) || '–');
    setText($('.last_error', sec), str(r.last_error) || 'none');
    setText($('.outstanding', sec), int(num(r.outstanding)));
  }

  function renderTotals(m) {
    var sec = $('#totals'), drops = 0;
    Object.keys(m).forEach(function (k) { if (k.indexOf('drop.') === 0 && num(m[k])) drops += m[k]; });
    setText($('.requests', sec), int(num(m.requests)));
    setText($('.replies', sec), int(num(m.replies)));
    setText($('.timeouts', sec), int(num(m.timeouts)));
    setText($('.drops', sec), int(drops));
  }

  /* ---------- charts ---------- */
  function Chart(canvas) { this.canvas = canvas; this.series = []; this.style = map(); this.styles = 0; }

  /* A series keeps its color and dash for the life of the page, even if it goes away for a while. */
  Chart.prototype.get = function (name) {
    for (var i = 0; i < this.series.length; i++) if (this.series[i].name === name) return this.series[i];
    if (!(name in this.style)) this.style[name] = this.styles++;
    var n = this.style[name];
    var s = { name: name, color: PALETTE[n % PALETTE.length], dash: DASHES[n % DASHES.length], pts: [] };
    this.series.push(s);
    return s;
  };

  Chart.prototype.push = function (name, t, v) {
    var s = this.get(name), p = s.pts;
    if (v == null && (!p.length || p[p.length - 1].v == null)) return;
    p.push({ t: t, v: v });
    if (p.length > MAX_POINTS) p.splice(0, p.length - MAX_POINTS);
  };

  Chart.prototype.trim = function (now) {
    var t0 = now - WINDOW_MS - POLL_MS;
    this.series = this.series.filter(function (s) {
      var i = 0;
      while (i < s.pts.length && s.pts[i].t < t0) i++;
      if (i) s.pts.splice(0, i);
      return s.pts.length > 0 || s.keep;
    });
  };

  function niceStep(max, n) {
    var raw = max / n, mag = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  }

  Chart.prototype.draw = function (now) {
    var cv = this.canvas, w = cv.clientWidth, h = cv.clientHeight;
    if (!w || !h) return;
    var dpr = window.devicePixelRatio || 1, W = Math.round(w * dpr), H = Math.round(h * dpr);
    if (cv.width !== W) cv.width = W;
    if (cv.height !== H) cv.height = H;
    var ctx = cv.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var css = getComputedStyle(document.documentElement);
    var gridC = css.getPropertyValue('--grid').trim() || '#ddd', axisC = css.getPropertyValue('--axis').trim() || '#555';
    var t0 = now - WINDOW_MS, max = 0, any = false;
    this.series.forEach(function (s) {
      s.pts.forEach(function (p) { if (p.v != null && p.t >= t0) { any = true; if (p.v > max) max = p.v; } });
    });
    if (!(max > 0)) max = 1;
    var step = niceStep(max, 4), top = Math.ceil(max / step - 1e-9) * step;
    var dec = Math.max(0, Math.min(3, -Math.floor(Math.log(step) / Math.LN10 + 1e-9)));
    if (step * Math.pow(10, dec) % 1 > 1e-9) dec++;
    ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
    var labels = [], lw = 0;
    for (var v = 0; v <= top + step / 2; v += step) {
      var l = v.toFixed(dec);
      labels.push([v, l]);
      lw = Math.max(lw, ctx.measureText(l).width);
    }
    var L = Math.ceil(lw) + 10, R = 12, T = 8, B = 22, pw = w - L - R, ph = h - T - B;
    if (pw < 20 || ph < 20) return;
    var X = function (t) { return L + (t - t0) / WINDOW_MS * pw; };
    var Y = function (v) { return T + ph - v / top * ph; };

    ctx.lineWidth = 1;
    ctx.fillStyle = axisC;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    labels.forEach(function (lv) {
      var y = Math.round(Y(lv[0])) + 0.5;
      ctx.strokeStyle = gridC;
      ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(L + pw, y); ctx.stroke();
      ctx.fillText(lv[1], L - 6, y);
    });
    var tw = ctx.measureText('−10 min').width + 16, mins = 1;
    while (mins < 10 && pw / (10 / mins) < tw) mins = mins === 1 ? 2 : mins === 2 ? 5 : 10;
    ctx.textBaseline = 'top';
    for (var m = 10; m >= 0; m -= mins) {
      var x = Math.round(X(now - m * 60000)) + 0.5;
      ctx.strokeStyle = gridC;
      ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, T + ph + 4); ctx.stroke();
      ctx.textAlign = m === 10 ? 'left' : m === 0 ? 'right' : 'center';
      ctx.fillText(m ? '−' + m + ' min' : 'now', x, T + ph + 6);
    }
    ctx.strokeStyle = axisC;
    ctx.beginPath(); ctx.moveTo(L + 0.5, T); ctx.lineTo(L + 0.5, T + ph + 0.5); ctx.lineTo(L + pw, T + ph + 0.5); ctx.stroke();

    ctx.save();
    ctx.beginPath(); ctx.rect(L, T - 2, pw + 2, ph + 4); ctx.clip();
    ctx.lineWidth = 2; ctx.lineJoin = 'round'; ctx.lineCap = 'round';
    function dot(p, r) { ctx.beginPath(); ctx.arc(X(p.t), Y(p.v), r, 0, 2 * Math.PI); ctx.fill(); }
    this.series.forEach(function (s) {
      var pen = false, prevT = 0, last = null, alone = [], run = 0;
      ctx.strokeStyle = s.color; ctx.fillStyle = s.color;
      ctx.setLineDash(s.dash);
      ctx.beginPath();
      s.pts.forEach(function (p) {
        if (p.v == null || p.t - prevT > GAP_MS) {
          if (run === 1) alone.push(last);
          pen = false; run = 0;
        }
        if (p.v == null) return;
        if (pen) ctx.lineTo(X(p.t), Y(p.v)); else ctx.moveTo(X(p.t), Y(p.v));
        pen = true; prevT = p.t; last = p; run++;
      });
      ctx.stroke();
      ctx.setLineDash([]);
      alone.forEach(function (p) { dot(p, 1.5); });  /* points with no neighbour (a throttled background tab) */
      if (last) dot(last, 3);
    });
    ctx.restore();
    if (!any) {
      ctx.fillStyle = axisC; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
      ctx.fillText('waiting for data…', L + pw / 2, T + ph / 2);
    }
  };

  /* The last value, if it is recent (a server without replies has none). */
  Chart.prototype.latest = function (name, now) {
    var s = null;
    this.series.forEach(function (x) { if (x.name === name) s = x; });
    var p = s && s.pts.length ? s.pts[s.pts.length - 1] : null;
    return p && p.v != null && now - p.t <= GAP_MS ? p.v : null;
  };

  var rpsChart, latChart, prev = null, legendKey = '';

  function collect(d, now) {
    var up = num(d.uptime_seconds), req = num(obj(d.metrics).requests);
    var servers = Array.isArray(d.servers) ? d.servers : [];
    var cur = { up: up, req: req, lat: map() }, order = [];
    servers.forEach(function (s) {
      s = obj(s);
      var l = obj(s.latency), name = str(s.name);
      cur.lat[name] = { n: num(l.count), sum: num(l.sum_seconds) };
      order.push(name);
      latChart.get(name);
    });
    latChart.series.forEach(function (s) { s.keep = order.indexOf(s.name) >= 0; });
    latChart.series.sort(function (a, b) {
      var i = order.indexOf(a.name), j = order.indexOf(b.name);
      return (i < 0 ? 1e9 : i) - (j < 0 ? 1e9 : j) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    });
    if (prev && up != null && prev.up != null && up !== prev.up) {
      var du = up - prev.up, restart = du < 0;
      if (req != null && prev.req != null) {
        var dr = req - prev.req;
        if (restart || dr < 0) rpsChart.push('requests', now, null);
        else rpsChart.push('requests', now, dr / du);
      }
      Object.keys(cur.lat).forEach(function (name) {
        var a = cur.lat[name], b = prev.lat[name];
        if (!b || a.n == null || a.sum == null || b.n == null || b.sum == null) return;
        var dn = a.n - b.n, ds = a.sum - b.sum;
        if (restart || dn < 0 || ds < 0) latChart.push(name, now, null);
        else if (dn > 0) latChart.push(name, now, ds / dn * 1000);
      });
    }
    if (!prev || up !== prev.up) prev = cur;
  }

  function svgLine(color, dash) {
    var NS = 'http://www.w3.org/2000/svg', svg = document.createElementNS(NS, 'svg'), ln = document.createElementNS(NS, 'line');
    svg.setAttribute('width', '26'); svg.setAttribute('height', '10'); svg.setAttribute('aria-hidden', 'true');
    ln.setAttribute('x1', '1'); ln.setAttribute('x2', '25'); ln.setAttribute('y1', '5'); ln.setAttribute('y2', '5');
    ln.setAttribute('stroke', color); ln.setAttribute('stroke-width', '3');
    if (dash.length) ln.setAttribute('stroke-dasharray', dash.join(' '));
    svg.appendChild(ln);
    return svg;
  }

  function renderLegend(now) {
    var ul = $('#legend'), key = latChart.series.map(function (s) { return s.name; }).join('\n');
    if (key !== legendKey) {
      legendKey = key;
      ul.textContent = '';
      latChart.series.forEach(function (s) {
        var li = document.createElement('li'), v = document.createElement('span');
        li.setAttribute('data-series', s.name);
        li.appendChild(svgLine(s.color, s.dash));
        li.appendChild(document.createTextNode(' ' + s.name + ' '));
        v.className = 'muted';
        li.appendChild(v);
        ul.appendChild(li);
      });
    }
    Array.prototype.forEach.call(ul.children, function (li) {
      var v = latChart.latest(li.getAttribute('data-series'), now);
      setText(li.lastChild, v == null ? '–' : v.toFixed(1) + ' ms');
    });
    var r = rpsChart.latest('requests', now);
    setText($('#rps-now'), r != null ? 'now ' + r.toFixed(1) + ' requests/s' :
      rpsChart.get('requests').pts.length ? 'no recent value' : 'waiting for two polls…');
  }

  function drawCharts() {
    var now = Date.now();
    try { rpsChart.draw(now); latChart.draw(now); } catch (e) { console.error(e); }
  }

  /* ---------- polling ---------- */
  var failingSince = null;

  function statusLine(text, error) {
    var st = $('#status');
    setText(st, text);
    setClass(st, error ? 'error' : '');
    $('#main').classList.toggle('stale', !!error);
  }

  /* Screen readers hear changes of the farm's state, not every refresh. */
  var lastAnnounced = null;
  function announce(text) {
    if (text === lastAnnounced) return;
    lastAnnounced = text;
    setText($('#alerts'), text);
  }

  /* ---------- clients (NAS): what radlb learns of them ---------- */
  var CLIENT_COLS = ['name', 'requests', 'timeouts', 'challenges', 'answers', 'late', 'note'];
  function renderClients(clients) {
    var tbody = $('#clients tbody'), names = Object.keys(obj(clients)).sort();
    var rows = map();
    Array.prototype.forEach.call(tbody.rows, function (r) { rows[r.getAttribute('data-client')] = r; });
    names.forEach(function (name, pos) {
      var c = obj(clients[name]), tr = rows[name];
      if (!tr) {
        tr = document.createElement('tr');
        tr.setAttribute('data-client', name);
        CLIENT_COLS.forEach(function (k) {
          var cell = document.createElement(k === 'name' ? 'th' : 'td');
          if (k === 'name') cell.scope = 'row';
          cell.className = k + (k !== 'name' && k !== 'note' ? ' num' : '');
          tr.appendChild(cell);
        });
      }
      if (tbody.children[pos] !== tr) tbody.insertBefore(tr, tbody.children[pos] || null);
      delete rows[name];
      var ch = num(c.challenges) || 0, an = num(c.challenge_answers) || 0, late = num(c.late_replies) || 0;
      var note = late > 0 ? 'replies came after it gave up: raise its timeout (60 s or more)' :
        ch >= 10 && an === 0 ? 'answers no challenge: no OTP?' : '';
      setText(tr.cells[0], name);
      setText(tr.cells[1], int(num(c.requests)));
      setText(tr.cells[2], int(num(c.timeouts)));
      setText(tr.cells[3], int(ch));
      setText(tr.cells[4], int(an));
      setText(tr.cells[5], int(late));
      setText(tr.cells[6], note);
      setClass(tr, note ? 'down' : 'up');
    });
    Object.keys(rows).forEach(function (k) { rows[k].remove(); });
  }

  function render(d) {
    var now = Date.now();
    var noMaster = renderHeader(d);
    var down = renderServers(Array.isArray(d.servers) ? d.servers : []);
    renderClients(d.clients);
    renderSpool(d.spool);
    renderRedis(d.redis);
    renderTotals(obj(d.metrics));
    collect(d, now);
    rpsChart.trim(now); latChart.trim(now);
    renderLegend(now);
    drawCharts();
    document.title = noMaster ? '⚠ radlb: NO MASTER' : down ? 'radlb: ' + down + ' down' : 'radlb status';
    announce(noMaster ? 'No master takes writes.' : down ? 'Servers down: ' + down + '.' : 'All servers up.');
  }

  function fail(e) {
    if (!failingSince) failingSince = new Date();
    statusLine('radlb is not answering (since ' + hms(failingSince) + ')' +
      (e && e.message ? ' — ' + e.message : ''), true);
    document.title = '⚠ radlb: not answering';
    announce('radlb is not answering.');
    drawCharts();
  }

  function poll() {
    var ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var killer = ctrl ? setTimeout(function () { ctrl.abort(); }, FETCH_TIMEOUT_MS) : 0;
    var p;
    try {
      p = fetch('stats.json', { cache: 'no-store', signal: ctrl ? ctrl.signal : undefined });
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.text();
    }).then(function (t) {
      var d;
      try { d = JSON.parse(t); } catch (e) { throw new Error('invalid JSON'); }
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new Error('invalid JSON');
      return d;
    }).then(function (d) {
      failingSince = null;
      render(d);
      statusLine('updated ' + hms(new Date()), false);
    }, function (e) {
      fail(e && e.name === 'AbortError' ? new Error('no answer within ' + FETCH_TIMEOUT_MS / 1000 + ' s') :
        e && e.name === 'TypeError' ? new Error('connection failed') : e);
    }).catch(function (e) {
      statusLine('page error: ' + (e && e.message), true);
      console.error(e);
    }).then(function () {
      clearTimeout(killer);
      setTimeout(poll, POLL_MS);
    });
  }

  function start() {
    rpsChart = new Chart($('#chart-rps'));
    latChart = new Chart($('#chart-latency'));
    rpsChart.get('requests').keep = true;
    if (typeof ResizeObserver === 'function') {
      var ro = new ResizeObserver(drawCharts);
      Array.prototype.forEach.call(document.querySelectorAll('.plot'), function (el) { ro.observe(el); });
    }
    window.addEventListener('resize', drawCharts);
    poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
