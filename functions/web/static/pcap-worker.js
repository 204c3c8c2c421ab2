// flowsense page: the worker that turns a packet capture into flows with
// extract.wasm (functions/web/pcapwasm: package extract compiled with
// GOOS=js GOARCH=wasm, run by Go's own wasm_exec.js). The capture is read
// here with FileReaderSync in 1 MiB pieces as the extractor asks for them;
// nothing of it is sent anywhere. The only request is GET extract.wasm.
//
// Message in: {id, file}. Messages out: {id, progress} (the fraction of
// the file read), then {id, csv, flows, stats} or {id, error}.
'use strict';

importScripts('wasm_exec.js');

let ready = null;
let go = null;

// load fetches and starts the extractor once (again if the program has
// exited, as after running out of memory); its main registers
// flowsenseExtract and then waits for calls.
function load() {
  if (!ready || (go && go.exited)) {
    ready = (async () => {
      const resp = await fetch('extract.wasm');
      if (!resp.ok) throw new Error('extract.wasm: HTTP ' + resp.status);
      go = new Go();
      const { instance } = await WebAssembly.instantiateStreaming(resp, go.importObject);
      go.run(instance); // settles only if the program exits, which it does not
      if (typeof self.flowsenseExtract !== 'function') throw new Error('extract.wasm did not start');
    })();
    ready.catch(() => { ready = null; }); // a failed load is tried again next time
  }
  return ready;
}

self.onmessage = async (e) => {
  const { id, file } = e.data;
  try {
    await load();
    const reader = new FileReaderSync();
    let told = 0;
    const read = (off, n) => {
      const b = new Uint8Array(reader.readAsArrayBuffer(file.slice(off, off + n)));
      const done = (off + b.length) / Math.max(1, file.size);
      if (done - told >= 0.02 || done === 1) {
        told = done;
        self.postMessage({ id, progress: done });
      }
      return b;
    };
    const r = self.flowsenseExtract(file.name, file.size, read);
    if (r.error) throw new Error(r.error);
    self.postMessage({ id, csv: r.csv, flows: JSON.parse(r.flows), stats: JSON.parse(r.stats) });
  } catch (err) {
    self.postMessage({ id, error: err && err.message ? err.message : String(err) });
  }
};
