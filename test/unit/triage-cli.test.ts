// The triage commands' own rules, without a database: who the audit trail records, how --until is read,
// and how employees appear (pseudonyms, ids when no key is set, an error for a short key).
import { InvalidArgumentError } from 'commander';
import { cliActor, cliPseudonyms, employeeArg, isoTime, parseFactor, parseUntil, parseUntilOrDate } from '../../src/cli/triage-context';
import { loadConfig, type Config } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { createPseudonyms } from '../../src/triage';

const base = loadConfig().config;
const withApi = (api: Partial<Config['api']>): Config => ({ ...base, api: { ...base.api, ...api } });

describe('cliActor', () => {
  it('is an admin named cli:<login name>, from "cli", with a fresh request id', () => {
    const a = cliActor();
    expect(a).toMatchObject({ role: 'admin', sourceIp: 'cli' });
    expect(a.name).toMatch(/^cli:.+/);
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cliActor().requestId).not.toBe(a.requestId);
  });

  it('takes the name given with --as as it is', () => {
    expect(cliActor('jane.doe').name).toBe('jane.doe');
  });
});

describe('parseUntilOrDate and parseFactor (alerts resolve --expect)', () => {
  it('reads a date as that UTC midnight, and what parseUntil reads as it does', () => {
    expect(parseUntilOrDate('2026-12-20')).toBe(Date.parse('2026-12-20T00:00:00Z'));
    expect(parseUntilOrDate('2026-12-20T12:00:00+01:00')).toBe(Date.parse('2026-12-20T11:00:00Z'));
    expect(Math.round((parseUntilOrDate('30d') - Date.now()) / 86_400_000)).toBe(30);
  });

  it('refuses a date that does not exist and anything else', () => {
    expect(() => parseUntilOrDate('2026-02-30')).toThrow(InvalidArgumentError);
    expect(() => parseUntilOrDate('next friday')).toThrow(InvalidArgumentError);
  });

  it('reads a factor as a number (3, 2.5, 3x) and refuses what is not one', () => {
    expect(parseFactor('3')).toBe(3);
    expect(parseFactor('2.5')).toBe(2.5);
    expect(parseFactor('3x')).toBe(3);
    expect(() => parseFactor('lots')).toThrow(InvalidArgumentError);
    expect(() => parseFactor('')).toThrow(InvalidArgumentError);
  });
});

describe('parseUntil', () => {
  it('reads a duration from now in minutes, hours, days or weeks', () => {
    const now = Date.now();
    expect(parseUntil('90m') - now).toBeGreaterThanOrEqual(90 * 60_000);
    expect(parseUntil('90m') - now).toBeLessThan(90 * 60_000 + 5_000);
    expect(Math.round((parseUntil('8h') - now) / 3_600_000)).toBe(8);
    expect(Math.round((parseUntil('30d') - now) / 86_400_000)).toBe(30);
    expect(Math.round((parseUntil('2w') - now) / 86_400_000)).toBe(14);
  });

  it('reads an ISO-8601 time with a zone', () => {
    expect(parseUntil('2026-10-01T00:00:00Z')).toBe(Date.parse('2026-10-01T00:00:00Z'));
    expect(parseUntil('2026-10-01T02:00:00+02:00')).toBe(Date.parse('2026-10-01T00:00:00Z'));
  });

  it('refuses anything else, saying what it takes', () => {
    for (const v of ['tomorrow', '2026-10-01', '2026-10-01T00:00:00', '8', '8y', '-8h', '']) {
      expect(() => parseUntil(v)).toThrow(InvalidArgumentError);
      expect(() => parseUntil(v)).toThrow(/ISO-8601 time with a zone .* or a duration from now/);
    }
  });
});

describe('isoTime', () => {
  it('prints whole seconds without the milliseconds, and "-" for none', () => {
    expect(isoTime(Date.parse('2026-10-01T09:30:00Z'))).toBe('2026-10-01T09:30:00Z');
    expect(isoTime(Date.parse('2026-10-01T09:30:00.123Z'))).toBe('2026-10-01T09:30:00Z');
    for (const none of [null, undefined, 0, Number.NaN]) expect(isoTime(none)).toBe('-');
  });
});

describe('how the CLI shows employees', () => {
  const KEY = 'cli-unit-test-key-0123456789';
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  it('as pseudonyms when pseudonymisation is on and a key is set, silently', () => {
    const p = cliPseudonyms(withApi({ pseudonymize: true, pseudonymKey: KEY }));
    expect(p.enabled).toBe(true);
    expect(p.of('ana@corp.example')).toBe(createPseudonyms({ enabled: true, key: KEY }).of('ana@corp.example'));
    expect(stderr).not.toHaveBeenCalled();
  });

  it('by id when pseudonymisation is off, silently', () => {
    const p = cliPseudonyms(withApi({ pseudonymize: false, pseudonymKey: undefined }));
    expect(p.of('ana@corp.example')).toBe('ana@corp.example');
    expect(stderr).not.toHaveBeenCalled();
  });

  it('by id when it is on without a key, saying so once per run', () => {
    for (const pseudonymKey of [undefined, '', undefined]) {
      expect(cliPseudonyms(withApi({ pseudonymize: true, pseudonymKey })).of('ana@corp.example')).toBe('ana@corp.example');
    }
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0][0])).toMatch(/^note: employees are shown by id: api\.pseudonymize is on but INSIDER_PSEUDONYM_KEY is not set/);
  });

  it('a key that is set but too short is a configuration error', () => {
    expect(() => cliPseudonyms(withApi({ pseudonymize: true, pseudonymKey: 'short' }))).toThrow(ConfigError);
  });

  it('an employee typed as an id is given to the service as its pseudonym; a pseudonym as it is', () => {
    const on = createPseudonyms({ enabled: true, key: KEY });
    expect(employeeArg(on, 'ana@corp.example')).toBe(on.of('ana@corp.example'));
    expect(employeeArg(on, on.of('ben@corp.example'))).toBe(on.of('ben@corp.example'));
    const off = createPseudonyms({ enabled: false, key: undefined });
    expect(employeeArg(off, 'ana@corp.example')).toBe('ana@corp.example');
  });
});
