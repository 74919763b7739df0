// Pseudonyms: the same employee under the same key always gets the same "emp-<10 hex>", another key gives
// others, the id is found again only among known candidates, and pseudonymisation on without a usable key
// is a configuration error (never a silent fallback to ids).
import crypto from 'node:crypto';
import { ConfigError } from '../../src/errors';
import { createPseudonyms, PSEUDONYM } from '../../src/triage';

const KEY = 'k'.repeat(16);
const OTHER = 'another-secret-key-0123';
const PEOPLE = ['ana@corp.example', 'ben@corp.example', 'cleo@corp.example', 'svc-etl-orders'];

describe('pseudonyms', () => {
  it('are stable for a key: the same id gives the same pseudonym, in one instance and across instances', () => {
    const a = createPseudonyms({ enabled: true, key: KEY });
    const b = createPseudonyms({ enabled: true, key: KEY });
    for (const u of PEOPLE) {
      expect(a.of(u)).toBe(a.of(u));
      expect(b.of(u)).toBe(a.of(u));
    }
  });

  it('are the first 10 hex digits of HMAC-SHA256(key, id), as emp-<10 hex>', () => {
    const p = createPseudonyms({ enabled: true, key: KEY });
    expect(p.enabled).toBe(true);
    for (const u of PEOPLE) {
      expect(p.of(u)).toMatch(PSEUDONYM);
      expect(p.of(u)).toMatch(/^emp-[0-9a-f]{10}$/);
      expect(p.of(u)).toBe(`emp-${crypto.createHmac('sha256', KEY).update(u, 'utf8').digest('hex').slice(0, 10)}`);
      expect(p.of(u)).not.toContain(u.split('@')[0]);
    }
  });

  it('differ between people and between keys', () => {
    const a = createPseudonyms({ enabled: true, key: KEY });
    const b = createPseudonyms({ enabled: true, key: OTHER });
    expect(new Set(PEOPLE.map((u) => a.of(u))).size).toBe(PEOPLE.length);
    for (const u of PEOPLE) expect(b.of(u)).not.toBe(a.of(u));
  });

  it('reveal finds the id among the candidates, and nothing outside them', () => {
    const p = createPseudonyms({ enabled: true, key: KEY });
    expect(p.reveal(p.of('ben@corp.example'), PEOPLE)).toBe('ben@corp.example');
    expect(p.reveal(p.of('ben@corp.example'), new Set(PEOPLE))).toBe('ben@corp.example');
    expect(p.reveal(p.of('dora@corp.example'), PEOPLE)).toBeNull();
    expect(p.reveal('emp-0000000000', PEOPLE)).toBeNull();
    expect(p.reveal('ben@corp.example', PEOPLE)).toBeNull();
    expect(p.reveal(p.of('ben@corp.example'), [])).toBeNull();
    // Under another key the same pseudonym means nobody here.
    expect(createPseudonyms({ enabled: true, key: OTHER }).reveal(p.of('ben@corp.example'), PEOPLE)).toBeNull();
  });

  it('disabled: ids are shown as they are, and reveal only recognises a candidate id', () => {
    const p = createPseudonyms({ enabled: false, key: undefined });
    expect(p.enabled).toBe(false);
    for (const u of PEOPLE) expect(p.of(u)).toBe(u);
    expect(p.reveal('ana@corp.example', PEOPLE)).toBe('ana@corp.example');
    expect(p.reveal('dora@corp.example', PEOPLE)).toBeNull();
    // A key does not matter when disabled.
    expect(createPseudonyms({ enabled: false, key: KEY }).of('ana@corp.example')).toBe('ana@corp.example');
    expect(createPseudonyms({ enabled: false, key: 'short' }).of('ana@corp.example')).toBe('ana@corp.example');
  });

  it('enabled with a missing, empty or short key: a ConfigError naming the variable', () => {
    for (const key of [undefined, '', 'x', 'k'.repeat(15)]) {
      expect(() => createPseudonyms({ enabled: true, key })).toThrow(ConfigError);
      expect(() => createPseudonyms({ enabled: true, key })).toThrow(/INSIDER_PSEUDONYM_KEY .*at least 16 characters/);
    }
    expect(() => createPseudonyms({ enabled: true, key: 'k'.repeat(16) })).not.toThrow();
  });
});
