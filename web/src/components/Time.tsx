// A point in time in UTC, with the relative age next to it or in the tooltip.
import { formatAge, formatUtc } from '../format';

interface Props {
  at: string | null | undefined;
  /** Show "12 min ago" beside the time (else only as a tooltip). */
  age?: boolean;
  now?: number;
}

export function Time({ at, age = false, now }: Props) {
  if (!at) return <span class="muted">–</span>;
  const rel = formatAge(at, now);
  return (
    <span class="time">
      <time dateTime={at} title={age ? undefined : rel}>
        {formatUtc(at)}
      </time>
      {age && <span class="age"> · {rel}</span>}
    </span>
  );
}
