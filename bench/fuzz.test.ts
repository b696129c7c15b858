// A fixed-seed slice of the fuzz run (npm run fuzz runs 100,000 inputs): every parser, the capture
// reader and the case reader through the CLI; no crash, hang, stack trace or exit outside 0/1/2/3.
import { expect, it } from 'vitest';
import { fuzz } from './fuzz.ts';

it('fuzz, seed 1, 400 inputs: zero failures', async () => {
  const r = await fuzz({ seed: 1, count: 400, cliEvery: 20 });
  expect(r.inputs).toBe(400);
  expect(r.cliRuns).toBe(60);
  expect(r.failures).toEqual([]);
});
