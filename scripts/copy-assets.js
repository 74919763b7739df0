// Copies non-TypeScript files that the compiled code reads at run time (SQL migrations) into dist/.
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const assets = [['src/store/migrations', 'dist/store/migrations']];
for (const [from, to] of assets) {
  fs.rmSync(path.join(root, to), { recursive: true, force: true });
  fs.cpSync(path.join(root, from), path.join(root, to), { recursive: true });
}
