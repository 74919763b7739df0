// The deploy tests need Helm: built from the Go module proxy on first use (scripts/helm.js).
export default async function helmSetup(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureHelm } = require('../../scripts/helm.js') as { ensureHelm: (progress?: (line: string) => void) => string };
  ensureHelm((line) => process.stderr.write(`[helm] ${line}\n`));
}
