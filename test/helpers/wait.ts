// Polling for what happens in another process or server: the one wait the tests share.

/**
 * Calls `probe` every `everyMs` until it answers something other than undefined or false, and returns
 * that; a probe that throws counts as not yet. Fails after `timeoutMs`, naming `what` and the last error.
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
