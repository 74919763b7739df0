// A replay of stored history under several candidate alert floors at once: the stored events of the
// period read from ClickHouse hour by hour in event order (as `detect --once` reads them) and fed to one
// engine per candidate, all sharing each day's history (the expensive part; candidates differ only in
// scoring). Each candidate is the same engine the live detector runs, so its alerts are exactly the
// ones it would have raised under that floor.
import type { AlertRecord } from '../alerts';
import { MS_PER_HOUR } from '../calendar';
import type { DetectionConfig } from '../config';
import { storedEvents, createEngine, createHistoryCarry, loadDayHistory, sharedHistory, clickhouseHistorySource, type EngineInputs } from '../detect';
import type { ClickHouse } from '../store';

export interface ReplayProgress {
  hour: number;
  hours: number;
  events: number;
}

/** Per candidate floor (per 1,000 user-days): the latest revision of every alert it raised. */
export async function replayFloors(
  ch: ClickHouse,
  detection: DetectionConfig,
  inputs: EngineInputs,
  opts: { floors: ReadonlyArray<number>; from: number; to: number; onProgress?: (p: ReplayProgress) => void },
): Promise<Map<number, AlertRecord[]>> {
  const source = clickhouseHistorySource(ch);
  const carry = createHistoryCarry();
  const history = sharedHistory((day) => loadDayHistory(source, day, detection, inputs.people, inputs.catalog, carry));
  const runs = opts.floors.map((floor) => ({
    floor,
    engine: createEngine({ detection: { ...detection, scoring: { ...detection.scoring, alertFloor: floor } }, ...inputs, history, now: () => 0 }),
    latest: new Map<string, AlertRecord>(),
  }));
  const hours = Math.ceil((opts.to - opts.from) / MS_PER_HOUR);
  let events = 0;
  for (let h = 0; h < hours; h++) {
    const from = opts.from + h * MS_PER_HOUR;
    const batch = await storedEvents(ch, from, Math.min(opts.to, from + MS_PER_HOUR));
    for (const r of runs) for (const a of await r.engine.process(batch)) r.latest.set(a.alertId, a);
    events += batch.length;
    opts.onProgress?.({ hour: h + 1, hours, events });
  }
  return new Map(runs.map((r) => [r.floor, [...r.latest.values()]]));
}
