// Linear or log y axis. A spike of 400x flattens everything else to the baseline on a linear axis, so
// the chart starts on a log axis when the largest value dwarfs the usual one; the checkbox says which
// axis is shown and lets the analyst switch.
import { useState } from 'preact/hooks';

/** Above this multiple of the usual value, a linear axis shows nothing but the spike. */
const DWARF = 25;

export function dwarfs(values: Array<number | null>, usual: number | null | undefined): boolean {
  const pos = values.filter((v): v is number => v !== null && v > 0).sort((a, b) => a - b);
  const known = usual !== null && usual !== undefined && usual > 0;
  if (pos.length < (known ? 1 : 2)) return false;
  const ref = known ? usual : pos[Math.floor(pos.length / 2)]!;
  return pos[pos.length - 1]! / ref > DWARF;
}

export function useLogScale(auto: boolean): [boolean, (v: boolean) => void] {
  const [chosen, setChosen] = useState<boolean | null>(null);
  return [chosen ?? auto, setChosen];
}

export function LogToggle({ log, onChange }: { log: boolean; onChange: (v: boolean) => void }) {
  return (
    <label class="check log-toggle">
      <input type="checkbox" checked={log} onChange={(e) => onChange(e.currentTarget.checked)} /> Log scale
    </label>
  );
}
