// flowsense page: reads a CSV of flows, classifies it with the model's
// WebAssembly module in this browser (wasm/ABI.md) or on the server
// (POST /predict), and shows the results. Plain JavaScript, no build step,
// nothing fetched but the function's own endpoints.
//
// The CSV reading follows the Go reader (flowdata) that `flowsense
// predict` and POST /predict use: records are RFC 4180 with lenient quotes
// (a quote anywhere opens a quoted stretch), CRLF or LF line ends, blank
// records skipped; the first record is the header unless the file is a
// headerless KDD one; columns are matched to the schema's features by name
// ignoring case, spaces, "_" and "-"; numbers read as model.ParseNumber
// reads them and rounded to float32; categories coded with the schema's
// vocabulary, an unknown one missing (NaN) or an error by the feature's
// "unknown" policy, as model.Encoder does.
'use strict';

(function () {
  const VERDICTS = ['benign', 'malicious', 'anomalous'];
  const KDD_NAMES = [
    'duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land',
    'wrong_fragment', 'urgent', 'hot', 'num_failed_logins', 'logged_in', 'num_compromised',
    'root_shell', 'su_attempted', 'num_root', 'num_file_creations', 'num_shells',
    'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login', 'count',
    'srv_count', 'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate',
    'same_srv_rate', 'diff_srv_rate', 'srv_diff_host_rate', 'dst_host_count',
    'dst_host_srv_count', 'dst_host_same_srv_rate', 'dst_host_diff_srv_rate',
    'dst_host_same_src_port_rate', 'dst_host_srv_diff_host_rate', 'dst_host_serror_rate',
    'dst_host_srv_serror_rate', 'dst_host_rerror_rate', 'dst_host_srv_rerror_rate',
  ];
  // Label-like columns are never features (flowdata labelLike).
  const LABEL_LIKE = new Set(['label', 'class', 'attemptedcategory', 'attackcat', 'attacktype',
    'attackname', 'category', 'subcategory']);
  const SLICE_MS = 30; // work between two repaints

  // ---------------------------------------------------------------- errors

  // InputError is a problem with the uploaded file: file, line, column.
  class InputError extends Error {
    constructor(file, line, column, columnName, message) {
      let where = file;
      if (line) where += ': line ' + line;
      if (column) where += ', column ' + column + (columnName ? ' (' + columnName + ')' : '');
      super(where + ': ' + message);
      this.name = 'InputError';
      this.line = line;
      this.column = column;
    }
  }

  // ---------------------------------------------------------------- numbers

  const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
  const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/;
  const INF = /^([+-]?)(?:inf|infinity)$/i;

  // parseNumber reads a numeric cell as model.ParseNumber does and returns
  // it rounded to float32, or undefined when it is not a number.
  function parseNumber(s) {
    s = s.trim();
    if (s === '' || s === '?' || /^nan$/i.test(s)) return NaN;
    if (s.indexOf('_') >= 0) {
      // strconv.ParseFloat takes underscores between digits ("1_000"),
      // and after a hex prefix ("0x_1p0").
      const hex = /^[+-]?0[xX]/.test(s);
      const digit = hex ? /[0-9a-fA-F]/ : /[0-9]/;
      for (let i = s.indexOf('_'); i >= 0; i = s.indexOf('_', i + 1)) {
        const before = s[i - 1] || '';
        const after = s[i + 1] || '';
        const okBefore = digit.test(before) || (hex && /[xX]/.test(before) && i === s.search(/[xX]/) + 1);
        if (!okBefore || !digit.test(after)) return undefined;
      }
      s = s.replace(/_/g, '');
    }
    if (DECIMAL.test(s)) return Math.fround(Number(s));
    let m = INF.exec(s);
    if (m) return m[1] === '-' ? -Infinity : Infinity;
    m = HEX.exec(s);
    if (m && (m[2] + m[3]).length > 0) {
      let v = 0;
      for (const c of m[2] + m[3]) v = v * 16 + parseInt(c, 16);
      v *= Math.pow(2, Number(m[4]) - 4 * m[3].length);
      return Math.fround(m[1] === '-' ? -v : v);
    }
    return undefined;
  }

  // key normalises a column name for matching: lower case, without spaces,
  // underscores and hyphens (flowdata key).
  function key(name) {
    return name.trim().toLowerCase().replace(/[ _\-\t\ufeff]/g, '');
  }

  // ---------------------------------------------------------------- records

  // Splitter cuts text into records (arrays of field strings) with the
  // line each starts on.
  class Splitter {
    constructor(text) {
      this.t = text;
      this.pos = 0;
      this.line = 1;
      this.quote = -2; // position of the next '"' at or after pos; -1: none
    }

    nextQuote() {
      if (this.quote !== -1 && this.quote < this.pos) this.quote = this.t.indexOf('"', this.pos);
      return this.quote;
    }

    // next returns {fields, line} or null at the end.
    next() {
      const t = this.t;
      while (this.pos < t.length) {
        const start = this.pos;
        const line = this.line;
        let end = t.indexOf('\n', start);
        if (end < 0) end = t.length;
        const q = this.nextQuote();
        const quoted = q >= 0 && q < end;
        if (quoted) end = recordEnd(t, start);
        this.pos = end < t.length ? end + 1 : end;
        this.line++;
        if (quoted) {
          for (let i = t.indexOf('\n', start); i >= 0 && i < end; i = t.indexOf('\n', i + 1)) this.line++;
        }
        let stop = end;
        if (stop > start && t.charCodeAt(stop - 1) === 13) stop--;
        if (stop === start) continue;
        const fields = quoted ? splitQuoted(t, start, stop) : t.slice(start, stop).split(',');
        return { fields, line };
      }
      return null;
    }
  }

  function recordEnd(t, start) {
    let inq = false;
    for (let i = start; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 34) inq = !inq;
      else if (c === 10 && !inq) return i;
    }
    return t.length;
  }

  function splitQuoted(t, start, stop) {
    const fields = [];
    let cur = '';
    let inq = false;
    for (let i = start; i < stop; i++) {
      const c = t[i];
      if (inq) {
        if (c === '"') {
          if (i + 1 < stop && t[i + 1] === '"') { cur += '"'; i++; } else inq = false;
        } else cur += c;
      } else if (c === '"') inq = true;
      else if (c === ',') { fields.push(cur); cur = ''; } else cur += c;
    }
    fields.push(cur);
    return fields;
  }

  function isBlank(fields) {
    return fields.every((f) => f.trim() === '');
  }

  // ---------------------------------------------------------------- layout

  // layout maps a file's fields onto the schema's features, or throws an
  // InputError naming the missing columns. first is the first non-blank
  // record; the result says whether it is a header.
  function layout(schema, first, file) {
    const n = first.fields.length;
    let names;
    let kdd = false;
    let header = true;
    if (n >= 41 && n <= 43 && parseNumber(first.fields[0]) !== undefined &&
        parseNumber(first.fields[1]) === undefined && parseNumber(first.fields[2]) === undefined &&
        parseNumber(first.fields[3]) === undefined) {
      kdd = true;
      names = KDD_NAMES.slice();
      if (n > 41) names.push('label');
      if (n > 42) names.push('difficulty');
      header = key(first.fields[0]) === 'duration';
    } else {
      names = first.fields.map((f, i) => f.replace(/^\ufeff/, '').trim() || 'column ' + (i + 1));
    }
    const keys = names.map(key);
    let label = -1;
    if (kdd) {
      if (n > 41) label = 41;
    } else {
      for (const want of ['label', 'class']) {
        label = keys.indexOf(want);
        if (label >= 0) break;
      }
    }
    const excluded = new Array(n).fill(false);
    const seen = new Set();
    keys.forEach((k, i) => {
      if (i === label) return;
      if (seen.has(k)) excluded[i] = true;
      seen.add(k);
      if (!kdd && LABEL_LIKE.has(k)) excluded[i] = true;
    });
    const used = new Array(n).fill(false);
    const cols = [];
    const missing = [];
    for (const f of schema.features) {
      const k = key(f.name);
      let field = -1;
      for (let i = 0; i < n; i++) {
        if (i !== label && !excluded[i] && !used[i] && keys[i] === k) { field = i; break; }
      }
      if (field < 0) { missing.push(f.name); continue; }
      used[field] = true;
      const col = { field, name: names[field], categorical: f.kind === 'categorical', error: f.unknown === 'error', codes: null, feature: f.name };
      if (col.categorical) col.codes = new Map((f.categories || []).map((c, j) => [c, j]));
      cols.push(col);
    }
    if (missing.length > 0) {
      throw new InputError(file, first.line, 0, '', 'missing columns ' + missing.map((m) => JSON.stringify(m)).join(', ') +
        ': the file has ' + names.map((m) => JSON.stringify(m)).join(', '));
    }
    return { names, nfields: n, cols, label, kdd, header };
  }

  // encodeRow writes one record's features into dst at off and returns its
  // label (null without a label column).
  function encodeRow(lay, rec, dst, off, file) {
    const f = rec.fields;
    if (f.length !== lay.nfields) {
      throw new InputError(file, rec.line, f.length < lay.nfields ? f.length : lay.nfields + 1, '',
        'wrong number of fields: got ' + f.length + ', want ' + lay.nfields);
    }
    for (let j = 0; j < lay.cols.length; j++) {
      const c = lay.cols[j];
      const cell = f[c.field];
      let v;
      if (!c.categorical) {
        v = parseNumber(cell);
        if (v === undefined) throw new InputError(file, rec.line, c.field + 1, c.name, 'not a number: ' + JSON.stringify(cell.trim()));
      } else {
        const s = cell.trim();
        if (s === '') v = NaN;
        else if (c.codes.has(s)) v = c.codes.get(s);
        else if (c.error) throw new InputError(file, rec.line, c.field + 1, c.name, 'unknown category ' + JSON.stringify(s) + ' for feature ' + JSON.stringify(c.feature));
        else v = NaN;
      }
      dst[off + j] = v;
    }
    if (lay.label < 0) return null;
    let l = f[lay.label].trim();
    if (lay.kdd && l.endsWith('.')) l = l.slice(0, -1);
    if (l === '') throw new InputError(file, rec.line, lay.label + 1, lay.names[lay.label], 'missing label');
    return l;
  }

  // Table is a parsed file: rows of float32 features in schema order, the
  // true labels, and the records themselves (for sending to the server).
  class Table {
    constructor(nf) {
      this.nf = nf;
      this.n = 0;
      this.rows = new Float32Array(nf * 1024);
      this.labels = [];
      this.records = [];
    }

    slot() {
      if ((this.n + 1) * this.nf > this.rows.length) {
        const r = new Float32Array(this.rows.length * 2);
        r.set(this.rows);
        this.rows = r;
      }
      return this.n * this.nf;
    }
  }

  // parseTable reads a whole CSV text against the schema. onProgress, when
  // given, is awaited between slices of work with the fraction done.
  async function parseTable(text, schema, file, onProgress) {
    const sp = new Splitter(text);
    let first;
    while ((first = sp.next()) && isBlank(first.fields));
    if (!first) throw new InputError(file, 0, 0, '', 'the file is empty');
    const lay = layout(schema, first, file);
    const tab = new Table(schema.features.length);
    tab.layout = lay;
    let pending = lay.header ? null : first;
    let t0 = performance.now();
    for (;;) {
      const rec = pending || sp.next();
      pending = null;
      if (!rec) break;
      if (isBlank(rec.fields)) continue;
      const off = tab.slot();
      const label = encodeRow(lay, rec, tab.rows, off, file);
      tab.labels.push(label);
      tab.records.push(rec.fields);
      tab.n++;
      if (onProgress && (tab.n & 255) === 0 && performance.now() - t0 > SLICE_MS) {
        await onProgress(sp.pos / text.length);
        t0 = performance.now();
      }
    }
    if (tab.n === 0) throw new InputError(file, 0, 0, '', 'a header and no data rows');
    tab.hasLabels = lay.label >= 0;
    return tab;
  }

  // ---------------------------------------------------------------- model

  // Model is the module instantiated by the ABI, version 1.
  class Model {
    constructor(instance, meta) {
      const e = instance.exports;
      if (!e.abi_version || e.abi_version.value !== 1) throw new Error('model.wasm: ABI version ' + (e.abi_version && e.abi_version.value) + ', this page reads 1');
      this.e = e;
      this.nf = e.n_features.value;
      this.nc = e.n_classes.value;
      this.maxBatch = e.max_batch.value;
      this.input = e.input.value;
      this.output = e.output.value;
      this.stride = e.output_stride.value;
      if (this.nf !== meta.schema.features.length || this.nc !== meta.classes.length) {
        throw new Error('model.wasm does not match /model: ' + this.nf + ' features and ' + this.nc + ' classes');
      }
      // The optional explain export (ABI 1.1, wasm/ABI.md "Explanations"):
      // artifacts leave it out unless compiled with --explain.
      this.canExplain = typeof e.explain === 'function' && !!e.contrib && !!e.n_outputs;
      if (this.canExplain) {
        this.contrib = e.contrib.value;
        this.outputs = e.n_outputs.value;
        this.detector = meta.outlier ? meta.outlier.features.length : 0;
        const want = meta.objective === 'logistic' ? 1 : this.nc;
        if (this.outputs !== want) throw new Error('model.wasm: explain export with ' + this.outputs + ' outputs, want ' + want);
      }
    }

    // explain runs the explain export on row i of tab and returns its
    // contributions: phi, Outputs blocks of F+1 values (each feature's
    // TreeSHAP value, then the output's bias), and shares, three values
    // per detector input (share of the outlier score, z, benign mean).
    explain(tab, i) {
      const e = this.e;
      new Float32Array(e.memory.buffer, this.input, this.nf).set(tab.rows.subarray(i * this.nf, (i + 1) * this.nf));
      if (e.explain(0) !== 0) throw new Error('model.wasm refused to explain row ' + (i + 1));
      const np = this.outputs * (this.nf + 1);
      const all = new Float64Array(e.memory.buffer.slice(this.contrib, this.contrib + 8 * (np + 3 * this.detector)));
      return { phi: all.subarray(0, np), shares: all.subarray(np) };
    }

    // classify runs rows [lo, hi) of tab into res, batch by batch.
    classify(tab, res, lo, hi) {
      const e = this.e;
      for (let start = lo; start < hi; start += this.maxBatch) {
        const m = Math.min(this.maxBatch, hi - start);
        new Float32Array(e.memory.buffer, this.input, m * this.nf).set(tab.rows.subarray(start * this.nf, (start + m) * this.nf));
        if (e.predict(m) !== m) throw new Error('model.wasm refused a batch of ' + m);
        const dv = new DataView(e.memory.buffer);
        for (let r = 0; r < m; r++) {
          const o = this.output + r * this.stride;
          const c = dv.getInt32(o, true);
          res.cls[start + r] = c;
          res.verdict[start + r] = dv.getInt32(o + 4, true);
          res.score[start + r] = dv.getFloat64(o + 8, true);
          res.prob[start + r] = dv.getFloat64(o + 16 + 8 * c, true);
        }
      }
    }
  }

  // summarise picks what explains row (its values) predicted as class c
  // from the module's contributions, as model.Summarise does: the
  // predicted class's block (for a logistic model the log-odds, negated
  // for class 0), bias plus every contribution being the margin, the
  // non-zero contributions largest first by magnitude, the top ones (all
  // when top <= 0), and the outlier shares likewise.
  function summarise(meta, c, row, x, top) {
    const F = meta.schema.features.length;
    let block = c;
    let sign = 1;
    if (meta.objective === 'logistic') {
      block = 0;
      if (c === 0) sign = -1;
    }
    const b = x.phi.subarray(block * (F + 1), (block + 1) * (F + 1));
    const bias = sign * b[F];
    let margin = bias;
    let features = [];
    for (let f = 0; f < F; f++) {
      margin += sign * b[f];
      if (b[f] !== 0) features.push({ feature: f, value: row[f], contribution: sign * b[f] });
    }
    const byMagnitude = (p, q) => Math.abs(q.contribution) - Math.abs(p.contribution);
    features.sort(byMagnitude); // stable, as sort.SliceStable
    const nonzero = features.length;
    if (top > 0) features = features.slice(0, top);
    let outlier = [];
    if (meta.outlier) {
      meta.outlier.features.forEach((f, j) => {
        outlier.push({ feature: f, value: row[f], contribution: x.shares[3 * j], z: x.shares[3 * j + 1], mean: x.shares[3 * j + 2] });
      });
      outlier.sort(byMagnitude);
      if (top > 0) outlier = outlier.slice(0, top);
    }
    return { margin, bias, features, outlier, nonzero };
  }

  function newResults(n) {
    return { n, cls: new Int32Array(n), verdict: new Uint8Array(n), score: new Float64Array(n), prob: new Float64Array(n) };
  }

  async function fetchJSON(url) {
    const resp = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!resp.ok) throw await httpError(url, resp);
    return resp.json();
  }

  async function httpError(what, resp) {
    let msg = what + ': ' + resp.status + ' ' + resp.statusText;
    try {
      const p = await resp.json();
      if (p && p.title) msg = what + ': ' + p.title + (p.detail ? ': ' + p.detail : '');
    } catch (_) { /* not a problem document */ }
    const err = new Error(msg);
    err.status = resp.status;
    return err;
  }

  async function loadModule(meta) {
    const resp = await fetch('model.wasm');
    if (!resp.ok) throw await httpError('model.wasm', resp);
    const mod = await WebAssembly.compile(await resp.arrayBuffer());
    if (WebAssembly.Module.imports(mod).length !== 0) throw new Error('model.wasm has imports; a flowsense module has none');
    return new Model(await WebAssembly.instantiate(mod, {}), meta);
  }

  // ---------------------------------------------------------------- server

  function csvField(s) {
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function csvLine(fields) {
    return fields.map(csvField).join(',');
  }

  // classifyOnServer posts the rows to /predict as text/csv in chunks
  // within the server's limits (a 413 halves the chunk).
  async function classifyOnServer(tab, meta, res, onProgress) {
    const head = tab.layout.header ? csvLine(tab.layout.names) + '\n' : '';
    const classIndex = new Map(meta.classes.map((c, i) => [c, i]));
    let per = 2000;
    for (let lo = 0; lo < tab.n;) {
      const hi = Math.min(tab.n, lo + per);
      const lines = [];
      for (let i = lo; i < hi; i++) lines.push(csvLine(tab.records[i]));
      const resp = await fetch('predict', {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv', Accept: 'application/json' },
        body: head + lines.join('\n') + '\n',
      });
      if (resp.status === 413 && per > 1) {
        per = Math.max(1, per >> 1);
        continue;
      }
      if (!resp.ok) throw await httpError('server', resp);
      const got = await resp.json();
      if (!Array.isArray(got) || got.length !== hi - lo) throw new Error('server: ' + (Array.isArray(got) ? got.length : 'no') + ' answers for ' + (hi - lo) + ' rows');
      got.forEach((g, k) => {
        const i = lo + k;
        const c = classIndex.get(g.label);
        const v = VERDICTS.indexOf(g.verdict);
        if (c === undefined || v < 0) throw new Error('server: row ' + (i + 1) + ': label ' + JSON.stringify(g.label) + ', verdict ' + JSON.stringify(g.verdict) + ': not of this model');
        res.cls[i] = c;
        res.prob[i] = g.probability;
        res.score[i] = g.outlier_score;
        res.verdict[i] = v;
      });
      lo = hi;
      await onProgress(lo / tab.n);
    }
  }

  // ---------------------------------------------------------------- view

  const $ = (id) => document.getElementById(id);
  const state = { meta: null, model: null, file: null, tab: null, res: null, view: null, page: 0, run: 0, mode: 'browser', fileName: '', selected: -1, importance: null };

  // NO_EXPLAIN says why there are no explanations and how to get them.
  const NO_EXPLAIN = 'This model.wasm has no explain export: model artifacts leave it out by default (it makes the module ' +
    'about three times larger). Serve the model with "flowsense serve --explain" (or compile it with "flowsense compile --explain" ' +
    'and serve that module) to see which features made each flow\'s label.';

  function setState(s) { document.body.dataset.state = s; }

  function showError(msg) {
    const el = $('error');
    el.textContent = msg;
    el.hidden = !msg;
  }

  function progress(label, frac) {
    $('progress-box').hidden = false;
    $('progress').value = frac;
    $('status').textContent = label + (frac >= 0 ? ' ' + Math.floor(frac * 100) + '%' : '');
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  function fmt(v) {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return Number(v.toPrecision(6)).toString();
  }

  function describeModel(meta) {
    const parts = [];
    parts.push('model ' + (meta.name || '(unnamed)') + (meta.version ? ' ' + meta.version : ''));
    parts.push(meta.schema.features.length + ' features');
    parts.push(meta.classes.length + ' classes');
    parts.push(meta.trees + ' trees');
    parts.push(meta.outlier ? 'outlier threshold ' + fmt(meta.outlier.threshold) : 'no outlier detector');
    $('model-info').textContent = parts.join(' · ');
    const ul = $('column-list');
    ul.textContent = '';
    for (const f of meta.schema.features) {
      const li = document.createElement('li');
      li.textContent = f.name + ' — ' + f.kind + (f.kind === 'categorical' ? ' (' + (f.categories || []).length + ' categories; unknown: ' + (f.unknown || 'missing') + ')' : '');
      ul.appendChild(li);
    }
  }

  async function readFileText(file) {
    const magic = new Uint8Array(await file.slice(0, 2).arrayBuffer());
    if (magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
      if (typeof DecompressionStream === 'undefined') throw new Error(file.name + ': gzip files need a browser with DecompressionStream');
      return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
    }
    return file.text();
  }

  async function run(file) {
    const token = ++state.run;
    const alive = () => token === state.run;
    const mode = $('server-side').checked ? 'server' : 'browser';
    showError('');
    setState('working');
    try {
      if (!state.meta) throw new Error('the model is not loaded');
      await progress('reading ' + file.name, 0);
      // pcap: a capture becomes the CSV of its flows, in this browser (static/pcap.js)
      const capture = window.flowsensePcap ? await window.flowsensePcap.extract(file, (f) => { if (alive()) progress('extracting flows from ' + file.name, f); }) : null;
      const text = capture ? capture.csv : await readFileText(file);
      const tab = await parseTable(text, state.meta.schema, file.name, (f) => alive() ? progress('parsing', f) : Promise.reject(new Error('superseded')));
      tab.flows = capture ? capture.flows : null; // pcap
      const res = newResults(tab.n);
      if (mode === 'browser') {
        if (!state.model) state.model = await loadModule(state.meta);
        const step = Math.max(state.model.maxBatch, 4096);
        for (let lo = 0; lo < tab.n; lo += step) {
          state.model.classify(tab, res, lo, Math.min(tab.n, lo + step));
          await progress('classifying in the browser', Math.min(tab.n, lo + step) / tab.n);
          if (!alive()) return;
        }
      } else {
        await progress('classifying on the server', 0);
        await classifyOnServer(tab, state.meta, res, (f) => alive() ? progress('classifying on the server', f) : Promise.reject(new Error('superseded')));
      }
      if (!alive()) return;
      state.tab = tab;
      state.res = res;
      state.mode = mode;
      state.fileName = file.name;
      state.page = 0;
      state.selected = -1;
      state.importance = null;
      $('explain-box').hidden = true;
      $('status').textContent = tab.n + ' flows classified ' + (mode === 'browser' ? 'in the browser' : 'on the server');
      $('progress').value = 1;
      render();
      document.body.dataset.mode = mode;
      document.body.dataset.run = String(Number(document.body.dataset.run) + 1);
      setState('done');
      computeImportance(token, alive);
    } catch (err) {
      if (!alive()) return;
      showError(err.message);
      $('progress-box').hidden = true;
      setState('error');
    }
  }

  function render() {
    const { tab, res, meta } = { tab: state.tab, res: state.res, meta: state.meta };
    $('summary').hidden = false;
    $('results-box').hidden = false;
    document.body.classList.toggle('has-truth', tab.hasLabels);
    if (window.flowsensePcap) window.flowsensePcap.flowHeader($('results'), !!tab.flows); // pcap
    const perClass = new Array(meta.classes.length).fill(0);
    const perVerdict = [0, 0, 0];
    let agree = 0;
    for (let i = 0; i < res.n; i++) {
      if (res.cls[i] >= 0) perClass[res.cls[i]]++;
      perVerdict[res.verdict[i]]++;
      if (tab.hasLabels && meta.classes[res.cls[i]] === tab.labels[i]) agree++;
    }
    fillCounts($('counts-class'), meta.classes.map((c, i) => [c, perClass[i]]), 'class');
    fillCounts($('counts-verdict'), VERDICTS.map((v, i) => [v, perVerdict[i]]), 'verdict');
    $('summary-note').textContent = res.n + ' flows from ' + state.fileName + ', classified ' + (state.mode === 'browser' ? 'in the browser' : 'on the server') +
      (tab.hasLabels ? '; the label equals the Label column for ' + agree + ' (' + (100 * agree / res.n).toFixed(1) + '%)' : '');
    drawChart(meta.classes.map((c, i) => [c, perClass[i]]), VERDICTS.map((v, i) => [v, perVerdict[i]]));
    renderConfusion();
    const mis = $('filter').querySelector('option[value="mismatch"]');
    mis.hidden = mis.disabled = !tab.hasLabels;
    mis.textContent = 'label differs from the file\'s (' + (tab.hasLabels ? res.n - agree : 0) + ')';
    if (!tab.hasLabels && $('filter').value === 'mismatch') $('filter').value = 'all';
    $('importance-box').hidden = false;
    $('importance-box').dataset.state = 'working';
    $('importance-note').textContent = 'explaining every flow…';
    $('importance-chart').textContent = '';
    $('importance-class').textContent = '';
    applyFilter();
  }

  function fillCounts(table, rows, kind) {
    const tb = table.tBodies[0];
    tb.textContent = '';
    for (const [name, n] of rows) {
      const tr = tb.insertRow();
      tr.dataset[kind] = name;
      tr.insertCell().textContent = name;
      const td = tr.insertCell();
      td.textContent = String(n);
      td.className = 'num';
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';

  function svgEl(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // textWidth is the widest of texts in pixels as the charts draw them
  // (12px in the page's font), so that a chart's margins fit its labels.
  function textWidth(texts, el) {
    const ctx = textWidth.ctx || (textWidth.ctx = document.createElement('canvas').getContext('2d'));
    const cs = getComputedStyle(el || document.body);
    ctx.font = '12px ' + cs.fontFamily;
    let w = 0;
    for (const t of texts) w = Math.max(w, ctx.measureText(t).width);
    return Math.ceil(w);
  }

  // drawChart draws two groups of horizontal bars, classes then verdicts.
  // The label margin is sized to the longest name ("Web Attack – Brute
  // Force" no longer clipped), the right margin to the largest count.
  function drawChart(classes, verdicts) {
    const box = $('chart');
    box.textContent = '';
    const rowH = 22, barW = 260, gap = 26;
    const all = classes.concat(verdicts);
    const labelW = textWidth(all.map((r) => r[0]), box) + 12;
    const width = labelW + barW + 4 + textWidth(all.map((r) => String(r[1])), box) + 8;
    const height = gap + rowH * classes.length + gap + rowH * verdicts.length + 8;
    const svg = svgEl('svg', { id: 'chart-svg', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'flows per class and per verdict' });
    let y = 0;
    const group = (title, rows, kind) => {
      svg.appendChild(svgEl('text', { x: 0, y: y + 16, class: 'chart-title' }, title));
      y += gap;
      const most = Math.max(1, ...rows.map((r) => r[1]));
      for (const [name, n] of rows) {
        svg.appendChild(svgEl('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end' }, name));
        const w = Math.round(barW * n / most);
        svg.appendChild(svgEl('rect', { x: labelW, y: y + 3, width: Math.max(w, n > 0 ? 1 : 0), height: rowH - 6, class: 'bar bar-' + kind + (kind === 'verdict' ? ' v-' + name : ''), 'data-name': name, 'data-count': n }));
        svg.appendChild(svgEl('text', { x: labelW + w + 4, y: y + 15 }, String(n)));
        y += rowH;
      }
    };
    group('flows per class', classes, 'class');
    group('flows per verdict', verdicts, 'verdict');
    box.appendChild(svg);
  }

  function applyFilter() {
    const want = $('filter').value;
    const res = state.res;
    if (!res) return;
    if (want === 'all') {
      state.view = null;
    } else if (want === 'mismatch') {
      const idx = [];
      for (let i = 0; i < res.n; i++) if (mismatch(i)) idx.push(i);
      state.view = Int32Array.from(idx);
    } else {
      const v = VERDICTS.indexOf(want);
      const idx = [];
      for (let i = 0; i < res.n; i++) if (res.verdict[i] === v) idx.push(i);
      state.view = Int32Array.from(idx);
    }
    state.page = 0;
    renderPage();
  }

  function viewLength() { return state.view ? state.view.length : state.res.n; }
  function viewRow(k) { return state.view ? state.view[k] : k; }
  function pageSize() { return Number($('page-size').value); }

  function renderPage() {
    const { tab, res, meta } = state;
    const size = pageSize();
    const total = viewLength();
    const pages = Math.max(1, Math.ceil(total / size));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    const lo = state.page * size;
    const hi = Math.min(total, lo + size);
    const tb = $('results').tBodies[0];
    const frag = document.createDocumentFragment();
    for (let k = lo; k < hi; k++) {
      const i = viewRow(k);
      const tr = document.createElement('tr');
      tr.dataset.verdict = VERDICTS[res.verdict[i]];
      tr.dataset.row = String(i);
      tr.tabIndex = 0;
      if (mismatch(i)) tr.classList.add('mismatch');
      if (i === state.selected) tr.classList.add('selected');
      const cells = [String(i + 1), res.cls[i] >= 0 ? meta.classes[res.cls[i]] : '?', fmt(res.prob[i]), fmt(res.score[i]), VERDICTS[res.verdict[i]]];
      if (tab.hasLabels) cells.push(tab.labels[i]);
      cells.forEach((c, j) => {
        const td = document.createElement('td');
        td.textContent = c;
        if (j === 0 || j === 2 || j === 3) td.className = 'num';
        if (j === 5) td.className = 'truth';
        tr.appendChild(td);
      });
      if (tab.flows) window.flowsensePcap.flowCell(tr, tab.flows[i]); // pcap
      frag.appendChild(tr);
    }
    tb.textContent = '';
    tb.appendChild(frag);
    $('page-info').textContent = total === 0 ? 'no flows' : 'flows ' + (lo + 1) + '–' + hi + ' of ' + total + ' (page ' + (state.page + 1) + ' of ' + pages + ')';
    $('prev').disabled = state.page === 0;
    $('next').disabled = state.page >= pages - 1;
  }

  // mismatch: row i's prediction differs from the file's label.
  function mismatch(i) {
    const { tab, res, meta } = state;
    return tab.hasLabels && meta.classes[res.cls[i]] !== tab.labels[i];
  }

  // renderConfusion fills the confusion matrix when the file has labels:
  // a row per true label (the model's classes first, then labels it does
  // not know), a column per predicted class.
  function renderConfusion() {
    const { tab, res, meta } = state;
    const box = $('confusion-box');
    box.hidden = !tab.hasLabels;
    const table = $('confusion');
    table.textContent = '';
    if (!tab.hasLabels) return;
    const K = meta.classes.length;
    const rowOf = new Map(meta.classes.map((c, i) => [c, i]));
    const truths = meta.classes.slice();
    const extra = [];
    for (const l of tab.labels) if (!rowOf.has(l) && extra.indexOf(l) < 0) extra.push(l);
    extra.sort();
    for (const l of extra) { rowOf.set(l, truths.length); truths.push(l); }
    const counts = new Int32Array(truths.length * K);
    for (let i = 0; i < res.n; i++) if (res.cls[i] >= 0) counts[rowOf.get(tab.labels[i]) * K + res.cls[i]]++;
    const head = table.createTHead().insertRow();
    const corner = document.createElement('th');
    corner.textContent = 'true \\ predicted';
    head.appendChild(corner);
    for (const c of meta.classes) {
      const th = document.createElement('th');
      th.textContent = c;
      th.className = 'num';
      head.appendChild(th);
    }
    const tot = document.createElement('th');
    tot.textContent = 'flows';
    tot.className = 'num';
    head.appendChild(tot);
    const tb = table.createTBody();
    truths.forEach((t, r) => {
      let n = 0;
      for (let c = 0; c < K; c++) n += counts[r * K + c];
      if (n === 0) return;
      const tr = tb.insertRow();
      const th = document.createElement('th');
      th.textContent = t;
      tr.appendChild(th);
      for (let c = 0; c < K; c++) {
        const td = tr.insertCell();
        const v = counts[r * K + c];
        td.textContent = String(v);
        td.className = 'num' + (meta.classes[c] === t ? ' diag' : v > 0 ? ' off' : '');
        td.dataset.truth = t;
        td.dataset.predicted = meta.classes[c];
        td.dataset.count = String(v);
      }
      const td = tr.insertCell();
      td.textContent = String(n);
      td.className = 'num';
    });
  }

  // valueText is a row value as the explanation shows it: a category's
  // name, a number, "missing" for NaN.
  function valueText(f, v) {
    const feat = state.meta.schema.features[f];
    if (Number.isNaN(v)) return 'missing';
    if (feat.kind === 'categorical' && v >= 0 && feat.categories && v < feat.categories.length) return feat.categories[v];
    return fmt(v);
  }

  // drawContributions draws signed horizontal bars around a zero line:
  // items {label, value, attrs}, longest first. The label margin fits the
  // longest label.
  function drawContributions(id, title, items) {
    const rowH = 20, barW = 180, gap = 24;
    const probe = $('explain-box');
    const labelW = textWidth(items.map((it) => it.label), probe) + 12;
    const nums = items.map((it) => fmt(it.value));
    const width = labelW + barW + 8 + textWidth(nums, probe) + 8;
    const height = gap + rowH * Math.max(1, items.length) + 6;
    const svg = svgEl('svg', { id, width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title, class: 'contrib-chart' });
    svg.appendChild(svgEl('text', { x: 0, y: 16, class: 'chart-title' }, title));
    const most = Math.max(1e-300, ...items.map((it) => Math.abs(it.value)));
    const zero = labelW + barW / 2;
    svg.appendChild(svgEl('line', { x1: zero, x2: zero, y1: gap - 2, y2: height - 2, class: 'zero' }));
    let y = gap;
    items.forEach((it, k) => {
      svg.appendChild(svgEl('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end' }, it.label));
      const w = (barW / 2) * Math.abs(it.value) / most;
      const attrs = { x: it.value >= 0 ? zero : zero - w, y: y + 3, width: Math.max(w, 1), height: rowH - 6, class: 'bar ' + (it.value >= 0 ? 'pos' : 'neg') };
      Object.assign(attrs, it.attrs);
      svg.appendChild(svgEl('rect', attrs));
      svg.appendChild(svgEl('text', { x: labelW + barW + 8, y: y + 14, class: 'num' }, nums[k]));
      y += rowH;
    });
    if (items.length === 0) svg.appendChild(svgEl('text', { x: 0, y: y + 14 }, 'none'));
    return svg;
  }

  // showExplanation explains row i with the module's explain export, in
  // this browser whichever way the row was classified.
  async function showExplanation(i) {
    const box = $('explain-box');
    const token = state.run;
    state.selected = i;
    for (const tr of $('results').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.row === String(i));
    box.hidden = false;
    box.dataset.state = 'working';
    box.dataset.row = String(i);
    const { tab, res, meta } = state;
    $('explain-title').textContent = 'Row ' + (i + 1) + ': ' + meta.classes[res.cls[i]] + ' (' + fmt(res.prob[i]) + '), ' + VERDICTS[res.verdict[i]] +
      (tab.hasLabels ? '; the file says ' + tab.labels[i] : '');
    const charts = $('explain-charts');
    charts.textContent = '';
    $('explain-note').textContent = '';
    try {
      if (!state.model) state.model = await loadModule(meta);
      if (token !== state.run || state.selected !== i) return;
      if (!state.model.canExplain) {
        $('explain-note').textContent = NO_EXPLAIN;
        box.dataset.state = 'unavailable';
        return;
      }
      const top = Number($('explain-top').value);
      const row = tab.rows.subarray(i * tab.nf, (i + 1) * tab.nf);
      const x = summarise(meta, res.cls[i], row, state.model.explain(tab, i), top);
      const names = meta.schema.features.map((f) => f.name);
      box.dataset.margin = String(x.margin);
      box.dataset.bias = String(x.bias);
      $('explain-note').textContent = 'Raw score (margin) ' + fmt(x.margin) + ' = expected value ' + fmt(x.bias) + ' + the contributions of ' + x.nonzero +
        ' features (TreeSHAP; ' + (top > 0 && x.nonzero > top ? 'the largest ' + top + ' shown' : 'all shown') + '). A bar to the right pushes towards ' +
        meta.classes[res.cls[i]] + ', to the left away from it.' + (meta.outlier ? ' Outlier score ' + fmt(res.score[i]) + ' (threshold ' + fmt(meta.outlier.threshold) +
        '): each feature\'s share of it, with the benign mean.' : '');
      charts.appendChild(drawContributions('explain-chart', 'contributions to ' + meta.classes[res.cls[i]], x.features.map((c) => ({
        label: names[c.feature] + ' = ' + valueText(c.feature, c.value), value: c.contribution,
        attrs: { 'data-feature': names[c.feature], 'data-value': String(c.value), 'data-contribution': String(c.contribution) },
      }))));
      if (meta.outlier) {
        charts.appendChild(drawContributions('outlier-chart', 'shares of the outlier score', x.outlier.map((c) => ({
          label: names[c.feature] + ' = ' + valueText(c.feature, c.value) + ' (mean ' + fmt(c.mean) + ')', value: c.contribution,
          attrs: { 'data-feature': names[c.feature], 'data-value': String(c.value), 'data-contribution': String(c.contribution), 'data-mean': String(c.mean), 'data-z': String(c.z) },
        }))));
      }
      box.dataset.state = 'done';
    } catch (err) {
      $('explain-note').textContent = 'cannot explain row ' + (i + 1) + ': ' + err.message;
      box.dataset.state = 'error';
    }
  }

  // computeImportance explains every flow of the file, in slices, and
  // keeps per predicted class the mean absolute contribution of each
  // feature to that class's raw score: the mean of the bar charts of the
  // flows of the class, without the signs.
  async function computeImportance(token, alive) {
    const box = $('importance-box');
    const note = $('importance-note');
    const { tab, res, meta } = state;
    try {
      if (!state.model) state.model = await loadModule(meta);
      if (!alive()) return;
      if (!state.model.canExplain) {
        box.dataset.state = 'unavailable';
        note.textContent = NO_EXPLAIN;
        return;
      }
      const F = meta.schema.features.length;
      const K = meta.classes.length;
      const sums = new Float64Array(K * F);
      const counts = new Int32Array(K);
      const logistic = meta.objective === 'logistic';
      const start = performance.now();
      let t0 = start;
      for (let i = 0; i < res.n; i++) {
        const c = res.cls[i];
        if (c < 0) continue;
        const phi = state.model.explain(tab, i).phi;
        const off = (logistic ? 0 : c) * (F + 1);
        for (let f = 0; f < F; f++) sums[c * F + f] += Math.abs(phi[off + f]);
        counts[c]++;
        if (performance.now() - t0 > SLICE_MS) {
          note.textContent = 'explaining every flow… ' + Math.floor(100 * i / res.n) + '%';
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (!alive()) return;
          t0 = performance.now();
        }
      }
      state.importance = { sums, counts };
      box.dataset.ms = String(Math.round(performance.now() - start)); // the time explaining took, slices and repaints included
      const sel = $('importance-class');
      sel.textContent = '';
      let best = -1;
      meta.classes.forEach((c, k) => {
        if (counts[k] === 0) return;
        const o = document.createElement('option');
        o.value = String(k);
        o.textContent = c + ' (' + counts[k] + ' flows)';
        sel.appendChild(o);
        if (best < 0 || counts[k] > counts[best]) best = k;
      });
      if (best >= 0) sel.value = String(best);
      renderImportance();
      box.dataset.state = 'done';
    } catch (err) {
      if (!alive()) return;
      note.textContent = 'cannot explain the flows: ' + err.message;
      box.dataset.state = 'error';
    }
  }

  // renderImportance draws the chosen class's mean absolute contributions,
  // the largest 15.
  function renderImportance() {
    const imp = state.importance;
    if (!imp) return;
    const meta = state.meta;
    const F = meta.schema.features.length;
    const k = Number($('importance-class').value);
    const n = imp.counts[k];
    const items = [];
    for (let f = 0; f < F; f++) {
      const v = imp.sums[k * F + f] / n;
      if (v > 0) items.push({ f, v });
    }
    items.sort((p, q) => q.v - p.v);
    const shown = items.slice(0, 15);
    const box = $('importance-chart');
    box.textContent = '';
    box.appendChild(drawContributions('importance-svg', 'mean |contribution| to ' + meta.classes[k], shown.map((it) => ({
      label: meta.schema.features[it.f].name, value: it.v,
      attrs: { 'data-feature': meta.schema.features[it.f].name, 'data-mean': String(it.v) },
    }))));
    $('importance-note').textContent = 'Over the ' + n + ' flows of this file predicted ' + meta.classes[k] + ': each feature\'s mean absolute TreeSHAP contribution to that class\'s raw score' +
      (items.length > shown.length ? ' (the largest ' + shown.length + ' of ' + items.length + ')' : '') + '.';
  }

  // resultsCSV writes the rows in view as `flowsense predict` writes its
  // output, with the true label last when the file has one.
  function resultsCSV() {
    const { tab, res, meta } = state;
    const out = ['row,label,probability,outlier_score,verdict' + (tab.hasLabels ? ',true_label' : '') +
      (tab.flows ? ',' + window.flowsensePcap.CSV_HEADER : '')]; // pcap
    const total = viewLength();
    for (let k = 0; k < total; k++) {
      const i = viewRow(k);
      const f = [String(i + 1), csvField(res.cls[i] >= 0 ? meta.classes[res.cls[i]] : ''), String(res.prob[i]), String(res.score[i]), VERDICTS[res.verdict[i]]];
      if (tab.hasLabels) f.push(csvField(tab.labels[i]));
      if (tab.flows) f.push(window.flowsensePcap.csvFields(tab.flows[i])); // pcap
      out.push(f.join(','));
    }
    return out.join('\n') + '\n';
  }

  function download() {
    if (!state.res) return;
    const blob = new Blob([resultsCSV()], { type: 'text/csv' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = state.fileName.replace(/\.(csv|txt|gz)$/i, '').replace(/\.csv$/i, '') + '-results.csv';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  // offerSample shows the sample link when the function serves one
  // (GET /sample.csv; flowsense serve --sample FILE).
  async function offerSample() {
    try {
      // not in the page's own files: the function serves it, or not
      const resp = await fetch('sample.csv', { method: 'HEAD' });
      if (resp.ok) $('sample-link').href = 'sample.csv';
      $('sample-box').hidden = !resp.ok;
    } catch (_) {
      $('sample-box').hidden = true;
    }
  }

  // classifySample fetches the sample and classifies it as an upload.
  async function classifySample() {
    try {
      const resp = await fetch('sample.csv');
      if (!resp.ok) throw await httpError('sample.csv', resp);
      pick(new File([await resp.blob()], 'sample.csv', { type: 'text/csv' }));
    } catch (err) {
      showError('cannot load the sample: ' + err.message);
      setState('error');
    }
  }

  function pick(file) {
    if (!file) return;
    state.file = file;
    run(file);
  }

  async function init() {
    const drop = $('drop');
    $('file').addEventListener('change', (e) => {
      pick(e.target.files[0]);
      e.target.value = ''; // choosing the same file again reads it again
    });
    drop.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file').click(); }
    });
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      pick(e.dataTransfer.files[0]);
    });
    $('server-side').addEventListener('change', () => {
      $('privacy').textContent = $('server-side').checked
        ? 'The file is sent to this function\'s /predict endpoint and classified there.'
        : 'Classified in this browser with model.wasm: the file does not leave this machine.';
      if (state.file) run(state.file);
    });
    $('filter').addEventListener('change', applyFilter);
    $('page-size').addEventListener('change', () => { state.page = 0; if (state.res) renderPage(); });
    $('prev').addEventListener('click', () => { state.page--; renderPage(); });
    $('next').addEventListener('click', () => { state.page++; renderPage(); });
    $('download').addEventListener('click', download);
    const tbody = $('results').tBodies[0];
    const pickRow = (e) => {
      const tr = e.target.closest('tr');
      if (tr && tr.dataset.row !== undefined && state.res) showExplanation(Number(tr.dataset.row));
    };
    tbody.addEventListener('click', pickRow);
    tbody.addEventListener('keydown', (e) => { if (e.key === 'Enter') pickRow(e); });
    $('explain-top').addEventListener('change', () => { if (state.selected >= 0) showExplanation(state.selected); });
    $('explain-close').addEventListener('click', () => {
      $('explain-box').hidden = true;
      state.selected = -1;
      for (const tr of tbody.rows) tr.classList.remove('selected');
    });
    $('importance-class').addEventListener('change', renderImportance);
    $('sample').addEventListener('click', classifySample);
    try {
      state.meta = await fetchJSON('model');
      describeModel(state.meta);
      await offerSample();
      setState('ready');
    } catch (err) {
      showError('cannot load the model: ' + err.message);
      setState('error');
    }
  }

  // For tests and the console: the reader the page uses.
  window.flowsense = {
    parseNumber,
    // encode parses text against schema and returns {rows, labels} with
    // rows as arrays of numbers (NaN for missing), or {error}.
    encode: async (text, schema, file) => {
      try {
        const tab = await parseTable(text, schema, file || 'upload');
        const rows = [];
        for (let i = 0; i < tab.n; i++) rows.push(Array.from(tab.rows.subarray(i * tab.nf, (i + 1) * tab.nf)));
        return { rows, labels: tab.labels };
      } catch (err) {
        return { error: err.message };
      }
    },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
