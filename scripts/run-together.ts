// Runs npm scripts at once, each line of their output marked with the script's name; exits 1 when any
// failed, after all ended. `npm test` runs the dashboard tests beside the compatibility replay this way:
// one drives Chromium against the shared services, the other replays on chdb (its own port and data),
// and neither waits for the other's resources.
//
//   tsx scripts/run-together.ts SCRIPT [SCRIPT...]
import { runLabelled } from './run-labelled';

async function main(names: string[]): Promise<number> {
  if (names.length === 0) {
    process.stdout.write('usage: tsx scripts/run-together.ts SCRIPT [SCRIPT...] (npm script names, run at once)\n');
    return 2;
  }
  const began = Date.now();
  const codes = await Promise.all(
    names.map(async (name) => {
      const code = await runLabelled(name, 'npm', ['run', name]);
      process.stdout.write(`${name}: exited ${code} after ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
      return code;
    }),
  );
  return codes.some((c) => c !== 0) ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
