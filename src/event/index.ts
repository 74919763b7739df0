// The canonical access event: the one contract every stage shares (docs/event-contract.md).
// Producers and the sources layer write it, the ingester stores it, the detector judges it.
export {
  parseEvent,
  parseTimestamp,
  validateEvent,
  type AccessEvent,
  type Parsed,
  type RejectCode,
  type ValidateLimits,
  nestingDepth,
  MAX_EXTRA_DEPTH,
} from './validate';
export { toCanonical, type CanonicalEvent } from './canonical';
export { guardDecode, type DecoderError } from './decode-guard';
