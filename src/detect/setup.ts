// Builds an engine from what the configuration names: the current directory (ClickHouse), the table
// catalog and the allowlist (files), the analysts' suppressions and the daily history (ClickHouse).
import type { DetectionConfig } from '../config';
import { currentDirectory } from '../directory';
import type { ClickHouse } from '../store';
import { listSuppressions, asAllowlistEntries, asDetectorAdjustments, listAdjustments } from '../triage';
import { adjustmentsFrom, type Adjustments } from './adjustments';
import { allowlistFrom, loadAllowlist, type Allowlist } from './allowlist';
import { loadCatalog, type Catalog } from './catalog';
import { createEngine, type Engine } from './engine';
import { loadDayHistory } from './history';
import { clickhouseHistorySource } from './history-source';
import { peopleFrom, type Person } from './people';

export interface EngineInputs {
  people: Map<string, Person>;
  catalog: Catalog;
  allowlist: Allowlist;
  /** The analysts' expectation adjustments (not revoked). */
  adjustments: Adjustments;
  /** Directory version used (null: no directory loaded, everyone is judged by their own history). */
  directoryVersion: number | null;
  /** The key of alert ids (api.pseudonymKey), when configured. */
  alertIdKey?: string;
}

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

export function engineFor(ch: ClickHouse, detection: DetectionConfig, inputs: EngineInputs, now?: () => number): Engine {
  const source = clickhouseHistorySource(ch);
  return createEngine({ detection, ...inputs, now, history: (day) => loadDayHistory(source, day, detection, inputs.people, inputs.catalog) });
}
