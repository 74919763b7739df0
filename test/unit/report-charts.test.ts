import { bandRows, escapeXml, niceMax, stackedBars } from '../../src/report/charts';

/** Crude well-formedness: every opened element is closed in order. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) return false;
    } else stack.push(m[2]);
  }
  return stack.length === 0;
}

const fmt = (v: number) => `${v}`;

describe('SVG charts', () => {
  it('escapes text', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const svg = stackedBars({ title: 'T <script>', categories: ['2026-11-16'], series: [{ name: 'R&D <b>', values: [5] }], format: fmt });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('R&amp;D &lt;b&gt;');
    expect(balanced(svg)).toBe(true);
  });

  it('nice axis maxima', () => {
    expect([niceMax(0), niceMax(0.7), niceMax(1), niceMax(3), niceMax(7.2), niceMax(12), niceMax(240), niceMax(260)]).toEqual([1, 1, 1, 5, 10, 20, 250, 500]);
  });

  it('stacks bars in proportion to their values', () => {
    const svg = stackedBars({ title: 'x', categories: ['a', 'b'], series: [{ name: 's1', values: [10, 0] }, { name: 's2', values: [30, 20] }], format: fmt, height: 300 });
    const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="[^"]+"><title>/g)].map((m) => Number(m[1]));
    // a: 10 and 30; b: 20 (a zero value draws nothing); axis max 50.
    expect(heights).toHaveLength(3);
    expect(heights[1] / heights[0]).toBeCloseTo(3, 1);
    expect(heights[2] / heights[0]).toBeCloseTo(2, 1);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(balanced(svg)).toBe(true);
  });

  it('counts get whole-number ticks', () => {
    const svg = stackedBars({ title: 'x', categories: ['a'], series: [{ name: 's', values: [1] }], format: fmt, integer: true });
    const ticks = [...svg.matchAll(/class="tick">([^<]+)</g)].map((m) => m[1]).filter((t) => t !== 'a');
    expect(ticks).toEqual(['0', '1', '2', '3', '4']);
  });

  it('draws empty and all-zero data without NaN', () => {
    for (const svg of [
      stackedBars({ title: 'x', categories: [], series: [], format: fmt }),
      stackedBars({ title: 'x', categories: ['a'], series: [{ name: 's', values: [0] }], format: fmt }),
      bandRows({ title: 'x', rows: [], format: fmt }),
      bandRows({ title: 'x', rows: [{ label: 'u', band: null, values: [0, 0] }], format: fmt }),
    ]) {
      expect(svg).not.toMatch(/NaN|Infinity/);
      expect(balanced(svg)).toBe(true);
    }
  });

  it('band rows: a band per user with a baseline, days above it in red', () => {
    const svg = bandRows({
      title: 'top',
      rows: [
        { label: 'emp-1', band: { low: 1e6, mid: 5e6, high: 1e7 }, values: [2e6, 5e8, 0] },
        { label: 'emp-2 <x>', band: null, values: [3e6] },
      ],
      format: fmt,
    });
    expect(svg.match(/fill="#c6dbef"><title>/g)).toHaveLength(1);
    expect(svg.match(/<circle [^>]*fill="#d62728"[^>]*><title>/g)).toHaveLength(1);
    expect(svg.match(/<circle [^>]*fill="#333"[^>]*><title>/g)).toHaveLength(2);
    expect(svg).toContain('emp-2 &lt;x&gt;');
    expect(balanced(svg)).toBe(true);
  });
});
