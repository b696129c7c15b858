// Published outputs of the tenth review (src/sources/fixtures/review10/PROVENANCE.md; each case's
// SOURCE.md says where): an `ovs-vsctl show` pasted without the `ovs_version:` line every whole
// output ends with (one bridge's block, or cut after one) is an excerpt of the host's bridges and
// ports, so a patch peer it does not show is not proven missing. Run through the CLI as an
// operator would.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../doctor/diagnose.ts';
import { runVifpath } from '../testing/cli.ts';
import { ROOT } from '../testing/fixtures.ts';
import { readCase } from './case-dir.ts';
import { classify } from './file-kinds.ts';

const R10 = join(ROOT, 'src/sources/fixtures/review10');
const run = (...args: string[]) => runVifpath(args);

describe('a pasted ovs-vsctl show without its ovs_version line: an excerpt cut at its end (review10 P1)', () => {
  // [case, --lenient, host, the show's last line, the patch peer it does not show]
  const rows: [string, boolean, string, number, string][] = [
    ['liuchao-havana-gre-md', true, 'ComputeNode', 21, 'patch-int'],
    ['ctl-frag-indented', false, 'compute', 11, 'patch-int'],
    ['elatov-kolla-aio-vsctl-cut', false, 'osa', 31, 'phy-br-ex'],
  ];
  it.each(rows)(
    '%s: read as an excerpt of the host ovsdb, cut after its last line',
    (c, lenient, host, last) => {
      const s = readCase(join(R10, c), { lenient });
      const h = s.hosts.find((x) => x.name === host)!;
      expect(h.excerpts).toContainEqual({
        of: 'ovsdb',
        file: `${host}/ovs-vsctl_show`,
        line: last + 1,
        collect: 'ovs-vsctl show',
        end: 'no `ovs_version:` line',
      });
      expect(h.gaps).toContain(
        `${host}/ovs-vsctl_show is an excerpt (cut after line ${last}, no \`ovs_version:\` line): what it does not show is unknown (collect the whole \`ovs-vsctl show\`)`,
      );
      expect(
        s.diagnostics
          .filter((d) => d.file === `${host}/ovs-vsctl_show` && d.code === 'excerpt')
          .map((d) => d.line),
      ).toEqual([last]);
    },
  );
  it.each(rows)(
    '%s: diagnose is undecided (exit 3), the peer not proven missing, the whole show asked for',
    (c, lenient, host, last, peer) => {
      const r = run('diagnose', join(R10, c), ...(lenient ? ['--lenient'] : []));
      expect([r.status, r.stderr]).toEqual([3, '']);
      expect(r.stdout).not.toContain('PROBLEM');
      expect(r.stdout).not.toContain('has no peer');
      expect(r.stdout).toContain(
        `${host}/ovs-vsctl_show is an excerpt (cut after line ${last}, no \`ovs_version:\` line): the patch peer ${peer} may be in what it leaves out`,
      );
      expect(r.stdout).toContain(`ovs-vsctl show   # on ${host}: the whole output`);
    },
  );
  it('the one without its UUID line says it starts below its first line; the one with it does not', () => {
    const said = (c: string, host: string): string | undefined =>
      readCase(join(R10, c)).diagnostics.find(
        (d) => d.file === `${host}/ovs-vsctl_show` && d.code === 'excerpt',
      )?.message;
    expect(said('ctl-frag-indented', 'compute')).toBe(
      'an excerpt: no `ovs_version:` line after this one, which a whole ovs-vsctl show ends with: the copy stops here, bridges and ports after it are unknown. It starts below its first line (no database UUID line).',
    );
    expect(said('elatov-kolla-aio-vsctl-cut', 'osa')).toBe(
      'an excerpt: no `ovs_version:` line after this one, which a whole ovs-vsctl show ends with: the copy stops here, bridges and ports after it are unknown.',
    );
  });
  it('the seed keeps its reading: its dom0 monitor lists every interface, so the cut hides none (problem, exit 1)', () => {
    const s = readCase(join(ROOT, 'examples/xenserver-seed'));
    expect(s.hosts.find((h) => h.name === 'dom0')!.excerpts).toBeUndefined();
    const d = diagnose(s);
    expect([d.verdict, d.findings[0]!.code]).toEqual(['problem', 'vm-port-untagged']);
  });
});

describe('a patch peer the cut show does not show: what the excerpt may leave out, no misnaming (review10 P4)', () => {
  // [case, --lenient, subject, the finding's message, its fix]
  const rows: [string, boolean, string, string, string[]][] = [
    [
      'elatov-kolla-aio-vsctl-cut',
      false,
      'osa:br-int:patch-tun',
      'patch port patch-tun names peer patch-int, which no bridge in the case shows (the case has br-tun without its ports, which may hold it); osa/ovs-vsctl_show is an excerpt (cut after line 31, no `ovs_version:` line), so whether patch-int exists is unknown',
      [
        'ovs-vsctl show   # on osa: the whole output, not an excerpt',
        'ovs-ofctl show br-tun   # on osa: its ports with their numbers (is patch-int one?)',
      ],
    ],
    [
      // phy-br-ex is br-ex's end by Neutron's naming: br-tun is not offered as its holder.
      'elatov-kolla-aio-vsctl-cut',
      false,
      'osa:br-int:int-br-ex',
      'patch port int-br-ex names peer phy-br-ex, which no bridge in the case shows; osa/ovs-vsctl_show is an excerpt (cut after line 31, no `ovs_version:` line), so whether phy-br-ex exists is unknown',
      ['ovs-vsctl show   # on osa: the whole output, not an excerpt'],
    ],
    [
      'liuchao-havana-gre-md',
      true,
      'ComputeNode:br-int:patch-tun',
      'patch port patch-tun names peer patch-int, which no bridge in the case shows (the case has br-tun without its ports, which may hold it); ComputeNode/ovs-vsctl_show is an excerpt (cut after line 21, no `ovs_version:` line), so whether patch-int exists is unknown',
      [
        'ovs-vsctl show   # on ComputeNode: the whole output, not an excerpt',
        'ovs-ofctl show br-tun   # on ComputeNode: its ports with their numbers (is patch-int one?)',
      ],
    ],
  ];
  it.each(rows)('%s %s', (c, lenient, subject, message, fix) => {
    const d = diagnose(readCase(join(R10, c), { lenient }));
    const f = d.findings.filter((x) => x.subject === subject);
    expect(f.map((x) => [x.code, x.role, x.severity, x.message, x.fix])).toEqual([
      ['excerpt-unknown', 'gap', 'warning', message, fix],
    ]);
    expect(d.findings.some((x) => x.code === 'patch-peer-missing')).toBe(false);
  });
});

describe('`ovs-vsctl show | grep -E "Bridge|Port|tag|options"` saved under its sos name: a filtered excerpt (review10 P3)', () => {
  const file = 'compute1/ovs-vsctl_show_grep_-E_Bridge_Port_tag_options_';
  it.each<[string, ReturnType<typeof classify>]>([
    ['ovs-vsctl_show_grep_-E_Bridge_Port_tag_options_', { kind: 'vsctl-show' }],
    ['ovs-vsctl_show_grep_tag', { kind: 'vsctl-show' }],
    ['ovs-vsctl_-t_5_show', { kind: 'vsctl-show' }],
  ])('%s is an ovs-vsctl show by its name', (name, kind) => {
    expect(classify(name)).toEqual(kind);
  });
  it('read: one note naming the filter, an excerpt from line 1, no default asserted (was: fail_mode standalone (default))', () => {
    const s = readCase(join(R10, 'networkop-vxlan-grep'));
    const h = s.hosts[0]!;
    expect(
      s.diagnostics.filter((d) => d.file === file).map((d) => [d.severity, d.line, d.code, d.message]),
    ).toEqual([
      [
        'warning',
        0,
        'filtered',
        'read as an excerpt of `ovs-vsctl show` (`grep -E Bridge Port tag options` after it is the filter its output went through): the lines it kept are read; every fact it does not show (a bridge, port or interface, a fail_mode, tag, type or options) is unknown, none taken as absent or default',
      ],
    ]);
    expect(h.excerpts).toContainEqual({
      of: 'ovsdb',
      file,
      line: 1,
      collect: 'ovs-vsctl show',
      filter: 'grep -E Bridge Port tag options',
    });
    expect(h.bridges.map((b) => [b.name, b.failMode.known])).toEqual([
      ['br-tun', false],
      ['br-int', false],
    ]);
    // What the filter kept is read: the VM port's tag; an absent `tag:` line proves no "no tag".
    const ports = h.bridges.flatMap((b) => b.ports.map((p) => [p.name, p.tag.known ? p.tag.value : '?']));
    expect(ports).toContainEqual(['tap258336bc-4f', 5]);
    expect(ports).toContainEqual(['patch-tun', '?']);
    expect(
      h.bridges.flatMap((b) => b.ports.flatMap((p) => p.interfaces)).filter((i) => i.type.known),
    ).toEqual([]);
  });
  it('snapshot prints no default fail_mode for it', () => {
    const r = run('snapshot', join(R10, 'networkop-vxlan-grep'));
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('(default)');
    expect(r.stdout).toContain('  bridge br-int  fail_mode ?\n');
    expect(r.stdout).toContain(
      `gap: ${file} is filtered (\`grep -E Bridge Port tag options\`): what it does not show is unknown (collect the whole \`ovs-vsctl show\`)`,
    );
  });
});
