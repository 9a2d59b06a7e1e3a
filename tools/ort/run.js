// run.js runs an ONNX model with ONNX Runtime's CPU execution provider, for
// convnet's export tests.
//
//   node run.js MODEL.onnx INPUT.bin D0,D1,... OUTPUT.bin
//
// INPUT.bin holds the model's single input as raw little-endian float32 in
// row-major order, with the dimensions D0,D1,...; OUTPUT.bin receives the
// first output the same way. One line of JSON on stdout gives the output's
// name and dimensions and the ONNX Runtime version. Any failure exits with
// status 1 and the reason on stderr.
'use strict';

const fs = require('fs');
const path = require('path');

function loadRuntime() {
  try {
    return require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    throw new Error('onnxruntime-node is not installed in ' + __dirname +
      ' (run: cd tools/ort && npm ci --ignore-scripts): ' + e.message);
  }
}

async function main(argv) {
  if (argv.length !== 4) {
    throw new Error('usage: node run.js MODEL.onnx INPUT.bin D0,D1,... OUTPUT.bin');
  }
  const [modelPath, inputPath, dimList, outputPath] = argv;
  const dims = dimList.split(',').map((d) => {
    const n = Number(d);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error('bad dimension "' + d + '" in ' + dimList);
    }
    return n;
  });
  const want = dims.reduce((a, b) => a * b, 1);
  const bytes = fs.readFileSync(inputPath);
  if (bytes.length !== 4 * want) {
    throw new Error(inputPath + ' holds ' + bytes.length + ' bytes; dimensions ' + dimList + ' need ' + 4 * want);
  }
  // Copy into an aligned buffer: a Float32Array view needs a multiple-of-4 offset.
  const data = new Float32Array(want);
  new Uint8Array(data.buffer).set(bytes);

  const ort = loadRuntime();
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', data, dims);
  const results = await session.run(feeds);
  const name = session.outputNames[0];
  const out = results[name];
  if (out.type !== 'float32') {
    throw new Error('output ' + name + ' has type ' + out.type + ', want float32');
  }
  fs.writeFileSync(outputPath, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
  const version = ort.env && ort.env.versions ? ort.env.versions.common : null;
  process.stdout.write(JSON.stringify({ output: name, dims: out.dims, ort: version }) + '\n');
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write('run.js: ' + (e && e.message ? e.message : String(e)) + '\n');
  process.exit(1);
});
