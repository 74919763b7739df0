#!/usr/bin/env node
// Runs the compiled CLI (dist/). `npm run build` compiles it; `npm test` and `npm run demo` build first.
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('insider: not built yet; run `npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(1);
}
require(entry).main();
