// The default format: the message is already a canonical event (docs/event-contract.md). No envelope:
// a producer writing the contract writes it bare, and this path stays as fast as it was.
import { parseEvent } from '../../event';
import { ConfigError } from '../../errors';
import type { SourceFormat } from '../types';

export const canonicalFormat: SourceFormat = {
  name: 'canonical',
  summary: "the product's own access events, one JSON object per message (the default of every topic)",
  optionsHelp: {},
  create(options, topic) {
    const keys = Object.keys(options);
    if (keys.length > 0) throw new ConfigError(`ingest.sources.${topic}.options: format canonical has no options (got ${keys.join(', ')})`, { topic });
    return {
      format: 'canonical',
      servers: [],
      decode(message, ctx) {
        const parsed = parseEvent(message.value, ctx.limits, ctx.now);
        return parsed.ok ? { ok: true, events: [{ event: parsed.event }], facts: [] } : parsed;
      },
    };
  },
};
