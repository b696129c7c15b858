// CLI numbers are validated: `--timeout abc` used to become NaN and switch every timeout off.
import { describe, expect, it } from 'vitest';
import { VifpathError } from '../errors/errors.ts';
import { thrown } from '../testing/thrown.ts';
import { MAX_CONCURRENCY, MAX_TIMEOUT_S, numberOption } from './live.ts';

describe('numberOption', () => {
  it('accepts numbers in range', () => {
    expect(numberOption('--timeout', '300', { min: 1, max: MAX_TIMEOUT_S })).toBe(300);
    expect(numberOption('--timeout', '0.5', { min: 0.1, max: MAX_TIMEOUT_S })).toBe(0.5);
    expect(numberOption('--concurrency', '8', { min: 1, max: MAX_CONCURRENCY, integer: true })).toBe(8);
  });

  it('nonsense is a usage error with exit 2 naming the option and the value', () => {
    for (const bad of [
      'abc',
      '',
      'NaN',
      'Infinity',
      '-1',
      '0',
      '1e9',
      '0x10',
      '5s',
      '1.5.2',
      `${MAX_TIMEOUT_S + 1}`,
    ]) {
      const err = thrown(
        () => numberOption('--timeout', bad, { min: 1, max: MAX_TIMEOUT_S }),
        VifpathError,
        bad,
      );
      expect((err as VifpathError).exit).toBe(2);
      expect((err as VifpathError).message).toContain(
        `--timeout wants a number from 1 to ${MAX_TIMEOUT_S}, not "${bad}"`,
      );
    }
    expect(() =>
      numberOption('--concurrency', '2.5', { min: 1, max: MAX_CONCURRENCY, integer: true }),
    ).toThrow(/whole number/);
  });
});
