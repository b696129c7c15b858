// Captures real OVS 3.1 outputs into src/parse/fixtures/ovs31-neutron/ (a sosreport-like host
// folder). Run as root: `node --import tsx scripts/capture-fixtures.ts [outdir]`. Every file is
// the unedited stdout+stderr of the command its name says (as sosreport stores them).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNeutronBridges } from '../src/lab/neutron-bridges.ts';
import { OvsInstance } from '../src/lab/ovs-instance.ts';
import { sosName } from '../src/sources/file-kinds.ts';

const out = process.argv[2] ?? 'src/parse/fixtures/ovs31-neutron';
const tag = `vifcap${process.pid}`;
const dir = `/tmp/${tag}`;
rmSync(out, { recursive: true, force: true });
const ovsDir = join(out, 'sos_commands/openvswitch');
const netDir = join(out, 'sos_commands/networking');
mkdirSync(ovsDir, { recursive: true });
mkdirSync(netDir, { recursive: true });

const ovs = await OvsInstance.start({ dir, netns: tag });
try {
  await buildNeutronBridges(ovs);
  // Put some packets through so counters are not all zero.
  for (const pkt of [
    'in_port=tapvm1,udp,dl_src=fa:16:3e:11:22:33,dl_dst=ff:ff:ff:ff:ff:ff,nw_src=0.0.0.0,nw_dst=255.255.255.255,udp_src=68,udp_dst=67',
    'in_port=int-br-phys,dl_vlan=1041,dl_src=fa:16:3e:aa:bb:cc,dl_dst=fa:16:3e:11:22:33',
  ])
    await ovs.appctl('ofproto/trace', 'br-int', pkt, '-generate');
  const save = async (argv: string[], sub = ovsDir, name = sosName(argv)): Promise<void> => {
    const r = await ovs.exec(
      argv[0] === 'ovs-appctl'
        ? ['ovs-appctl', '-t', join(ovs.run, 'ovs-vswitchd.ctl'), ...argv.slice(1)]
        : argv,
    );
    writeFileSync(join(sub, name), r.stdout + r.stderr);
  };
  const bridges = ['br-int', 'br-phys', 'br-tun', 'br-of13'];
  await save(['ovs-vsctl', '-t', '5', 'show']);
  await save(['ovs-vsctl', '-t', '5', 'list-br']);
  for (const t of ['bridge', 'port', 'interface', 'Open_vSwitch'])
    await save(['ovs-vsctl', '-t', '5', 'list', t]);
  for (const t of ['Bridge', 'Port', 'Interface']) await save(['ovs-vsctl', '--format=json', 'list', t]);
  await save([
    'ovs-vsctl',
    '--format=json',
    '--pretty',
    '--columns=name,ofport,type,options',
    'list',
    'Interface',
  ]);
  for (const br of bridges) {
    await save(['ovs-ofctl', 'show', br]);
    await save(['ovs-ofctl', '-O', 'OpenFlow13', 'show', br]);
    await save(['ovs-ofctl', 'dump-flows', br]);
    await save(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br]);
    await save(['ovs-ofctl', '-O', 'OpenFlow13', 'dump-flows', br, '--no-stats']);
    await save(['ovs-ofctl', '-O', 'OpenFlow13', '--names', 'dump-flows', br]);
    await save(['ovs-ofctl', 'dump-ports-desc', br]);
    await save(['ovs-appctl', 'fdb/show', br]);
  }
  await save(['ovs-ofctl', '-O', 'OpenFlow14', 'dump-flows', 'br-phys']);
  await save(['ovs-ofctl', 'dump-flows', 'br-int', '--no-stats']);
  await save(['ovsdb-client', 'dump', `unix:${ovs.dbSock}`], ovsDir, 'ovsdb-client_dump');
  await save(
    ['ovsdb-client', '-f', 'list', 'dump', `unix:${ovs.dbSock}`],
    ovsDir,
    'ovsdb-client_-f_list_dump',
  );
  // A monitor running while a port is added, numbered and deleted, in text and JSON form.
  for (const [fmt, name] of [
    [[], 'ovsdb-client_monitor_Interface_name_ofport'],
    [['--format=json'], 'ovsdb-client_--format_json_monitor_Interface_name_ofport'],
    [[], 'ovsdb-client_monitor_Port_name_tag_trunks'],
  ] as const) {
    const cols = name.includes('Port') ? ['Port', 'name,tag,trunks'] : ['Interface', 'name,ofport'];
    const child = spawn(
      'ip',
      ovs.wrap(['ovsdb-client', ...fmt, 'monitor', `unix:${ovs.dbSock}`, 'Open_vSwitch', ...cols]).slice(1),
    );
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      text += b.toString();
    });
    await new Promise((r) => setTimeout(r, 300));
    await ovs.vsctl(
      'add-port',
      'br-int',
      'vif17.0',
      'tag=1',
      '--',
      'set',
      'interface',
      'vif17.0',
      'type=internal',
    );
    await ovs.vsctl('set', 'port', 'vif17.0', 'tag=4095');
    await ovs.vsctl('set', 'port', 'vif17.0', 'tag=2', 'trunks=1,2');
    await ovs.vsctl('del-port', 'vif17.0');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    await new Promise((r) => child.on('close', r));
    writeFileSync(join(ovsDir, name), text);
  }
  const nsArgs = (argv: string[]): string[] => argv;
  for (const argv of [
    ['ip', '-d', 'address'],
    ['ip', '-o', 'addr'],
    ['ip', '-j', 'addr'],
    ['ip', 'address', 'show'],
  ])
    await save(nsArgs(argv), netDir);
  mkdirSync(join(out, 'etc/openvswitch'), { recursive: true });
  copyFileSync(ovs.db, join(out, 'etc/openvswitch/conf.db'));
  const version = (await ovs.exec(['ovs-vswitchd', '--version'])).stdout.split('\n')[0];
  writeFileSync(
    join(out, 'README.md'),
    `# Real OVS outputs: neutron-style bridges\n\nCaptured ${new Date().toISOString().slice(0, 10)} with ${version} (Debian 12, userspace netdev datapath) by\n\`node --import tsx scripts/capture-fixtures.ts\` (as root): a private ovsdb-server/ovs-vswitchd in a\nnetwork namespace, bridges built by \`src/lab/neutron-bridges.ts\` (br-int with tagged, trunk,\nnative-VLAN, dead-VLAN and missing-device ports, neutron firewall tables with ct, conjunction and\nlearn; br-phys; br-tun with vxlan and learn; br-of13 restricted to OpenFlow13), two packets\nsent through \`ofproto/trace -generate\`, then each command run and its stdout+stderr stored\nunder its sosreport name. \`etc/openvswitch/conf.db\` is the instance's database file.\nThe monitor files ran while vif17.0 was added, retagged (4095, then 2 with trunks 1,2) and\ndeleted.\n`,
  );
  console.log(`fixtures written to ${out}`);
} finally {
  await ovs.stop();
  rmSync(dir, { recursive: true, force: true });
}
