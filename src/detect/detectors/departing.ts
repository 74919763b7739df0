// Watchlist: people serving notice, fed by the directory's notice and end dates. From the notice date
// (without one: graceDays before the end date) until graceDays after the end date, their anomalies are
// judged `watchFactor` times more strictly (their rates divided by it, and the detectors' materiality
// floors too): the same day is more worth a look when someone is leaving.
import { dateString } from '../../calendar';
import type { DetectorSettings } from '../../config';
import type { Person } from '../people';

export interface Watch {
  factor: number;
  clause: string;
}

/** The person's watchlist status on `day`, or null. */
export function watchOf(settings: DetectorSettings, person: Person, day: number): Watch | null {
  const s = settings.departing;
  const { noticeDay, endDay } = person;
  const from = noticeDay ?? (endDay === null ? null : endDay - s.graceDays);
  if (!s.enabled || from === null || day < from || (endDay !== null && day > endDay + s.graceDays)) return null;
  const status = [noticeDay !== null ? `on notice since ${dateString(noticeDay)}` : '', endDay !== null ? `leaving ${dateString(endDay)}` : ''].filter(Boolean).join(', ');
  return { factor: s.watchFactor, clause: `${status}; judged ${s.watchFactor}x more strictly` };
}
