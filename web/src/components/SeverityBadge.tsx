// Severity as colour and word together: the word carries the meaning for anyone who cannot tell the
// colours apart, the colour lets the eye find the critical rows in a long queue.
import type { Severity } from '../types';
import { humanize } from '../format';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span class={`sev sev-${severity}`} data-severity={severity}>
      {humanize(severity)}
    </span>
  );
}
