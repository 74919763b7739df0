// Policy: the departing-employee watchlist, fed by the directory's notice and end dates. From the notice
// date (without one: graceDays before the end date) until graceDays after the end date, a much smaller
// multiple of the usual day is enough.
import { dateString } from '../../calendar';
import { formatBytes, formatMultiple } from '../format';
import { usualDaily, type Rule } from './rule';

export const departing: Rule = {
  name: 'departing',
  prepare(ctx) {
    const s = ctx.settings.departing;
    const { noticeDay, endDay } = ctx.person;
    const from = noticeDay ?? (endDay === null ? null : endDay - s.graceDays);
    if (!s.enabled || from === null || ctx.day < from || (endDay !== null && ctx.day > endDay + s.graceDays)) return null;
    const usual = usualDaily(ctx);
    if (!usual) return null;
    const threshold = Math.max(s.minBytes, usual.bytes * s.minMultiple);
    const status = [noticeDay !== null ? `on notice since ${dateString(noticeDay)}` : '', endDay !== null ? `leaving ${dateString(endDay)}` : ''].filter(Boolean).join(', ');
    return (day) => {
      if (day.bytes < threshold) return null;
      const multiple = day.bytes / usual.bytes;
      return { detector: 'departing', observed: day.bytes, threshold, reference: usual.bytes, multiple, clause: `${status}; ${formatMultiple(multiple)} the ${usual.label} of ${formatBytes(usual.bytes)}` };
    };
  },
};
