import type { ManagedProcess } from './managed-process';

export type Progress = (line: string) => void;

export interface Probe {
  ready: boolean;
  version?: string;
  detail?: string;
}

/** What `services up|down|status` needs to know about one local service. */
export interface LocalService {
  readonly name: string;
  /** Where clients reach it, as configured. */
  readonly address: string;
  /** False when the configured address is elsewhere (or manage: never): nothing is started or stopped. */
  readonly managed: boolean;
  readonly startTimeoutMs: number;
  readonly process: ManagedProcess;
  ensureInstalled(progress: Progress): Promise<void>;
  /** Writes its config, prepares storage, starts it detached; returns the pid. */
  launch(progress: Progress): Promise<number>;
  /** Does it answer as it should (metadata request, /ping)? */
  probe(): Promise<Probe>;
  logTail(): string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}
