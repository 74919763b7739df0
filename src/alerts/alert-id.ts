// An alert's id: `al_<YYYYMMDD>_<10 hex>`, the employee's UTC day and a keyed hash of employee and day.
// Written by the engine and read back here for the day it names, which bounds where the alert is stored.
import crypto from 'node:crypto';
import { dateString, MS_PER_DAY } from '../calendar';

/**
 * The id of an employee's alert for a UTC day: stable, so that live detection, backfills and restarts
 * revise the same alert. Keyed (HMAC) with the pseudonym key when there is one, so that an alert id
 * cannot be linked to a person by anyone holding the employee list; a plain hash without a key.
 */
export function alertIdOf(user: string, day: number, key?: string): string {
  const mac = key ? crypto.createHmac('sha256', key) : crypto.createHash('sha256');
  const hash = mac.update(`${user}\u0000${day}`).digest('hex').slice(0, 10);
  return `al_${dateString(day).replace(/-/g, '')}_${hash}`;
}

const ENGINE_ID = /^al_(\d{4})(\d{2})(\d{2})_[0-9a-f]{10}$/;

/** The UTC day (day number) an id of alertIdOf's form names; null for any other id. */
export function dayOfAlertId(alertId: string): number | null {
  const m = ENGINE_ID.exec(alertId);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const day = ms / MS_PER_DAY;
  // 20261301 or 20260230 would roll over into another day: not an id alertIdOf wrote.
  return dateString(day).replace(/-/g, '') === `${m[1]}${m[2]}${m[3]}` ? day : null;
}
