// What the detector is built from besides the configuration: the current directory (ClickHouse), the
// table catalog and the allowlist (files), and the analysts' suppressions and expectation adjustments,
// which triage turns into the detector's own allowlist entries and adjustments.
import type { DetectionConfig } from '../config';
import { adjustmentsFrom, allowlistFrom, loadAllowlist, loadCatalog, peopleFrom, type Adjustments, type Allowlist, type EngineInputs } from '../detect';
import { currentDirectory } from '../directory';
import type { ClickHouse } from '../store';
import { asDetectorAdjustments, listAdjustments } from './adjustments';
import { asAllowlistEntries, listSuppressions } from './suppressions';

export async function loadEngineInputs(ch: ClickHouse, detection: DetectionConfig, opts: { alertIdKey?: string } = {}): Promise<EngineInputs> {
  const directory = await currentDirectory(ch);
  return {
    alertIdKey: opts.alertIdKey,
    people: peopleFrom(directory.entries),
    catalog: loadCatalog(detection.catalogFile),
    allowlist: await loadExemptions(ch, detection),
    adjustments: await loadAdjustments(ch),
    directoryVersion: directory.version?.version ?? null,
  };
}

/** What the detector keeps out of the volumes it judges: the allowlist file and the analysts' suppressions. */
export async function loadExemptions(ch: ClickHouse, detection: DetectionConfig): Promise<Allowlist> {
  const file = loadAllowlist(detection.allowlistFile);
  const suppressions = asAllowlistEntries(await listSuppressions(ch));
  return allowlistFrom([...file.entries, ...suppressions]);
}

/** The expectation adjustments the detector honours: every one not revoked, over its days in event time. */
export async function loadAdjustments(ch: ClickHouse): Promise<Adjustments> {
  return adjustmentsFrom(asDetectorAdjustments(await listAdjustments(ch)));
}
