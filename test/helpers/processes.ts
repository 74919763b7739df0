// The processes running now whose command line mentions a fragment (a state dir, a config file): how
// the service tests see that `down` left nothing behind.
import fs from 'node:fs';

export function processesMentioning(fragment: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(fragment);
      } catch {
        return false;
      }
    })
    .map(Number);
}
