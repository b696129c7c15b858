// conf.db records and rows are validated by shape and size before use (issue 19 item 4): a 500 MB
// record or a row that is a string (replayed character by character) took gigabytes. Now a record
// over CONF_DB_MAX_RECORD_BYTES is never read, and a transaction that is not {table: {uuid:
// row|null}} is a corrupt diagnostic: exit 2 naming file and line, a warning under --lenient.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli/main.ts';
import { CONF_DB_MAX_RECORD_BYTES, parseConfDb, parseConfDbFile } from './conf-db.ts';

const record = (json: string): string => {
  const body = `${json}\n`;
  return `OVSDB JSON ${Buffer.byteLength(body)} ${createHash('sha1').update(body).digest('hex')}\n${body}`;
};
const SCHEMA = record(
  JSON.stringify({
    name: 'Open_vSwitch',
    version: '8.3.0',
    tables: {
      Interface: {
        columns: { name: { type: 'string' }, ofport: { type: { key: 'integer', min: 0, max: 1 } } },
      },
    },
  }),
);
const GOOD = record(JSON.stringify({ Interface: { 'a-uuid': { name: 'tap1', ofport: 3 } } }));

describe('conf.db shape and size', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vifpath-test-confdb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a record over the size limit is a limit diagnostic read from its header alone', () => {
    const huge = `OVSDB JSON ${500 * 1024 * 1024} ${'0'.repeat(40)}\n{"Interface":`;
    const r = parseConfDb(Buffer.from(SCHEMA + GOOD + huge));
    expect(r.value.records).toBe(2);
    expect(r.diagnostics).toEqual([
      {
        severity: 'corrupt',
        line: 5,
        code: 'limit',
        message: `record of ${500 * 1024 * 1024} bytes is over the ${CONF_DB_MAX_RECORD_BYTES}-byte limit on a conf.db record (CONF_DB_MAX_RECORD_BYTES); compact the database (ovsdb-tool compact) or give \`ovsdb-client dump\` output instead`,
      },
    ]);
    // A real record just over a (lowered) limit: the same, and one just under is read.
    const rec = record(JSON.stringify({ Interface: { b: { name: 'x'.repeat(5000) } } }));
    const len = Number(/^OVSDB JSON (\d+)/.exec(rec)![1]);
    expect(parseConfDb(Buffer.from(SCHEMA + rec), { maxRecordBytes: len - 1 }).diagnostics[0]).toMatchObject({
      code: 'limit',
      line: 3,
    });
    expect(parseConfDb(Buffer.from(SCHEMA + rec), { maxRecordBytes: len }).diagnostics).toEqual([]);
  });

  it('rows and tables that are not objects are corrupt, in one pass, nothing of the record applied', () => {
    const cases: [unknown, string, string][] = [
      [
        { Interface: { 'a-uuid': 'x'.repeat(100_000) } },
        'bad-row',
        'Interface row a-uuid is not a JSON object or null',
      ],
      [
        { Interface: { 'a-uuid': [1, 2, 3] } },
        'bad-row',
        'Interface row a-uuid is not a JSON object or null',
      ],
      [{ Interface: 'x'.repeat(100_000) }, 'bad-txn', 'table Interface: rows are not a JSON object'],
      [{ Interface: [{ name: 'a' }] }, 'bad-txn', 'table Interface: rows are not a JSON object'],
      ['x'.repeat(1000), 'bad-txn', 'transaction record is not a JSON object'],
    ];
    for (const [txn, code, message] of cases) {
      const r = parseConfDb(Buffer.from(SCHEMA + GOOD + record(JSON.stringify(txn))));
      expect(r.diagnostics).toEqual([{ severity: 'corrupt', line: 6, code, message }]);
      expect([...r.value.tables.get('Interface')!.keys()]).toEqual(['a-uuid']);
      expect(r.value.tables.get('Interface')!.get('a-uuid')).toEqual({ name: 'tap1', ofport: 3 });
    }
  });

  it('a schema whose tables or columns are not objects is not a schema', () => {
    for (const s of [
      { name: 'Open_vSwitch', tables: 'x'.repeat(100_000) },
      { name: 'Open_vSwitch', tables: { Interface: { columns: 'abc' } } },
      { name: 'Open_vSwitch', tables: { Interface: { columns: { name: 'string' } } } },
      { name: 7, tables: {} },
    ])
      expect(parseConfDb(Buffer.from(record(JSON.stringify(s)))).diagnostics).toMatchObject([
        { severity: 'corrupt', line: 2, code: 'no-schema' },
      ]);
  });

  it('read from a file record by record: the same as in memory', () => {
    const f = join(dir, 'conf.db');
    const text = SCHEMA + GOOD + record(JSON.stringify({ Interface: { 'a-uuid': null, c: { name: 'p' } } }));
    writeFileSync(f, text);
    expect(parseConfDbFile(f)).toEqual(parseConfDb(Buffer.from(text)));
    writeFileSync(f, text.slice(0, -5));
    expect(parseConfDbFile(f)).toEqual(parseConfDb(Buffer.from(text.slice(0, -5))));
  });

  it('in a case: exit 2 with one line naming file and line; --lenient reads the rest with a warning', async () => {
    const host = join(dir, 'case', 'h', 'etc', 'openvswitch');
    mkdirSync(host, { recursive: true });
    writeFileSync(
      join(host, 'conf.db'),
      SCHEMA + GOOD + record(JSON.stringify({ Interface: { u: 'x'.repeat(10_000) } })),
    );
    writeFileSync(
      join(dir, 'case', 'h', 'ovs-vsctl_-t_5_show'),
      '0f5b6d5e-1111-2222-3333-444455556666\n    Bridge br-int\n        Port br-int\n            Interface br-int\n                type: internal\n    ovs_version: "3.1.0"\n',
    );
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const out: string[] = [];
      expect(await main(['snapshot', join(dir, 'case')], (s) => out.push(s))).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
        'vifpath: h/etc/openvswitch/conf.db:6: Interface row u is not a JSON object or null (use --lenient to read the rest)\n',
      ]);
      expect(await main(['snapshot', '--json', '--lenient', join(dir, 'case')], (s) => out.push(s))).toBe(0);
      const snap = JSON.parse(out.join(''));
      expect(snap.diagnostics).toMatchObject([
        { file: 'h/etc/openvswitch/conf.db', line: 6, code: 'bad-row' },
      ]);
    } finally {
      err.mockRestore();
    }
  });
});
