// What each detector saw. Figures are bytes, except for detectors that count (tables first accessed,
// days): those have no byte reference and stay small, so they are shown as plain numbers.
import { formatBytes, formatCount, formatMultiple } from '../format';
import type { Finding } from '../types';

const figure = (f: Finding, n: number) => (f.reference === null && f.observed < 1000 && f.threshold < 1000 ? formatCount(n) : formatBytes(n));

export function Findings({ findings }: { findings: Finding[] }) {
  if (!findings.length) return null;
  return (
    <section aria-labelledby="findings-h">
      <h2 id="findings-h">Findings</h2>
      <table class="grid compact">
        <thead>
          <tr>
            <th scope="col">Detector</th>
            <th scope="col">Finding</th>
            <th scope="col" class="num">Observed</th>
            <th scope="col" class="num">Threshold</th>
            <th scope="col" class="num">Multiple</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f, i) => (
            <tr key={`${f.detector}-${i}`}>
              <th scope="row">
                <span class="chip">{f.detector}</span>
              </th>
              <td class="clause">{f.clause}</td>
              <td class="num">{figure(f, f.observed)}</td>
              <td class="num">{figure(f, f.threshold)}</td>
              <td class="num">{formatMultiple(f.multiple)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
