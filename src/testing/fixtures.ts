// Locating fixture files for tests: our own captures beside the parsers, the shared reference
// captures, and the seed example.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const OWN_FIXTURES = join(ROOT, 'src/parse/fixtures');
export const SEED_CASE = join(ROOT, 'examples/xenserver-seed');
/** ../shared/reference/fixtures when the checkout sits beside it; copied into the repo otherwise. */

export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) for (const f of walkFiles(p)) out.push(f);
    else out.push(p);
  }
  return out;
}

export function read(p: string): string {
  return readFileSync(p, 'utf8');
}

/** Every fixture file whose base name matches `re`. */
export function fixtureFiles(re: RegExp): string[] {
  return [...walkFiles(OWN_FIXTURES), ...walkFiles(SEED_CASE)].filter((p) => re.test(p.split('/').pop()!));
}

/** Real OVS in network namespaces needs root: without it a test fails saying so (never skips). */
export function needRoot(): void {
  if (process.getuid?.() !== 0)
    throw new Error('this test runs real OVS in network namespaces: run the suite as root');
}

/** The field fixtures of OVN hosts (src/parse/fixtures/field/PROVENANCE.md). */
export const OVN_FIELD_CASES: readonly string[] = ['hotsos-sunbeam', 'study-notes-ovn-geneve'].map((e) =>
  join(OWN_FIXTURES, 'field', e),
);

/**
 * Every ML2/OVS case the repository holds, none of whose hosts runs OVN: the seed, the examples,
 * the reference lab captures, the other field fixtures.
 */
export function ml2OvsCases(): string[] {
  const dirs = (d: string): string[] =>
    readdirSync(d)
      .filter((e) => statSync(join(d, e)).isDirectory())
      .map((e) => join(d, e));
  return [
    SEED_CASE,
    ...dirs(join(ROOT, 'examples')),
    ...['healthy', 'seed-failure'].map((e) => join(OWN_FIXTURES, 'reference', e)),
    ...dirs(join(OWN_FIXTURES, 'field')).filter((d) => !OVN_FIELD_CASES.includes(d)),
  ];
}
