#!/usr/bin/env node
// Helm v3 for validating deploy/helm in CI and development, built from the Go module proxy (no other
// download works on our machines) into <state dir>/tools/helm-<version>/ on first use, then run with the
// given arguments:   node scripts/helm.js lint deploy/helm/insider-detector --strict
// The state dir is INSIDER_STATE_DIR, else .local (as `insider services`). Needs Go (1.24 or later).
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const HELM_VERSION = 'v3.22.0';
const ROOT = path.join(__dirname, '..');

function helmBinary() {
  const stateDir = path.resolve(ROOT, process.env.INSIDER_STATE_DIR || '.local');
  return path.join(stateDir, 'tools', `helm-${HELM_VERSION}`, 'helm');
}

/** The path of the Helm binary, built first when missing. */
function ensureHelm(progress = (line) => process.stderr.write(`${line}\n`)) {
  const bin = helmBinary();
  if (fs.existsSync(bin)) return bin;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('Go is needed to build Helm from the Go module proxy (go install helm.sh/helm/v3/cmd/helm); install Go 1.24 or later');
  }
  const dir = path.dirname(bin);
  fs.mkdirSync(dir, { recursive: true });
  progress(`building Helm ${HELM_VERSION} from the Go module proxy into ${dir} (first run only; several minutes with a cold Go cache)`);
  const started = Date.now();
  const built = spawnSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`], {
    env: { ...process.env, GOBIN: dir, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0 || !fs.existsSync(bin)) throw new Error(`go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} failed (exit ${built.status})`);
  progress(`Helm ${HELM_VERSION} built in ${Math.round((Date.now() - started) / 1000)} s: ${bin}`);
  return bin;
}

module.exports = { ensureHelm, HELM_VERSION };

if (require.main === module) {
  let bin;
  try {
    bin = ensureHelm();
  } catch (err) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(1);
  }
  const run = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
