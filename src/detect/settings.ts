// The detector settings that apply to one person: the defaults of `detection.detectors`, changed by
// every override whose selectors all match (in the order written, later ones win).
import type { DetectionConfig, DetectionOverride, DetectorName, DetectorSettings } from '../config/detection-schema';
import type { Person } from './people';

function matches(o: DetectionOverride, p: Person): boolean {
  return (
    (o.department === undefined || o.department === p.department) &&
    (o.role === undefined || o.role === p.role) &&
    (o.accountType === undefined || o.accountType === p.accountType) &&
    (o.user === undefined || o.user === p.id)
  );
}

export function settingsFor(detection: Pick<DetectionConfig, 'detectors' | 'overrides'>, person: Person): DetectorSettings {
  let out = detection.detectors;
  for (const o of detection.overrides) {
    if (!matches(o, person)) continue;
    const next = { ...out } as Record<DetectorName, unknown>;
    for (const [name, partial] of Object.entries(o.detectors) as Array<[DetectorName, object | undefined]>) {
      if (partial) next[name] = { ...out[name], ...partial };
    }
    out = next as DetectorSettings;
  }
  return out;
}

/** Calendar days of daily history the baselines of any person can need (slow drip reaches furthest back). */
export function historyDaysNeeded(detection: Pick<DetectionConfig, 'baselineDays' | 'detectors' | 'overrides'>): number {
  const windows = [detection.detectors.slowDrip.windowDays, ...detection.overrides.map((o) => o.detectors.slowDrip?.windowDays ?? 0)];
  // A window of N working days spans up to ~1.5 N calendar days, more with leave: 3 N is generous.
  return detection.baselineDays + 3 * Math.max(...windows);
}
