// One score (0-100) and one severity per employee and window, from all the detectors that fired.
// Volume findings score by how many times the usual they are (10x: 30, 100x: 60); policy findings have
// fixed weights. The best finding counts fully, each other one half: several independent reasons make an
// alert more certain. Half of the day's volume from sensitive tables adds 10.
import type { DetectorName } from '../config/detection-schema';
import type { Severity } from '../alerts/types';
import type { Finding } from './detectors';

const POLICY_POINTS: Partial<Record<DetectorName, number>> = { ceiling: 40, sensitive: 35, slowDrip: 30, departing: 30, offHours: 25 };
const SENSITIVE_SHARE_BONUS = 10;
/** Score thresholds of the severities above low. */
export const SEVERITY_SCORES: ReadonlyArray<[Severity, number]> = [
  ['critical', 80],
  ['high', 55],
  ['medium', 30],
];

export function points(f: Finding): number {
  const volume = f.multiple !== null && f.multiple > 1 ? Math.min(60, 30 * Math.log10(f.multiple)) : 0;
  return Math.max(volume, POLICY_POINTS[f.detector] ?? 0);
}

export function scoreOf(findings: ReadonlyArray<Finding>, sensitiveShare: number): number {
  if (findings.length === 0) return 0;
  const p = findings.map(points).sort((a, b) => b - a);
  const total = p[0] + p.slice(1).reduce((s, x) => s + x / 2, 0) + (sensitiveShare >= 0.5 ? SENSITIVE_SHARE_BONUS : 0);
  return Math.max(1, Math.min(100, Math.round(total)));
}

export function severityOf(score: number): Severity {
  return SEVERITY_SCORES.find(([, min]) => score >= min)?.[0] ?? 'low';
}
