// The error a call throws, for tests that go on to check its fields (file, line, exit, message).
import { expect } from 'vitest';

/** What `fn` throws, checked to be a `cls`: the test fails when it returns or throws anything else. */
export function thrown<E extends Error>(
  fn: () => unknown,
  cls: abstract new (...args: never[]) => E,
  label?: string,
): E {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, label).toBeInstanceOf(cls);
  return err as E;
}
