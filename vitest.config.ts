import { defineConfig } from 'vitest/config';

// Two projects: `unit` never builds a lab; `lab` holds the test files that read the real labs the
// global setup builds once per run (`npx vitest run --project unit` for a quick loop).
const LAB_FILES = [
  'src/lab/lab.test.ts',
  'src/dataplane/trace.lab.test.ts',
  'src/doctor/diagnose.lab.test.ts',
  'src/capture/capture.lab.test.ts',
];

// Both projects fail when the run leaves a vifpath-* temporary folder or a lab namespace behind.
const LEFTOVERS = 'src/testing/leftovers-setup.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...LAB_FILES, '**/node_modules/**'],
          globalSetup: [LEFTOVERS],
        },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: LAB_FILES,
          globalSetup: [LEFTOVERS, 'src/testing/lab-global-setup.ts'],
        },
      },
    ],
  },
});
