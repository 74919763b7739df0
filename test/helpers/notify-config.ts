// What the notifier tests share: the receivers' secrets (passed as the notifier's environment) and a
// configuration that polls and retries quickly, in the test's own database.
import type { Config } from '../../src/config';
import { testConfig } from './env';

/** Keys and secrets the local receivers expect; copy before adding to them. */
export const NOTIFY_SECRETS = { TEST_PD_KEY: 'R0UTINGKEY0123456789abcdef012345', TEST_OG_KEY: 'opsgenie-key-0000-1111', TEST_HOOK_SECRET: 'whsec-test-0123456789' };

type Notify = Config['notify'];

/** Quick polls and retries; storm control far above what most tests send. */
const QUICK: Pick<Notify, 'pollIntervalMs' | 'delivery' | 'storm'> = {
  pollIntervalMs: 200,
  delivery: { timeoutMs: 5000, initialDelayMs: 200, maxDelayMs: 2000, giveUpAfterMs: 60_000 },
  storm: { maxPages: 50, windowMs: 60_000, digestDelayMs: 500, maxDigestAlerts: 500 },
};

/** The tests' configuration with `database` and `notify` (over QUICK); `api` is laid over the tests' API settings. */
export function notifyTestConfig(database: string, notify: Partial<Notify> & Pick<Notify, 'identity' | 'channels' | 'routes'>, api: Partial<Config['api']> = {}): Readonly<Config> {
  const base = testConfig();
  return {
    ...base,
    clickhouse: { ...base.clickhouse, database },
    api: { ...base.api, ...api },
    notify: { ...base.notify, ...QUICK, ...notify },
  };
}
