// The detector settings that apply to one person: the defaults of `detection.detectors`, changed by
// every override whose selectors all match (in the order written, later ones win).
import type { DetectionConfig, DetectionOverride, DetectorName, DetectorSettings } from '../config';
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
