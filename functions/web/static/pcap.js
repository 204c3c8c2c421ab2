// flowsense page: packet captures. A pcap or pcapng file (gzip-compressed
// or not, told by its first bytes, not its name) is turned into flows in
// this browser by the extractor compiled to WebAssembly (pcap-worker.js,
// extract.wasm), which gives the CSV `flowsense extract` writes for it;
// app.js then reads and classifies that CSV like any upload. The capture
// never leaves the machine: the worker reads the File itself.
//
// app.js calls these, each at a line marked "pcap":
//   flowsensePcap.extract(file, onProgress) -> null for a file that is not
//     a capture, else {csv, flows, stats} (flows: one key per CSV row, the
//     shape POST /predict answers for a capture); a capture of more than
//     100,000 flows (pcapwasm.MaxFlows) is refused with an error;
//   flowsensePcap.flowHeader(table, on) shows or removes the flow column;
//   flowsensePcap.flowCell(tr, flow) appends one row's flow cell;
//   flowsensePcap.CSV_HEADER and csvFields(flow): the flow's key in the
//     downloaded results (the identifier columns of `flowsense extract`).
'use strict';

(function () {
  const MAGICS = [
    [0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1], // pcap, µs
    [0xa1, 0xb2, 0x3c, 0x4d], [0x4d, 0x3c, 0xb2, 0xa1], // pcap, ns
    [0x0a, 0x0d, 0x0d, 0x0a], // pcapng section header
  ];
  const PROTOCOLS = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 58: 'ICMPv6', 132: 'SCTP' };

  function isMagic(b) {
    return b.length >= 4 && MAGICS.some((m) => m.every((v, i) => b[i] === v));
  }

  // head returns the first n bytes of the file, decompressed when it is
  // gzip (as the extractor and POST /predict sniff it).
  async function head(file, n) {
    const b = new Uint8Array(await file.slice(0, Math.max(n, 2)).arrayBuffer());
    if (!(b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b)) return b;
    if (typeof DecompressionStream === 'undefined') return new Uint8Array(0);
    const rd = file.stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    const out = new Uint8Array(n);
    let got = 0;
    try {
      while (got < n) {
        const { value, done } = await rd.read();
        if (done) break;
        const k = Math.min(n - got, value.length);
        out.set(value.subarray(0, k), got);
        got += k;
      }
    } catch (_) {
      // a broken gzip stream: not a capture here; the CSV reader says why
    } finally {
      rd.cancel().catch(() => {});
    }
    return out.subarray(0, got);
  }

  async function isCapture(file) {
    return isMagic(await head(file, 4));
  }

  let worker = null;
  let seq = 0;
  const calls = new Map(); // id -> {resolve, reject, onProgress}

  function getWorker() {
    if (worker) return worker;
    worker = new Worker('static/pcap-worker.js');
    worker.onmessage = (e) => {
      const m = e.data;
      const c = calls.get(m.id);
      if (!c) return;
      if (m.progress !== undefined) {
        if (c.onProgress) c.onProgress(m.progress);
        return;
      }
      calls.delete(m.id);
      if (m.error) c.reject(new Error(m.error));
      else c.resolve({ csv: m.csv, flows: m.flows, stats: m.stats });
    };
    worker.onerror = (e) => {
      e.preventDefault();
      for (const c of calls.values()) c.reject(new Error('the extractor failed: ' + (e.message || 'worker error')));
      calls.clear();
      worker.terminate();
      worker = null;
    };
    return worker;
  }

  // extract turns a capture into the CSV of its flows, or returns null
  // for a file that is not one.
  async function extract(file, onProgress) {
    if (!(await isCapture(file))) return null;
    const id = ++seq;
    const res = await new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject, onProgress });
      getWorker().postMessage({ id, file });
    });
    return { csv: pageCSV(res.csv), flows: res.flows, stats: res.stats };
  }

  // pageCSV renames the extractor's Label column (CICFlowMeter's
  // placeholder "NeedManualLabel", not a truth) so that the page does not
  // show it as the true label; the rows are left as they are.
  function pageCSV(csv) {
    const nl = csv.indexOf('\n');
    const first = csv.slice(0, nl);
    const suffix = ',Label,Attempted Category';
    if (!first.endsWith(suffix)) return csv;
    return first.slice(0, -suffix.length) + ',Extractor Label,Attempted Category' + csv.slice(nl);
  }

  function endpoint(addr, port) {
    return (addr.indexOf(':') >= 0 ? '[' + addr + ']' : addr) + ':' + port;
  }

  // flowText is how a row names its flow: source → destination, protocol.
  function flowText(f) {
    return endpoint(f.src, f.src_port) + ' → ' + endpoint(f.dst, f.dst_port) + ' ' + (PROTOCOLS[f.protocol] || 'proto ' + f.protocol);
  }

  function flowHeader(table, on) {
    const tr = table.tHead.rows[0];
    let th = tr.querySelector('th.flow');
    if (on && !th) {
      th = document.createElement('th');
      th.className = 'flow';
      th.textContent = 'flow';
      tr.appendChild(th);
    } else if (!on && th) {
      th.remove();
    }
  }

  function flowCell(tr, f) {
    const td = document.createElement('td');
    td.className = 'flow';
    td.textContent = flowText(f);
    td.title = f.id + ', from ' + f.start + ', ' + f.fwd_packets + ' packets forward and ' + f.bwd_packets + ' back, ended by ' + f.end;
    td.dataset.id = f.id;
    tr.appendChild(td);
  }

  // The download's key columns, named as `flowsense extract` names them;
  // Timestamp is the flow's start in RFC 3339 (UTC, microseconds). No
  // field holds a comma or a quote (addresses, numbers, the Flow ID).
  const CSV_HEADER = 'Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp';

  function csvFields(f) {
    return [f.id, f.src, f.src_port, f.dst, f.dst_port, f.protocol, f.start].join(',');
  }

  const api = { extract, isCapture, flowHeader, flowCell, flowText, CSV_HEADER, csvFields };
  window.flowsensePcap = api;
})();
