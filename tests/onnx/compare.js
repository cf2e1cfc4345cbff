// tests/onnx/compare.js -- runs every model onnx_cases exported in ONNX Runtime (the npm package
// onnxruntime-node, CPU) and compares its outputs with xrnn's.
// usage: node compare.js NODE_MODULES_PARENT CASES_DIR
// Prints the largest difference per case and per group (rnn, gru, lstm, lstm_peephole, charlm,
// seq); exits 1 when an output differs by more than TOL * (1 + |xrnn|) anywhere, when an output
// is missing or mis-shaped, or when the char-LM cross-entropy recomputed from ONNX Runtime's
// probabilities differs from xrnn's loss by more than TOL.
'use strict';
const fs = require('fs');
const path = require('path');

const TOL = 1e-4;
const [prefix, dir] = process.argv.slice(2);
const ort = require(path.join(prefix, 'node_modules', 'onnxruntime-node'));

const arrays = {
  float32: Float32Array,
  int64: BigInt64Array,
  int32: Int32Array,
};

function load(file, dtype, count) {
  const buf = fs.readFileSync(path.join(dir, file));
  const Arr = arrays[dtype];
  const copy = new Uint8Array(buf); // aligned: a Buffer may sit at any offset of its pool
  const a = new Arr(copy.buffer, 0, copy.byteLength / Arr.BYTES_PER_ELEMENT);
  if (a.length !== count) throw new Error(`${file}: ${a.length} values, expected ${count}`);
  return a;
}

const numel = (shape) => shape.reduce((a, b) => a * b, 1);

async function main() {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
  const groups = {};
  let failed = 0;
  for (const c of manifest.cases) {
    let got;
    try {
      const session = await ort.InferenceSession.create(path.join(dir, c.model), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      const feeds = {};
      for (const i of c.inputs) feeds[i.name] = new ort.Tensor(i.dtype, load(i.file, i.dtype, numel(i.shape)), i.shape);
      got = await session.run(feeds);
    } catch (e) {
      failed += 1;
      console.log(`FAIL ${c.name}: ONNX Runtime: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
      continue;
    }
    let worstAbs = 0, worstRel = 0, worstName = '';
    const problems = [];
    for (const o of c.outputs) {
      const t = got[o.name];
      if (!t) { problems.push(`no output '${o.name}'`); continue; }
      if (JSON.stringify(Array.from(t.dims)) !== JSON.stringify(o.shape)) {
        problems.push(`output '${o.name}' has shape [${t.dims}], xrnn's is [${o.shape}]`);
        continue;
      }
      const want = load(o.file, 'float32', numel(o.shape));
      for (let k = 0; k < want.length; ++k) {
        const d = Math.abs(t.data[k] - want[k]);
        const r = d / (1 + Math.abs(want[k]));
        if (!(r <= worstRel)) { worstRel = Number.isNaN(r) ? Infinity : r; worstName = o.name; }
        if (!(d <= worstAbs)) worstAbs = Number.isNaN(d) ? Infinity : d;
      }
    }
    let xentNote = '';
    if (c.xent) { // mean -log p(target) over every (t, b), as CharModel::forward's loss
      const p = got[c.xent.probabilities];
      const [T, B, V] = p.dims;
      const y = load(c.xent.targets, 'int32', T * B);
      let sum = 0;
      for (let i = 0; i < T * B; ++i) sum -= Math.log(p.data[i * V + y[i]]);
      const d = Math.abs(sum / (T * B) - c.xent.expected);
      xentNote = ` | cross-entropy ${(sum / (T * B)).toFixed(6)} vs xrnn ${c.xent.expected.toFixed(6)} (diff ${d.toExponential(2)})`;
      if (!(d <= TOL)) problems.push(`cross-entropy differs by ${d}`);
    }
    if (worstRel > TOL) problems.push(`'${worstName}' differs by ${worstRel.toExponential(2)} relative to 1 + |xrnn|`);
    const g = (groups[c.group] = groups[c.group] || { n: 0, abs: 0, rel: 0 });
    g.n += 1;
    g.abs = Math.max(g.abs, worstAbs);
    g.rel = Math.max(g.rel, worstRel);
    const ok = problems.length === 0;
    if (!ok) failed += 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.name}: max |ort - xrnn| ${worstAbs.toExponential(2)}, ` +
      `max |ort - xrnn| / (1 + |xrnn|) ${worstRel.toExponential(2)}${xentNote}${ok ? '' : ' -- ' + problems.join('; ')}`);
  }
  console.log('largest difference per group (ONNX Runtime ' + (ort.env.versions ? ort.env.versions.common : '') + '):');
  for (const [name, g] of Object.entries(groups))
    console.log(`  ${name}: ${g.n} models, max abs ${g.abs.toExponential(2)}, max rel ${g.rel.toExponential(2)}`);
  console.log(`onnxruntime: ${manifest.cases.length - failed} of ${manifest.cases.length} models match xrnn within ${TOL}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log('FAIL: ' + (e && e.stack ? e.stack : e)); process.exit(1); });
