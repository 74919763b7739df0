// The ConfigError a call throws; fails the test when it throws something else or nothing.
import { ConfigError } from '../../src/errors';

export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
