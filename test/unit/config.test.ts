import path from 'node:path';
import { loadConfig, maskSecrets } from '../../src/config';
import { configErrorOf } from '../helpers/config-error';

const fixture = (name: string) => path.join(__dirname, '..', 'fixtures', 'config', name);
const load = (file?: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ file, env });


describe('loadConfig', () => {
  it('loads the defaults alone as a valid, frozen config', () => {
    const { config } = load();
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.clickhouse.database).toBe('insider');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
    expect(() => {
      (config.kafka as { topic: string }).topic = 'x';
    }).toThrow(TypeError);
  });

  it('layers a file over the defaults, keeping keys the file does not set', () => {
    const { config, sources } = load(fixture('valid.yaml'));
    expect(config.kafka.brokers).toEqual(['kafka-1.internal:9092', 'kafka-2.internal:9092']);
    expect(config.kafka.topic).toBe('dbaudit');
    expect(config.kafka.clientId).toBe('insider-detector');
    expect(config.log.level).toBe('warn');
    expect(sources).toEqual([expect.stringMatching(/default\.yaml$/), fixture('valid.yaml')]);
  });

  it('takes the file from INSIDER_CONFIG when no flag is given', () => {
    const { config } = load(undefined, { INSIDER_CONFIG: fixture('valid.yaml') });
    expect(config.kafka.topic).toBe('dbaudit');
  });

  it('lets environment variables override files for endpoints and secrets', () => {
    const { config } = load(fixture('valid.yaml'), {
      INSIDER_KAFKA_BROKERS: 'a:1, b:2',
      INSIDER_CLICKHOUSE_URL: 'http://ch:8123',
      INSIDER_CLICKHOUSE_PASSWORD: 's3cret',
      INSIDER_KAFKA_SASL_MECHANISM: 'plain',
      INSIDER_KAFKA_SASL_USERNAME: 'svc',
      INSIDER_KAFKA_SASL_PASSWORD: 'k-pass',
    });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.clickhouse.url).toBe('http://ch:8123');
    expect(config.clickhouse.password).toBe('s3cret');
    expect(config.kafka.sasl).toEqual({ mechanism: 'plain', username: 'svc', password: 'k-pass' });
  });

  it('reports a wrong type with the file, the key path and what was expected, on one line', () => {
    const err = configErrorOf(() => load(fixture('wrong-type.yaml')));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(`${fixture('wrong-type.yaml')}: kafka.connectionTimeoutMs: expected number, got string "fast"`);
  });

  it('reports an unknown key and suggests the closest known one', () => {
    const err = configErrorOf(() => load(fixture('unknown-key.yaml')));
    expect(err.message).toBe(`${fixture('unknown-key.yaml')}: kafka.brokerz: unknown key (did you mean "brokers"?)`);
  });

  it('reports a missing required value', () => {
    const err = configErrorOf(() => load(fixture('missing-required.yaml')));
    expect(err.message).toBe(`${fixture('missing-required.yaml')}: kafka.sasl.username: required value is missing (expected string)`);
  });

  it('refuses detection.priorDays below 1 with the reason (a new hire would have no spread to be judged by)', () => {
    const err = configErrorOf(() => load(fixture('prior-days-zero.yaml')));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(
      `${fixture('prior-days-zero.yaml')}: detection.priorDays: must be at least 1 (pseudo-days of the peer group's spread; with 0 a person without history of their own has no spread to be judged by), got 0`,
    );
  });

  it("gives the live detector a consumer of its own whose defaults are the ingester's (what it borrowed before)", () => {
    const { config } = load();
    const { ingest } = config;
    expect(config.detection.consumer).toEqual({
      sessionTimeoutMs: ingest.sessionTimeoutMs,
      heartbeatIntervalMs: ingest.heartbeatIntervalMs,
      fetchMaxBytes: ingest.fetchMaxBytes,
      maxWaitMs: 250,
      // The detector's own: waited for through a long takeover when the group rebalances (kafkajs's default is 60 s).
      rebalanceTimeoutMs: 300_000,
      retry: ingest.retry,
    });
  });

  it("tunes the detector's consumer without touching the ingester's, key by key", () => {
    const defaults = load().config;
    const { config } = load(fixture('detection-consumer.yaml'));
    expect(config.detection.consumer).toEqual({ ...defaults.detection.consumer, sessionTimeoutMs: 45000, retry: { ...defaults.detection.consumer.retry, maxDelayMs: 5000 } });
    expect(config.ingest).toEqual(defaults.ingest);
  });

  it('refuses a detector session timeout below what Kafka accepts', () => {
    const err = configErrorOf(() => load(fixture('detection-consumer-short-session.yaml')));
    expect(err.message).toMatch(/^.*detection-consumer-short-session\.yaml: detection\.consumer\.sessionTimeoutMs: .*got 1000$/);
  });

  it('names the environment variable when a bad value came from it', () => {
    const err = configErrorOf(() => load(undefined, { INSIDER_LOG_LEVEL: 'loud' }));
    expect(err.message).toMatch(/^environment variable INSIDER_LOG_LEVEL: log\.level: /);
    expect(err.message).toContain('"loud"');
  });

  it('refuses secrets written in a file and names the variable to use', () => {
    const err = configErrorOf(() => load(fixture('secret-in-file.yaml')));
    expect(err.message).toBe(
      `${fixture('secret-in-file.yaml')}: clickhouse.password: secrets are not read from files; set the environment variable INSIDER_CLICKHOUSE_PASSWORD`,
    );
    expect(err.message).not.toContain('hunter2');
  });

  it('fails at once on a file that cannot be read or parsed', () => {
    expect(configErrorOf(() => load('/nonexistent/insider.yaml')).message).toBe('/nonexistent/insider.yaml: cannot read config file (ENOENT)');
    const broken = path.join(__dirname, '..', 'fixtures', 'config', 'not-yaml.txt');
    expect(configErrorOf(() => load(broken)).message).toMatch(/not-yaml\.txt: line \d+, column \d+: not valid YAML or JSON/);
  });

  it('masks secrets when printed', () => {
    const { config } = load(undefined, { INSIDER_CLICKHOUSE_PASSWORD: 'p@ss' });
    const masked = maskSecrets(config) as { clickhouse: { password: string } };
    expect(masked.clickhouse.password).toBe('****');
    expect(JSON.stringify(masked)).not.toContain('p@ss');
    const unset = maskSecrets(load().config) as { clickhouse: { password: string } };
    expect(unset.clickhouse.password).toBe('(not set)');
  });
});
