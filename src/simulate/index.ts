// The workload simulator: a synthetic organisation's database access events over a period, with
// labelled insider scenarios and benign look-alikes, deterministic for a seed.
//
//   organisation (people, roles, time zones) -> scenarios (actors, injected events, allowlist)
//     -> activity (each person's local day) -> generate (UTC days, sorted, labels tallied)
//     -> output (events.jsonl or Kafka, directory.csv, tables.csv, allowlist.json, labels.json)
export { createSimulation, MIN_EMPLOYEES, type Simulation, type SimulationOptions, type SimulatedDay, type Labels, type ScenarioLabel } from './generate';
export { writeSimulation, fileSink, kafkaSink, DIRECTORY_COLUMNS, OUTPUT_FILES, type EventSink, type WriteProgress, type WriteResult } from './output';
export { canonical, toJsonLine, type CanonicalEvent, type SimEvent } from './event';
export { MIN_HISTORY_DAYS, type AllowlistEntry, type ScenarioKind, type Expected } from './scenarios';
export { DEPARTMENTS, SERVICES, SHARED_SERVICES, type DirectoryRow, type Person } from './organisation';
export { TABLES, type TableInfo, type Sensitivity } from './tables';
export { localHour, localDayOf, dayOf, dateString, isWeekend, isMonthEnd, isQuarterEnd, MS_PER_DAY, MS_PER_HOUR } from '../calendar';
