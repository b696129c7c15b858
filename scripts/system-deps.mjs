// Installs the Debian packages the test suite needs when they are missing (as root), otherwise
// stops with the list. Tests never skip for a missing dependency: this is where it gets fixed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** Debian package -> a file it installs, used to tell whether it is present. */
export const PACKAGES = {
  'openvswitch-switch': '/usr/sbin/ovs-vswitchd',
  'openvswitch-common': '/usr/bin/ovs-ofctl',
  'python3-openvswitch': '/usr/lib/python3/dist-packages/ovs/flow/ofp.py',
  'python3-netaddr': '/usr/lib/python3/dist-packages/netaddr/__init__.py',
  'python3-pyparsing': '/usr/lib/python3/dist-packages/pyparsing/__init__.py',
  'dnsmasq-base': '/usr/sbin/dnsmasq',
  'isc-dhcp-client': '/sbin/dhclient',
  tcpdump: '/usr/bin/tcpdump',
  ethtool: '/usr/sbin/ethtool',
  iproute2: '/usr/bin/ip',
  iptables: '/usr/sbin/iptables-save',
  'xz-utils': '/usr/bin/xz',
  // ssh runner tests: sshd runs only inside a namespace a test created, never as a host service.
  'openssh-server': '/usr/sbin/sshd',
  'openssh-client': '/usr/bin/ssh',
  sudo: '/usr/bin/sudo',
  // web tests: playwright-core drives Debian's browser (never a downloaded one).
  chromium: '/usr/bin/chromium',
};

const POLICY = '/usr/sbin/policy-rc.d';

function present(file) {
  return spawnSync('test', ['-e', file]).status === 0;
}

export function ensureSystemDeps() {
  const missing = Object.entries(PACKAGES)
    .filter(([, file]) => !present(file))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(
      `vifpath tests need these Debian packages: ${missing.join(' ')}\n` +
        `run as root so the test command can install them, or: sudo apt-get install -y ${missing.join(' ')}`,
    );
    process.exit(2);
  }
  console.error(`installing missing system packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  // policy-rc.d exit 101: packages must not start their services (sshd on port 22, the
  // system's OVS); tests start private daemons themselves.
  const ownPolicy = !existsSync(POLICY);
  if (ownPolicy)
    writeFileSync(POLICY, '#!/bin/sh\n# vifpath: no service starts during test setup\nexit 101\n', {
      mode: 0o755,
    });
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      stdio: 'inherit',
      env,
    });
  } finally {
    if (ownPolicy) rmSync(POLICY, { force: true });
  }
  const still = Object.entries(PACKAGES).filter(([, file]) => !present(file));
  if (still.length > 0) {
    console.error(`still missing after apt-get install: ${still.map(([p, f]) => `${p} (${f})`).join(', ')}`);
    process.exit(2);
  }
}

// Run directly (the benches' npm pre-scripts): a bench with a real peer (ovs.flow, ovs-vswitchd,
// tcpdump, chromium) installs what it measures against instead of dying on a stack trace.
if (import.meta.url === `file://${process.argv[1]}`) ensureSystemDeps();
