/* kaegis HTML report. Builds the page from the JSON in #kaegis-data with
 * createElement and textContent only: nothing from the data is ever parsed
 * as HTML. Rows are rendered a page at a time so that very large reports
 * open at once. The filter state lives in the URL fragment
 * (#q=KG103&severity=critical&area=rbac&ns=web&sort=file&dir=asc).
 * When init is done, the body gets data-ready (and data-init-ms, the time
 * since navigation began); an error sets its data-error instead. */
(function () {
  'use strict';

  var SVGNS = 'http://www.w3.org/2000/svg';
  var PAGE_ROWS = 500;
  var SEV_LABELS = ['Info', 'Low', 'Medium', 'High', 'Critical'];
  var BAND_LABELS = { good: 'Good', fair: 'Fair', poor: 'Weak', bad: 'At risk' };
  var COLUMNS = [
    { key: 'severity', label: 'Severity', col: 'c-sev' },
    { key: 'check', label: 'Check', col: 'c-check' },
    { key: 'object', label: 'Object', col: 'c-obj' },
    { key: 'namespace', label: 'Namespace', col: 'c-ns' },
    { key: 'file', label: 'File:line', col: 'c-loc' },
    { key: 'message', label: 'Message', col: 'c-msg' }
  ];
  var DEFAULTS = { q: '', severity: '', area: '', ns: '', sort: 'severity', dir: 'desc' };

  var D;              // the report data
  var F = [];         // findings, as objects
  var state = copy(DEFAULTS);
  var view = [];      // indexes of F shown, in order
  var rendered = 0;   // rows of view in the DOM
  var haystacks = null;
  var observer = null;

  function copy(o) { var r = {}; for (var k in o) r[k] = o[k]; return r; }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAll(e, attrs);
    append(e, kids);
    return e;
  }

  function sv(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAll(e, attrs);
    append(e, kids);
    return e;
  }

  function setAll(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') e.textContent = String(v);
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    });
  }

  function append(e, kids) {
    if (kids === null || kids === undefined) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      e.append(typeof k === 'string' || typeof k === 'number' ? String(k) : k);
    });
  }

  function $(id) { return document.getElementById(id); }
  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  function plural(n, one, many) { return fmt(n) + ' ' + (n === 1 ? one : (many || one + 's')); }

  function safeUrl(u) {
    return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
  }

  function band(score) {
    return score >= 90 ? 'good' : score >= 70 ? 'fair' : score >= 50 ? 'poor' : 'bad';
  }

  function fail(err) {
    var msg = (err && (err.stack || err.message)) || String(err);
    document.body.dataset.error = msg;
    var box = $('error');
    if (box) {
      box.hidden = false;
      box.textContent = 'The report could not be drawn: ' + msg;
    }
  }

  // ---- data ----

  function load() {
    D = JSON.parse($('kaegis-data').textContent);
    F = D.findings.map(function (r, i) {
      var c = D.checks[r[0]];
      var o = D.objects[r[2]];
      var file = r[4] >= 0 ? D.files[r[4]] : null;
      return {
        i: i, check: c, sev: r[1], obj: o, path: r[3], file: file,
        fileName: file ? file.name : '', line: r[5], col: r[6], message: r[7], autofix: r[8] || null,
        objText: o[1] + ' ' + (o[2] ? o[2] + '/' : '') + o[3],
        ns: o[4]
      };
    });
  }

  function haystack(f) {
    return [f.check.code, f.check.slug, f.check.title, f.check.area, D.severities[f.sev],
      f.objText, f.ns, f.fileName + ':' + f.line, f.path, f.message].join('\n').toLowerCase();
  }

  // ---- header and summary ----

  function renderMeta() {
    var parts = ['profile ' + D.profile, 'Pod Security Standards ' + D.pssVersion];
    if (D.config) parts.push('config ' + D.config);
    parts.push(D.tool + ' ' + D.version);
    append($('meta'), parts.map(function (p) { return el('span', { text: p }); }));
  }

  function gauge(score) {
    var r = 36, c = 2 * Math.PI * r;
    return sv('svg', { 'class': 'gauge', viewBox: '0 0 84 84', role: 'img', 'aria-labelledby': 'gauge-title' }, [
      sv('title', { id: 'gauge-title', text: 'Overall score ' + score + ' out of 100' }),
      sv('circle', { 'class': 'track', cx: 42, cy: 42, r: r }),
      sv('circle', {
        'class': 'value ' + band(score), cx: 42, cy: 42, r: r,
        'stroke-dasharray': (c * score / 100).toFixed(2) + ' ' + c.toFixed(2)
      }),
      sv('text', { x: 42, y: 43, text: String(score) })
    ]);
  }

  function sevChips(counts, withZero) {
    var chips = [];
    for (var s = 4; s >= 0; s--) {
      if (!counts[s] && !withZero) continue;
      chips.push(el('button', {
        type: 'button', 'class': 'chip', title: 'Show ' + D.severities[s] + ' findings',
        onclick: filterTo.bind(null, { severity: D.severities[s] })
      }, [el('span', { 'class': 'dot s' + s }), el('b', { text: fmt(counts[s]) }), SEV_LABELS[s]]));
    }
    return el('div', { 'class': 'chips' }, chips);
  }

  function renderSummary() {
    var S = D.summary;
    var extra = [];
    if (S.suppressed) extra.push(plural(S.suppressed, 'waived or exempted', 'waived or exempted'));
    if (S.baselined) extra.push(fmt(S.baselined) + ' in the baseline');
    if (S.inputErrors) extra.push(plural(S.inputErrors, 'input error'));
    if (S.notes) extra.push(plural(S.notes, 'note'));
    append($('summary'), [
      el('div', { 'class': 'card gauge-card' }, [
        gauge(D.overall.score),
        el('div', null, [
          el('div', { 'class': 'stat-label', text: 'Overall score' }),
          el('div', { 'class': 'stat' }, BAND_LABELS[band(D.overall.score)]),
          el('div', { 'class': 'sub', text: D.overall.points
            ? fmt(D.overall.points) + ' penalty points over ' + plural(D.overall.objects, 'object')
            : 'no finding that weighs' })
        ])
      ]),
      el('div', { 'class': 'card' }, [
        el('div', { 'class': 'stat-label', text: 'Findings' }),
        el('div', { 'class': 'stat', text: fmt(S.findings) }),
        S.findings ? sevChips(S.bySeverity, false) : el('div', { 'class': 'sub', text: 'Nothing to fix.' })
      ]),
      el('div', { 'class': 'card' }, [
        el('div', { 'class': 'stat-label', text: 'Scanned' }),
        el('div', { 'class': 'stat' }, [fmt(S.objects), el('small', { text: S.objects === 1 ? ' object' : ' objects' })]),
        el('div', { 'class': 'sub', text: 'in ' + plural(S.files, 'file') })
      ]),
      el('div', { 'class': 'card' }, [
        el('div', { 'class': 'stat-label', text: 'Left out' }),
        el('div', { 'class': 'stat', text: fmt(S.suppressed + S.baselined) }),
        el('div', { 'class': 'sub', text: extra.length ? extra.join(' · ') : 'no waiver, exemption or baseline' })
      ])
    ]);
  }

  // ---- scores ----

  function meter(score) {
    return el('div', { 'class': 'meter', title: 'score ' + score + ' / 100' }, [
      el('div', { 'class': 'track' }, el('div', { 'class': 'fill ' + band(score), style: 'width:' + Math.max(score, 2) + '%' })),
      el('b', { text: String(score) })
    ]);
  }

  function mini(counts) {
    var out = [];
    for (var s = 4; s >= 0; s--) {
      if (counts[s]) out.push(el('span', { 'class': 's' + s, title: counts[s] + ' ' + D.severities[s], text: fmt(counts[s]) }));
    }
    return el('span', { 'class': 'mini' }, out);
  }

  function scoreTable(target, rows, firstCol, countCol, countOf, filterKey) {
    var box = $(target);
    if (!rows.length) {
      box.append(el('p', { 'class': 'empty', text: 'Nothing was scanned.' }));
      return;
    }
    var LIMIT = 12;
    var tbody = el('tbody');
    var table = el('table', { 'class': 'scores' }, [
      el('thead', null, el('tr', null, [
        el('th', { text: firstCol }), el('th', { 'class': 'num', text: countCol }),
        el('th', { text: 'Findings' }), el('th', { 'class': 'bar-cell', text: 'Score' })
      ])),
      tbody
    ]);
    function fill(all) {
      tbody.textContent = '';
      rows.slice(0, all ? rows.length : LIMIT).forEach(function (r) {
        var pick = {};
        pick[filterKey] = r.name;
        tbody.append(el('tr', {
          'class': r.findings ? 'pick' : null,
          title: r.findings ? 'Show these findings' : null,
          onclick: r.findings ? filterTo.bind(null, pick) : null
        }, [
          el('td', { 'class': 'name', text: r.name }),
          el('td', { 'class': 'num', text: fmt(countOf(r)) }),
          el('td', null, r.findings ? mini(r.bySeverity) : el('span', { 'class': 'sub', text: 'none' })),
          el('td', { 'class': 'bar-cell' }, meter(r.score))
        ]));
      });
    }
    fill(false);
    box.append(table);
    if (rows.length > LIMIT) {
      var btn = el('button', { type: 'button', 'class': 'linkish', text: 'Show all ' + rows.length });
      btn.addEventListener('click', function () {
        var all = btn.dataset.all !== '1';
        btn.dataset.all = all ? '1' : '0';
        fill(all);
        btn.textContent = all ? 'Show the ' + LIMIT + ' lowest' : 'Show all ' + rows.length;
      });
      box.append(btn);
    }
  }

  function renderScores() {
    scoreTable('scores-area', D.areas, 'Area', 'Checks', function (r) { return r.checks || 0; }, 'area');
    scoreTable('scores-ns', D.namespaces, 'Namespace', 'Objects', function (r) { return r.objects; }, 'ns');
  }

  // ---- charts ----

  function barChart(target, id, title, items) {
    var box = $(target);
    var shown = items.filter(function (it) { return it.count > 0; });
    if (!shown.length) {
      box.append(el('p', { 'class': 'empty', text: 'No findings.' }));
      return;
    }
    var W = 560, rowH = 30, top = 6, labelW = 120, valueW = 60;
    var H = top * 2 + rowH * shown.length;
    var max = Math.max.apply(null, shown.map(function (it) { return it.count; }));
    var plotW = W - labelW - valueW;
    var desc = shown.map(function (it) { return it.label + ': ' + it.count; }).join(', ');
    var svg = sv('svg', {
      id: id, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-labelledby': id + '-title ' + id + '-desc', preserveAspectRatio: 'xMinYMin meet'
    }, [sv('title', { id: id + '-title', text: title }), sv('desc', { id: id + '-desc', text: desc })]);
    svg.append(sv('line', { 'class': 'axis', x1: labelW, x2: labelW, y1: top - 2, y2: H - top + 2 }));
    shown.forEach(function (it, n) {
      var y = top + n * rowH;
      var w = Math.max(2, plotW * it.count / max);
      var g = sv('g', {
        'class': 'bar ' + it.cls, 'data-key': it.key, tabindex: 0, role: 'button',
        'aria-label': it.label + ': ' + it.count + ' findings; show them'
      }, [
        sv('title', { text: it.label + ': ' + fmt(it.count) }),
        sv('rect', { x: labelW + 1, y: y + 5, width: w.toFixed(1), height: rowH - 10, rx: 3 })
      ]);
      g.addEventListener('click', function () { filterTo(it.filter); });
      g.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); filterTo(it.filter); }
      });
      svg.append(sv('text', { x: labelW - 8, y: y + rowH / 2, 'text-anchor': 'end', 'dominant-baseline': 'central', text: it.label }));
      svg.append(g);
      svg.append(sv('text', { 'class': 'val', x: labelW + w + 7, y: y + rowH / 2, 'dominant-baseline': 'central', text: fmt(it.count) }));
    });
    box.append(svg);
  }

  function renderCharts() {
    var sev = [];
    for (var s = 4; s >= 0; s--) {
      sev.push({ key: D.severities[s], label: SEV_LABELS[s], count: D.summary.bySeverity[s], cls: 'c' + s, filter: { severity: D.severities[s] } });
    }
    barChart('chart-severity', 'svg-severity', 'Findings by severity', sev);
    var areas = D.areas.filter(function (a) { return a.findings > 0; }).slice();
    areas.sort(function (a, b) { return b.findings - a.findings || (a.name < b.name ? -1 : 1); });
    barChart('chart-area', 'svg-area', 'Findings by area', areas.map(function (a) {
      return { key: a.name, label: a.name, count: a.findings, cls: 'ca', filter: { area: a.name } };
    }));
  }

  // ---- table ----

  function option(value, label) { return el('option', { value: value, text: label }); }

  function fillSelect(sel, allLabel, entries) {
    sel.textContent = '';
    sel.append(option('', allLabel));
    entries.forEach(function (e) { sel.append(option(e[0], e[1] + ' (' + fmt(e[2]) + ')')); });
  }

  function countBy(fn) {
    var m = new Map();
    F.forEach(function (f) { var k = fn(f); m.set(k, (m.get(k) || 0) + 1); });
    return m;
  }

  function initTable() {
    var head = $('head');
    var colgroup = el('colgroup', null, COLUMNS.map(function (c) { return el('col', { 'class': c.col }); }));
    $('table').insertBefore(colgroup, $('table').firstChild);
    COLUMNS.forEach(function (c) {
      head.append(el('th', { scope: 'col', 'data-key': c.key }, el('button', {
        type: 'button', text: c.label, title: 'Sort by ' + c.label.toLowerCase(),
        onclick: function () {
          if (state.sort === c.key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
          else { state.sort = c.key; state.dir = c.key === 'severity' ? 'desc' : 'asc'; }
          update();
        }
      })));
    });
    var bySev = countBy(function (f) { return f.sev; });
    var sevs = [];
    for (var s = 4; s >= 0; s--) if (bySev.get(s)) sevs.push([D.severities[s], SEV_LABELS[s], bySev.get(s)]);
    fillSelect($('f-severity'), 'All severities', sevs);
    var byArea = countBy(function (f) { return f.check.area; });
    fillSelect($('f-area'), 'All areas', Array.from(byArea.keys()).sort().map(function (a) { return [a, a, byArea.get(a)]; }));
    var byNs = countBy(function (f) { return f.ns; });
    fillSelect($('f-ns'), 'All namespaces', Array.from(byNs.keys()).sort().map(function (n) { return [n, n, byNs.get(n)]; }));

    var timer = null;
    $('f-q').addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = $('f-q').value.trim(); update(); }, F.length > 5000 ? 200 : 60);
    });
    [['f-severity', 'severity'], ['f-area', 'area'], ['f-ns', 'ns']].forEach(function (p) {
      $(p[0]).addEventListener('change', function () { state[p[1]] = $(p[0]).value; update(); });
    });
    $('f-clear').addEventListener('click', function () {
      state = copy(DEFAULTS);
      update();
    });
    $('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
    $('rows').addEventListener('click', function (ev) {
      var tr = ev.target.closest('tr.finding');
      if (tr && !ev.target.closest('a')) toggle(tr);
    });
    $('rows').addEventListener('keydown', function (ev) {
      var tr = ev.target.closest('tr.finding');
      if (tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); toggle(tr); }
    });
  }

  function ensureOption(sel, value) {
    if (!value) return;
    for (var i = 0; i < sel.options.length; i++) if (sel.options[i].value === value) return;
    sel.append(option(value, value + ' (0)'));
  }

  function syncControls() {
    if ($('f-q').value.trim() !== state.q) $('f-q').value = state.q;
    [['f-severity', 'severity'], ['f-area', 'area'], ['f-ns', 'ns']].forEach(function (p) {
      ensureOption($(p[0]), state[p[1]]);
      $(p[0]).value = state[p[1]];
    });
    Array.prototype.forEach.call($('head').children, function (th) {
      if (th.dataset.key === state.sort) th.setAttribute('aria-sort', state.dir === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
  }

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    state = copy(DEFAULTS);
    Object.keys(DEFAULTS).forEach(function (k) { if (p.has(k)) state[k] = p.get(k).trim(); });
    if (state.severity) state.severity = state.severity.toLowerCase();
    if (!COLUMNS.some(function (c) { return c.key === state.sort; })) state.sort = DEFAULTS.sort;
    if (state.dir !== 'asc' && state.dir !== 'desc') state.dir = DEFAULTS.dir;
  }

  function writeHash() {
    var p = new URLSearchParams();
    Object.keys(DEFAULTS).forEach(function (k) { if (state[k] !== DEFAULTS[k]) p.set(k, state[k]); });
    var hash = p.toString();
    var url = location.href.replace(/#.*$/, '') + (hash ? '#' + hash : '');
    if (url === location.href) return;
    try {
      history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
    } catch (e) {
      location.hash = hash; // file:// pages may refuse replaceState
    }
  }

  function filterTo(pick) {
    state = copy(DEFAULTS);
    Object.keys(pick).forEach(function (k) { state[k] = pick[k]; });
    update();
    $('findings').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  function cmpStr(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function comparator() {
    var key = state.sort;
    var dir = state.dir === 'asc' ? 1 : -1;
    var byPlace = function (a, b) { return cmpStr(a.fileName, b.fileName) || a.line - b.line || a.col - b.col; };
    var primary = {
      severity: function (a, b) { return a.sev - b.sev; },
      check: function (a, b) { return cmpStr(a.check.code, b.check.code); },
      object: function (a, b) { return cmpStr(a.objText, b.objText); },
      namespace: function (a, b) { return cmpStr(a.ns, b.ns); },
      file: byPlace,
      message: function (a, b) { return cmpStr(a.message, b.message); }
    }[key];
    return function (i, j) {
      var a = F[i], b = F[j];
      return dir * primary(a, b) || byPlace(a, b) || a.i - b.i;
    };
  }

  function update() {
    writeHash();
    apply();
  }

  function apply() {
    syncControls();
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && !haystacks) haystacks = F.map(haystack);
    var sev = state.severity ? D.severities.indexOf(state.severity) : -1;
    var out = [];
    for (var i = 0; i < F.length; i++) {
      var f = F[i];
      if (state.severity && f.sev !== sev) continue;
      if (state.area && f.check.area !== state.area) continue;
      if (state.ns && f.ns !== state.ns) continue;
      if (terms.length) {
        var h = haystacks[i], ok = true;
        for (var t = 0; t < terms.length && ok; t++) ok = h.indexOf(terms[t]) >= 0;
        if (!ok) continue;
      }
      out.push(i);
    }
    out.sort(comparator());
    view = out;
    rendered = 0;
    $('rows').textContent = '';
    renderMore();
    var c = $('count');
    c.dataset.shown = String(view.length);
    c.dataset.total = String(F.length);
    c.textContent = view.length === F.length
      ? plural(F.length, 'finding')
      : fmt(view.length) + ' of ' + plural(F.length, 'finding');
  }

  function renderMore() {
    var tbody = $('rows');
    var end = Math.min(view.length, rendered + PAGE_ROWS);
    var frag = document.createDocumentFragment();
    for (var n = rendered; n < end; n++) frag.append(row(F[view[n]]));
    tbody.append(frag);
    rendered = end;
    var more = $('more');
    more.textContent = '';
    if (observer) observer.disconnect();
    if (!view.length) {
      more.append(el('p', { 'class': 'empty', text: F.length ? 'No finding matches the filter.' : 'No findings.' }));
    } else if (rendered < view.length) {
      var btn = el('button', {
        type: 'button', 'class': 'btn', onclick: renderMore,
        text: 'Show ' + fmt(Math.min(PAGE_ROWS, view.length - rendered)) + ' more (' + fmt(view.length - rendered) + ' left)'
      });
      more.append(btn);
      if ('IntersectionObserver' in window) {
        observer = new IntersectionObserver(function (entries) {
          if (entries.some(function (e) { return e.isIntersecting; })) renderMore();
        }, { rootMargin: '600px' });
        observer.observe(btn);
      }
    }
  }

  function basename(p) { var m = /[^/\\]*$/.exec(p); return m ? m[0] : p; }

  function row(f) {
    var loc = f.file ? basename(f.fileName) + ':' + f.line : '—';
    return el('tr', { 'class': 'finding', 'data-i': f.i, tabindex: 0, 'aria-expanded': 'false' }, [
      el('td', null, el('span', { 'class': 'sev s' + f.sev, text: D.severities[f.sev] })),
      el('td', null, [el('span', { 'class': 'code', text: f.check.code }), f.check.title]),
      el('td', null, [el('span', { 'class': 'kind', text: f.obj[1] }), f.obj[3]]),
      el('td', { text: f.ns }),
      el('td', { 'class': 'loc', title: f.file ? f.fileName + ':' + f.line + ':' + f.col : null, text: loc }),
      el('td', { text: f.message })
    ]);
  }

  function toggle(tr) {
    var next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) {
      next.remove();
      tr.setAttribute('aria-expanded', 'false');
      return;
    }
    tr.setAttribute('aria-expanded', 'true');
    tr.after(el('tr', { 'class': 'detail' }, el('td', { colspan: COLUMNS.length }, details(F[Number(tr.dataset.i)]))));
  }

  // ---- one finding ----

  function excerpt(f) {
    if (!f.file) return el('p', { 'class': 'sub', text: 'No source file.' });
    var lines = [];
    f.file.spans.forEach(function (s) {
      var first = s[0], text = s[1];
      if (f.line < first || f.line >= first + text.length) return;
      var lo = Math.max(first, f.line - 3), hi = Math.min(first + text.length - 1, f.line + 3);
      for (var n = lo; n <= hi; n++) lines.push([n, text[n - first]]);
    });
    if (!lines.length) return el('p', { 'class': 'sub', text: 'The source line could not be read.' });
    var code = el('code');
    lines.forEach(function (l) {
      var hit = l[0] === f.line;
      code.append(el('span', { 'class': hit ? 'l hit' : 'l' }, [el('span', { 'class': 'n', text: String(l[0]) }), l[1]]));
      if (hit && f.col > 0 && f.col <= l[1].length + 1 && l[1].length < 300) {
        var pad = l[1].slice(0, f.col - 1).replace(/[^\t]/g, ' ');
        code.append(el('span', { 'class': 'l caret' }, [el('span', { 'class': 'n' }), pad + '^']));
      }
    });
    // Line numbers as wide as the longest of the excerpt.
    var digits = String(lines[lines.length - 1][0]).length;
    return el('pre', {
      'class': 'excerpt', style: '--nw:' + (Math.max(digits, 3) + 2) + 'ch',
      'aria-label': 'YAML excerpt, line ' + f.line + ' highlighted'
    }, code);
  }

  function inline(text) {
    var parts = text.split('`');
    return parts.map(function (p, n) { return n % 2 ? el('code', { text: p }) : p; });
  }

  // The How to fix text is Markdown: paragraphs, `code`, fenced blocks, lists.
  function markdown(md) {
    var box = el('div', { 'class': 'fix' });
    var para = [], list = null, fence = null;
    function flush() {
      if (para.length) { box.append(el('p', null, inline(para.join(' ')))); para = []; }
    }
    md.split('\n').forEach(function (line) {
      if (fence !== null) {
        if (/^\s*```/.test(line)) { box.append(el('pre', { 'class': 'md' }, el('code', { text: fence.join('\n') }))); fence = null; }
        else fence.push(line);
        return;
      }
      if (/^\s*```/.test(line)) { flush(); list = null; fence = []; return; }
      var item = /^\s*[-*] (.*)$/.exec(line);
      if (item) {
        flush();
        if (!list) { list = el('ul'); box.append(list); }
        list.append(el('li', null, inline(item[1])));
        return;
      }
      if (!line.trim()) { flush(); list = null; return; }
      if (list && /^\s+/.test(line)) { list.lastChild.append(' ', ...inline(line.trim())); return; }
      list = null;
      para.push(line.trim());
    });
    if (fence !== null) box.append(el('pre', { 'class': 'md' }, el('code', { text: fence.join('\n') })));
    flush();
    return box;
  }

  function details(f) {
    var o = f.obj, c = f.check;
    var kv = el('dl', { 'class': 'kv' });
    function pair(k, v) { kv.append(el('dt', { text: k }), el('dd', null, v)); }
    pair('Object', o[0] + ' ' + o[1] + ' ' + (o[2] ? o[2] + '/' : '') + o[3]);
    pair('JSON path', el('code', { text: f.path }));
    pair('Location', f.file ? f.fileName + ':' + f.line + ':' + f.col : '—');
    var sevText = D.severities[f.sev] + (c.severity !== D.severities[f.sev] ? ' (catalog: ' + c.severity + ')' : '');
    pair('Check', c.code + ' ' + c.slug + ' · ' + c.area + ' · ' + sevText);
    var left = el('div', null, [
      el('p', { 'class': 'msg', text: f.message }), kv,
      el('h3', { text: 'YAML' }), excerpt(f)
    ]);
    var right = el('div', null, [el('h3', { text: 'How to fix' }),
      c.fix ? markdown(c.fix) : el('p', { 'class': 'sub', text: 'kaegis explain ' + c.slug })]);
    if (f.autofix) {
      right.append(el('h3', { text: 'Mechanical fix' }));
      right.append(el('p', { 'class': 'autofix', text: f.autofix[0] + ' \u2014 `kaegis fix` applies it in place.' }));
      right.append(el('pre', { 'class': 'md' }, el('code', { text: JSON.stringify(f.autofix[1], null, 2) })));
    }
    if (c.references && c.references.length) {
      right.append(el('h3', { text: 'References' }));
      right.append(el('ul', { 'class': 'refs' }, c.references.map(function (r) {
        var label = r.source + ' ' + r.id;
        var url = safeUrl(r.url);
        return el('li', null, url ? el('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: label }) : label);
      })));
    }
    return el('div', { 'class': 'detail-grid' }, [left, right]);
  }

  // ---- the rest ----

  function renderErrors() {
    if (!D.errors.length) return;
    var box = $('errors');
    box.hidden = false;
    box.append(el('h2', { text: 'Input errors (' + fmt(D.summary.inputErrors) + ')' }));
    box.append(el('ul', null, D.errors.map(function (e) {
      return el('li', { text: e.file + (e.line ? ':' + e.line : '') + ': ' + e.message });
    })));
  }

  function renderAbout() {
    var w = D.scoring.weights, h = D.scoring.halfScorePoints;
    append($('about'), [
      el('p', null, [el('strong', { text: 'Scores. ' }),
        'Each finding weighs by severity (critical ' + w[4] + ', high ' + w[3] + ', medium ' + w[2] + ', low ' + w[1] +
        ', info ' + w[0] + '). For a group of N objects whose findings weigh P points, score = 100 × ' + h +
        ' / (' + h + ' + P / N), rounded; any finding caps it at 99. A namespace counts the objects in it; an area counts every object scanned. ' +
        'One critical finding per object on average scores 50. Bands: 90 and above good, 70 fair, 50 weak, below 50 at risk.']),
      el('p', { text: 'Namespaces: a Namespace object counts in its own namespace; (cluster) holds cluster-scoped objects; ' +
        '(not set) holds objects whose manifest names no namespace.' }),
      el('p', { text: 'Written by ' + D.tool + ' ' + D.version + '. This file is self-contained and makes no network request; ' +
        'filters are kept in the address (#q=…&severity=…&area=…&ns=…) so a link shows the same view.' })
    ]);
  }

  function init() {
    load();
    renderMeta();
    renderSummary();
    renderScores();
    renderCharts();
    initTable();
    renderErrors();
    renderAbout();
    readHash();
    apply();
    window.addEventListener('hashchange', function () { readHash(); apply(); });
    document.body.dataset.initMs = String(Math.round(performance.now()));
    document.body.dataset.ready = '1';
  }

  window.addEventListener('error', function (ev) { fail(ev.error || ev.message); });
  try {
    init();
  } catch (e) {
    fail(e);
  }
})();
