// An alert's id names its day: alertIdOf writes it, dayOfAlertId reads it back, and nothing else passes.
import { alertIdOf, dayOfAlertId } from '../../src/alerts';

describe('alert ids', () => {
  it('give back the day they were made for, keyed or not, over many years', () => {
    for (let day = 0; day < 40_000; day += 97) {
      expect(dayOfAlertId(alertIdOf(`u${day}@corp.example`, day))).toBe(day);
      expect(dayOfAlertId(alertIdOf('u@corp.example', day, 'a-secret-key-of-some-length'))).toBe(day);
    }
  });

  it('name no day unless written as alertIdOf writes them', () => {
    for (const id of ['', 'al_x', 'al_20261301_0123456789', 'al_20260230_0123456789', 'al_20261203_012345678', 'al_20261203_0123456789a', 'al_20261203_ABCDEF0123', ' al_20261203_0123456789', 'al_2026123_0123456789', 'xl_20261203_0123456789']) {
      expect(dayOfAlertId(id)).toBeNull();
    }
    expect(dayOfAlertId('al_20261203_0123456789')).toBe(Date.UTC(2026, 11, 3) / 86_400_000);
  });
});
