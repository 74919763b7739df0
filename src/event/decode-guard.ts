// The one guard around a per-message decode (the sources layer's decoders, parseEvent among them): any
// error a message's content makes the decoder throw — a stack overflow on deep nesting, a bug a crafted
// message reaches — becomes that message's rejection with a reason code, never a consumer's crash.
// Without it, a throw would fail the whole batch, the batch would be redelivered, and the consumer
// would die on the same message on every restart (issue 14).

export interface DecoderError {
  ok: false;
  code: 'decoder_error';
  reason: string;
}

/** `what` names the decoder in the reason ("the postgres decoder"). */
export function guardDecode<T>(decode: () => T, what = 'the decoder'): T | DecoderError {
  try {
    return decode();
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    // The reason travels in a Kafka header and a ClickHouse row: bounded, and well-formed text.
    return { ok: false, code: 'decoder_error', reason: `${what} failed on this message (${detail.slice(0, 300).toWellFormed()})` };
  }
}
