// The benchmark's fixed settings (the timing of the load and of the exports), and the small helpers every
// part of it uses.
import path from 'node:path';

export const root = path.join(__dirname, '..', '..');
export const say = (line: string) => process.stderr.write(`${line}\n`);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
export const sleepUntil = (t: number) => sleep(t - Date.now());

export const WARMUP_MS = 10_000; // background only, before the first export
export const STAGGER_MS = 2_500; // one export starts every 2.5 s
export const CHUNK_BYTES = 250e6; // 250 MB a chunk ...
export const CHUNK_EVERY_MS = 200; // ... every 200 ms ...
export const EXPORT_MAX_BYTES = 20e9; // ... until the alert is stored, or 20 GB
export const EXPORT_TIMEOUT_MS = 60_000; // no alert 60 s after the first chunk: missed
export const POLL_MS = 50; // ClickHouse polls (alerts, access_events)
export const TICK_MS = 50; // background batches
export const MAX_SEND_EVENTS = 2_000; // per background send: well under the broker's 1 MiB record batch per partition
export const MAX_IN_FLIGHT = 6;
export const VISIBILITY_GRACE_MS = 30_000; // after the last export: export events still not visible are counted as such
export const READY_TIMEOUT_MS = 180_000;
export const GOAL_P95_MS = 5_000;
export const CLK_TCK = 100;

export class Interrupted extends Error {}
