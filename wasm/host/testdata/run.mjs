// run.mjs: runs a flowsense model module under Node.js's WebAssembly, the
// way a browser or another host would, using only the ABI (ABI.md).
//
//   node run.mjs model.wasm rows.f32
//
// rows.f32 holds little-endian float32 rows in schema order. Prints a JSON
// array with, per row, the class, verdict, outlier score (as a string, so
// NaN and Infinity survive JSON) and class probabilities.
import { readFileSync } from 'node:fs';

const [wasmPath, rowsPath] = process.argv.slice(2);
const module = await WebAssembly.compile(readFileSync(wasmPath));
if (WebAssembly.Module.imports(module).length !== 0) {
  throw new Error('module has imports');
}
const instance = await WebAssembly.instantiate(module, {});
const e = instance.exports;
if (e.abi_version.value !== 1) throw new Error(`ABI ${e.abi_version.value}`);
const nf = e.n_features.value;
const nc = e.n_classes.value;
const maxBatch = e.max_batch.value;
const input = e.input.value;
const output = e.output.value;
const stride = e.output_stride.value;
const raw = readFileSync(rowsPath);
const rows = new Float32Array(new Uint8Array(raw).buffer);
const n = rows.length / nf;
const results = [];
for (let start = 0; start < n; start += maxBatch) {
  const m = Math.min(maxBatch, n - start);
  new Float32Array(e.memory.buffer, input, m * nf).set(rows.subarray(start * nf, (start + m) * nf));
  if (e.predict(m) !== m) throw new Error(`predict refused a batch of ${m}`);
  const dv = new DataView(e.memory.buffer);
  for (let r = 0; r < m; r++) {
    const o = output + r * stride;
    const probs = [];
    for (let j = 0; j < nc; j++) probs.push(dv.getFloat64(o + 16 + 8 * j, true));
    results.push({
      class: dv.getInt32(o, true),
      verdict: dv.getInt32(o + 4, true),
      score: String(dv.getFloat64(o + 8, true)),
      probs,
    });
  }
}
process.stdout.write(JSON.stringify(results));
