// A hybrid-plugged VM (Neutron's iptables_hybrid driver: the VM's tap<id> on the Linux bridge
// qbr<id>, joined to br-int by the veth qvb<id>/qvo<id>): what the compute node's iptables filter
// table does with its DHCP exchange, evaluated rule by rule (firewall.ts) from its iptables-save.
// The bridge hands each frame it forwards to FORWARD (br_netfilter) with physdev naming the ports:
// the DISCOVER/REQUEST enters by tap<id> and leaves by qvb<id> (neutron-openvswi-FORWARD →
// neutron-openvswi-sg-chain → neutron-openvswi-o<id10>, whose "Allow DHCP client traffic" RETURN
// takes it), the OFFER/ACK enters by qvb<id> and leaves by tap<id> (→ neutron-openvswi-i<id10>,
// which must RETURN udp 67→68 from the DHCP port's address, else neutron-openvswi-sg-fallback
// drops it). The copy a broadcast also delivers to qbr itself (INPUT) does not reach the VM nor
// the server, so it does not matter here. Both are NEW (or untracked): neither is a reply to the
// other's tuple (0.0.0.0:68→255.255.255.255:67, server:67→VM or broadcast:68).
// A proven drop is the cause; a proven pass lets the verdict follow the flows; what the rules or
// the case leave open (an unmodelled match, the server's address, the save or the port's chains
// missing) is a gap naming what to collect. The bridge hands frames to iptables only when
// net.bridge.bridge-nf-call-iptables is 1 (br_netfilter: or the bridge's own nf_call_iptables
// option is set; the iptables_hybrid driver needs the sysctl): when the case says it is 1 that is
// cited; when it says 0, or that br_netfilter is not loaded, the chains decide nothing (no drop is
// claimed: hybrid-firewall-bypassed says the security groups are not enforced); when the case
// does not say, it is assumed 1, and printed.
import { type Evidence, type Fact, where } from '../../model/evidence.ts';
import { type BridgeNf, findExcerpt, type Host, type IptablesSave } from '../../model/snapshot.ts';
import { operands, shellWord } from '../../runner/runner.ts';
import type { DhcpServer, DoctorContext, VmPort } from '../context.ts';
import type { EvidenceItem, Finding } from '../finding.ts';
import type { Check } from './check.ts';
import { evid } from './check.ts';
import { excerptGap } from './excerpt.ts';
import {
  type Decider,
  evaluateChain,
  type FilterPacket,
  type FilterRule,
  type FilterTable,
} from './firewall.ts';

/** The hybrid plug's names for a qvo port (Neutron: the port id's first 11 characters; chains 10). */
export function hybridNames(
  qvo: string,
): { id: string; tap: string; qvb: string; qbr: string; ingress: string; egress: string } | undefined {
  const id = /^qvo(.+)$/.exec(qvo)?.[1];
  if (!id) return undefined;
  return {
    id,
    tap: `tap${id}`,
    qvb: `qvb${id}`,
    qbr: `qbr${id}`,
    ingress: `neutron-openvswi-i${id.slice(0, 10)}`,
    egress: `neutron-openvswi-o${id.slice(0, 10)}`,
  };
}

type Verdict =
  | { verdict: 'accept'; by: Decider[] }
  | { verdict: 'drop'; by: Decider[] }
  | { verdict: 'unknown'; unsure: { rule: FilterRule; why: string }[] };

/** One verdict over several packets (every address the case leaves possible): decided only when all agree. */
function combine(t: FilterTable, packets: FilterPacket[]): Verdict {
  const outs = packets.map((p) => evaluateChain(t, 'FORWARD', p));
  for (const v of ['accept', 'drop'] as const)
    if (outs.every((o) => o.verdict === v)) {
      const by = outs.flatMap((o) => (o.verdict === v ? o.by : []));
      return {
        verdict: v,
        by: by.filter((d, i) => by.findIndex((e) => deciderKey(e) === deciderKey(d)) === i),
      };
    }
  const unsure = outs.flatMap((o) => (o.verdict === 'unknown' ? o.unsure : []));
  if (unsure.length) return { verdict: 'unknown', unsure };
  // Some addresses pass, others drop: which the server sends from (or to) decides.
  return {
    verdict: 'unknown',
    unsure: outs.flatMap((o) =>
      o.verdict === 'unknown'
        ? []
        : o.by.flatMap((d) =>
            d.kind === 'rule'
              ? [{ rule: d.rule, why: "which address the server's reply carries decides" }]
              : [],
          ),
    ),
  };
}

const deciderKey = (d: Decider): string =>
  d.kind === 'rule'
    ? `${d.rule.chain}\u0000${d.rule.index}`
    : `p${d.chain}\u0000${d.last.chain}\u0000${d.last.index}`;

export function deciderText(d: Decider): string {
  if (d.kind === 'rule') return `${d.rule.chain} rule ${d.rule.index} \`${d.rule.text}\``;
  const where = d.last.index !== undefined ? ` (RETURNed by ${d.last.chain} rule ${d.last.index})` : '';
  return `${d.chain}'s policy ${d.policy}${where}`;
}

const deciderEvidence = (d: Decider): EvidenceItem =>
  d.kind === 'rule' ? evid(d.rule.text, d.rule.from) : evid(`:${d.chain} ${d.policy}`, d.from);

/** The VM's address from the DHCP agent's hosts file (by its MAC), when the case has it. */
function vmAddress(ctx: DoctorContext, vm: VmPort): string | undefined {
  if (!vm.mac) return undefined;
  const mac = vm.mac.toLowerCase();
  const ips = new Set(
    ctx.snapshot.hosts.flatMap((h) =>
      h.dhcpNetworks.flatMap((n) => (n.hosts ?? []).filter((e) => e.mac === mac && e.ip).map((e) => e.ip!)),
    ),
  );
  return ips.size === 1 ? [...ips][0] : undefined;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const num = (a: string): number => a.split('.').reduce((x, o) => ((x << 8) | Number(o)) >>> 0, 0);
const sameNet = (a: string, b: string, len: number): boolean =>
  len === 0 || num(a) >>> (32 - len) === num(b) >>> (32 - len);

/**
 * The addresses an OFFER can come from: every DHCP server's IPv4 addresses (not the metadata
 * 169.254.169.254 nor loopback), those on the VM's subnet when the VM's address is known and some
 * are. Every one is evaluated: a drop is proven only when each server's reply is dropped.
 */
function serverAddresses(servers: readonly DhcpServer[], vmIp: string | undefined): string[] {
  const all = servers.flatMap((srv) =>
    srv.device.addresses.filter(
      (a) => a.family === 'inet' && IPV4.test(a.address) && !/^(169\.254|127)\./.test(a.address),
    ),
  );
  const on = vmIp ? all.filter((a) => sameNet(a.address, vmIp, a.prefixlen)) : all;
  return [...new Set((on.length ? on : all).map((a) => a.address))];
}

const DHCP_STATES = ['NEW', 'UNTRACKED'] as const;

export const hybridFirewall: Check = {
  id: 'hybrid-firewall',
  title: "a hybrid plug's iptables chains drop the VM's DHCP",
  run(ctx) {
    const out: Finding[] = [];
    for (const vm of ctx.vms) {
      const n = hybridNames(vm.port.name);
      if (n) out.push(judge(ctx, vm, n));
    }
    return out;
  },
};

type Names = NonNullable<ReturnType<typeof hybridNames>>;

const NF_KEY = 'net.bridge.bridge-nf-call-iptables';

/** The sysctl's evidence: each source's line (a whole `sysctl -a` without the key: the file). */
function nfEvidence(nf: Extract<Fact<BridgeNf>, { known: true }>): EvidenceItem[] {
  return nf.from.map((e) =>
    evid(
      nf.value === 'not-loaded'
        ? e.line > 0
          ? `sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory`
          : `no ${NF_KEY} in ${e.file} (all of sysctl -a)`
        : `${NF_KEY} = ${nf.value === 'on' ? 1 : 0}`,
      e,
    ),
  );
}

/** What says whether qbr hands the VM's frames to iptables, when something in the case does. */
interface Handed {
  /** The sysctl's lines and/or the bridge's own option's line. */
  evidence: EvidenceItem[];
  /** In words, with file:line (after "qbr<id> hands them to iptables: "). */
  text: string;
}

/** The bridge's own nf_call_iptables option, as `ip -d link` gives it (Host.linuxBridges). */
function bridgeOption(vm: VmPort, qbr: string): Fact<boolean> | undefined {
  return vm.host.linuxBridges?.find((b) => b.name === qbr)?.nfCallIptables;
}

const optEvidence = (qbr: string, o: Extract<Fact<boolean>, { known: true }>): EvidenceItem[] =>
  o.from.map((e) => evid(`${qbr}: bridge … nf_call_iptables ${o.value ? 1 : 0}`, e));

function judge(ctx: DoctorContext, vm: VmPort, n: Names): Finding {
  const nf = vm.host.bridgeNfCallIptables;
  const opt = bridgeOption(vm, n.qbr);
  const at = (f: { from: Evidence[] }): string => f.from.map(where).join(', ');
  // br_netfilter_hooks.c: brnf_call_iptables || br_opt_get(br, BROPT_NF_CALL_IPTABLES), for a
  // bridge whose frames reach the hooks at all (br_netfilter loaded).
  if (opt?.known && opt.value && !(nf?.known && nf.value === 'not-loaded')) {
    const sys = nf?.known ? ` whatever ${NF_KEY} = ${nf.value === 'on' ? 1 : 0} (${at(nf)}) says` : '';
    return judgeRules(ctx, vm, n, nf, {
      evidence: [...optEvidence(n.qbr, opt), ...(nf?.known ? nfEvidence(nf) : [])],
      text: `its own nf_call_iptables is 1, ${at(opt)},${sys}`,
    });
  }
  if (nf?.known && nf.value === 'on')
    return judgeRules(ctx, vm, n, nf, { evidence: nfEvidence(nf), text: `${NF_KEY} = 1, ${at(nf)}` });
  const rules = judgeRules(ctx, vm, n, nf, undefined);
  if (!nf?.known) return rules;
  return bypassed(ctx, vm, n, nf, opt, rules);
}

/**
 * The host's bridges hand no frame to iptables (the sysctl 0 and the bridge's own option off or
 * not in the case, or br_netfilter not loaded): the port's chains decide nothing, for DHCP or
 * anything else. Not a cause of a DHCP failure, never a drop: an observation that the security
 * groups are not enforced, with what the save would do were the frames handed to iptables. The
 * sysctl is offered only when that passes both ways: it applies to every bridge of the host, so
 * when the save would drop (or what it would do is not known) the line is given commented out,
 * with what turning it on would do, and only read-only commands beside it.
 */
function bypassed(
  ctx: DoctorContext,
  vm: VmPort,
  n: Names,
  nf: Extract<Fact<BridgeNf>, { known: true }>,
  opt: Fact<boolean> | undefined,
  rules: Finding,
): Finding {
  const h = vm.host;
  const at = nf.from.map(where).join(', ');
  const optOff = opt?.known && !opt.value ? opt : undefined;
  const why =
    nf.value === 'off'
      ? `${NF_KEY} = 0 on ${h.name} (${at})${optOff ? ` and ${n.qbr}'s own nf_call_iptables is 0 (${optOff.from.map(where).join(', ')})` : ''}: ${optOff ? n.qbr : 'its Linux bridges'} do${optOff ? 'es' : ''} not hand the frames ${optOff ? 'it forwards' : 'they forward'} to iptables`
      : `br_netfilter is not loaded on ${h.name} (${at}: ${nf.from.some((e) => e.line > 0) ? `sysctl cannot stat ${NF_KEY}` : `all of sysctl -a, without ${NF_KEY}`}): no Linux bridge hands the frames it forwards to iptables${opt?.known && opt.value ? ` (${n.qbr}'s own nf_call_iptables 1 needs br_netfilter's hooks)` : ''}`;
  const assumed =
    nf.value === 'off' && !optOff
      ? ` (assumed: ${n.qbr}'s own nf_call_iptables option is off, as a bridge is created${opt && !opt.known ? `; the case does not settle it: ${opt.why}` : ''}; \`ip -d link show ${shellWord(n.qbr)}\` on ${h.name} says)`
      : '';
  const w = wouldDo(ctx, vm, n, rules);
  const chains = w.missing.length
    ? `${n.tap}'s security group chain${w.missing.length > 1 ? 's' : ''} ${w.missing.join(' nor ')} ${w.missing.length > 1 ? 'are' : 'is'} not in the save (${h.name}'s iptables-save), and iptables would not see its frames anyway: no security group is enforced for it on ${h.name}`
    : `${n.tap}'s security group chains (${n.egress}, ${n.ingress}) decide nothing for its DHCP, nor for any of its traffic: its security groups are not enforced on ${h.name}`;
  const on = `${nf.value === 'not-loaded' ? 'modprobe br_netfilter && ' : ''}sysctl -w ${NF_KEY}=1`;
  const fix = w.allowed
    ? [
        `${on}   # changes state, on ${h.name}: iptables then filters what its bridges forward and the security groups apply (persist it in /etc/sysctl.d/)`,
      ]
    : [
        ...w.readOnly,
        `# ${on}   # changes state, on ${h.name}: NOT YET, it applies to every bridge of ${h.name}: only once iptables-save shows ${w.firstly} and lets ${n.tap}'s DHCP through both ways`,
      ];
  return {
    code: 'hybrid-firewall-bypassed',
    role: 'observation',
    severity: 'warning',
    subject: `${h.name}:${vm.bridge.name}:${vm.port.name}`,
    message: `${why}, so ${chains} (Neutron's iptables_hybrid driver needs ${NF_KEY} = 1)${assumed}; ${w.text}`,
    evidence: [...nfEvidence(nf), ...(optOff ? optEvidence(n.qbr, optOff) : []), ...w.evidence],
    fix,
  };
}

/** A pass's rules, without its head nor what it says of the sysctl (which the bypass says instead). */
const passed = (m: string): string => {
  const body = m.replace(/^[^:]*: /, '');
  const cut = body.lastIndexOf(' (assumed: ');
  return cut < 0 ? body : body.slice(0, cut);
};

/** What the save would do to the VM's DHCP were its bridge's frames handed to iptables. */
function wouldDo(
  ctx: DoctorContext,
  vm: VmPort,
  n: Names,
  rules: Finding,
): {
  allowed: boolean;
  text: string;
  evidence: EvidenceItem[];
  readOnly: string[];
  firstly: string;
  missing: string[];
} {
  const h = vm.host;
  // The save the verdict rests on: the one its evidence cites (several saves), else the only one.
  const saves = h.iptables ?? [];
  const filter = (
    saves.find((sv) => rules.evidence.some((e) => e.file === sv.from.file)) ??
    (saves.length === 1 ? saves[0] : undefined)
  )?.filter;
  const missing = filter ? [n.egress, n.ingress].filter((c) => !filter.chains.some((x) => x.name === c)) : [];
  const forwardL = `iptables -L FORWARD -nv --line-numbers   # on ${h.name}: the policy and rules every bridged frame would meet`;
  const sysctlAsk = (x: string): boolean => x.startsWith(`sysctl ${NF_KEY} `);
  if (rules.code === 'hybrid-firewall-pass')
    return {
      allowed: true,
      text: `were they handed to iptables, its chains would let its DHCP through (${passed(rules.message)})`,
      evidence: [],
      readOnly: [],
      firstly: '',
      missing,
    };
  // The port's chains not in the save: what FORWARD does without them, all the same.
  const v =
    filter && (rules.code === 'hybrid-firewall-drop' || missing.length) && !findExcerpt(h, 'iptables', null)
      ? evaluateDhcp(ctx, vm, n, filter)
      : undefined;
  if (v?.verdict === 'drop') {
    const policy = v.by.find((d) => d.kind === 'policy' && d.chain === 'FORWARD' && d.policy === 'DROP');
    const every = policy
      ? `: FORWARD's policy DROP takes every bridged frame no rule accepts first, so every VM on ${h.name}'s Linux bridges would lose traffic — fix the chains/policy first`
      : '';
    return {
      allowed: false,
      text: `enabling ${NF_KEY}=1 would drop its DHCP: ${v.where}${every}`,
      evidence: v.by
        .map(deciderEvidence)
        .filter((e, i, a) => a.findIndex((x) => x.file === e.file && x.line === e.line) === i),
      readOnly: [...(missing.length ? rules.fix.filter((x) => !sysctlAsk(x)) : [rules.fix[0]!]), forwardL],
      firstly: policy
        ? `the port's chains (the agent's neutron-openvswi-FORWARD) or a FORWARD that accepts bridged traffic (now FORWARD's policy DROP would cut every bridged VM)`
        : `${n.ingress} with its DHCP rules (now ${n.tap} would lose DHCP)`,
      missing,
    };
  }
  const reason = missing.length
    ? `${n.tap}'s chains are not in the save${v?.verdict === 'accept' ? ' (FORWARD would let its DHCP through, with no security group applied)' : ''}`
    : rules.message;
  return {
    allowed: false,
    text: `what enabling ${NF_KEY}=1 would do to its DHCP, and to the other VMs on ${h.name}'s bridges, is not decided: ${reason}`,
    evidence: rules.evidence,
    readOnly: [...rules.fix.filter((x) => !sysctlAsk(x)), forwardL],
    firstly: `what FORWARD and ${n.tap}'s chains do to bridged frames`,
    missing,
  };
}

/** What the filter table's FORWARD does to the VM's DHCP, both ways, as qbr would hand it over. */
function evaluateDhcp(ctx: DoctorContext, vm: VmPort, n: Names, filter: FilterTable) {
  const bridgedOut = { bridge: n.qbr, in: n.tap, out: n.qvb };
  const discover = combine(filter, [
    {
      proto: 'udp',
      src: '0.0.0.0',
      dst: '255.255.255.255',
      sport: 68,
      dport: 67,
      local: false,
      bridged: bridgedOut,
      states: DHCP_STATES,
    },
  ]);
  const vmIp = vmAddress(ctx, vm);
  const srcs = serverAddresses(ctx.servers, vmIp);
  const dsts = [vmIp, '255.255.255.255'];
  const offer = combine(
    filter,
    (srcs.length ? srcs : [undefined]).flatMap((src) =>
      dsts.map(
        (dst): FilterPacket => ({
          proto: 'udp',
          ...(src ? { src } : {}),
          ...(dst ? { dst } : {}),
          sport: 67,
          dport: 68,
          local: false,
          bridged: { bridge: n.qbr, in: n.qvb, out: n.tap },
          states: DHCP_STATES,
        }),
      ),
    ),
  );
  const from = srcs.length ? srcs.join(' or ') : 'the DHCP server (its address is not in the case)';
  const what = {
    discover: `the DISCOVER/REQUEST (0.0.0.0:68 → 255.255.255.255:67, ${n.tap} → ${n.qvb})`,
    offer: `the OFFER/ACK (${from}:67 → ${vmIp ?? "the VM's address"} or 255.255.255.255:68, ${n.qvb} → ${n.tap})`,
  };
  const dirs = [
    ['discover', discover],
    ['offer', offer],
  ] as const;
  const dropped = dirs.filter(([, v]) => v.verdict === 'drop') as [
    'discover' | 'offer',
    Extract<Verdict, { verdict: 'drop' }>,
  ][];
  const where = dropped.map(([k, v]) => `${what[k]} at ${v.by.map(deciderText).join(' and at ')}`).join('; ');
  const by = dropped.flatMap(([, v]) => v.by);
  return {
    discover,
    offer,
    vmIp,
    srcs,
    what,
    dirs,
    dropped,
    where,
    by,
    verdict: dropped.length
      ? ('drop' as const)
      : dirs.every(([, v]) => v.verdict === 'accept')
        ? ('accept' as const)
        : ('unknown' as const),
  };
}

/** What the gap says when the case leaves a hybrid plug's firewall open: the commands that settle it. */
function gapOf(vm: VmPort, handed: Handed | undefined) {
  const h = vm.host;
  const subject = `${h.name}:${vm.bridge.name}:${vm.port.name}`;
  return (message: string, fix: string[], evidence: EvidenceItem[] = []): Finding => ({
    code: 'hybrid-firewall-unknown',
    role: 'gap',
    severity: 'warning',
    subject,
    message,
    evidence,
    // What the case does not say of the sysctl settles whether these chains matter at all.
    fix: handed
      ? fix
      : [
          ...fix,
          `sysctl ${NF_KEY}   # on ${h.name}: 0, or no such key (br_netfilter not loaded), and iptables sees no bridged frame: the chains decide nothing`,
        ],
  });
}

/**
 * Every iptables save of the host judged on its own. Several that differ (iptables-nft's and
 * iptables-legacy's rule sets can both hook the kernel: a packet either drops is dropped): a
 * proven drop in any is the drop, citing its file; all passing is a pass; anything else is a gap
 * naming each file and what it says. Never one save picked in silence.
 */
function judgeRules(
  ctx: DoctorContext,
  vm: VmPort,
  n: Names,
  nf: Fact<BridgeNf> | undefined,
  handed: Handed | undefined,
): Finding {
  const h = vm.host;
  const saves = h.iptables ?? [];
  if (saves.length === 0)
    return gapOf(vm, handed)(
      `whether iptables on ${h.name} lets ${n.tap}'s DHCP through ${n.qbr} is unknown: the case has no iptables-save of ${h.name}`,
      [saveCommand(h.name, n)],
    );
  if (saves.length === 1)
    return judgeSave(ctx, vm, n, nf, handed, saves[0]!, h.name, `${h.name}'s iptables-save`);
  const each = saves.map((sv) => ({
    file: sv.from.file,
    f: judgeSave(ctx, vm, n, nf, handed, sv, `${h.name} (${sv.from.file})`, `${h.name}'s ${sv.from.file}`),
  }));
  const files = each.map((x) => x.file).join(' and ');
  const several = `${h.name} has ${saves.length} iptables saves that differ (${files}): iptables-nft's and iptables-legacy's rule sets can both hook the kernel, and what either drops is dropped`;
  const now = `iptables-nft-save -t filter; iptables-legacy-save -t filter   # on ${h.name}: which rule sets the kernel holds now (one of ${files} may be an older save)`;
  const dedupe = (ev: EvidenceItem[]) =>
    ev.filter(
      (e, i) => ev.findIndex((x) => x.file === e.file && x.line === e.line && x.text === e.text) === i,
    );
  const drops = each.filter((x) => x.f.code === 'hybrid-firewall-drop');
  if (drops.length) {
    const d = drops[0]!.f;
    return {
      ...d,
      message: `${drops.map((x) => x.f.message).join('; ')} (${several})`,
      ...(d.confirm ? { confirm: `${d.confirm}; ${now}` } : {}),
      evidence: dedupe(drops.flatMap((x) => x.f.evidence)),
    };
  }
  if (each.every((x) => x.f.code === 'hybrid-firewall-pass'))
    return {
      ...each[0]!.f,
      message: each.map((x) => x.f.message).join('; and '),
      evidence: dedupe(each.flatMap((x) => x.f.evidence)),
    };
  return gapOf(vm, handed)(
    `whether iptables on ${h.name} lets ${n.tap}'s DHCP through ${n.qbr} is unknown: ${several}, and they do not settle it: ${each
      .map((x) => `${x.file}: ${x.f.message}`)
      .join('; ')}`,
    [...new Set([...each.flatMap((x) => x.f.fix), now])],
    dedupe(each.flatMap((x) => x.f.evidence)),
  );
}

const saveCommand = (host: string, n: Names): string =>
  `iptables-save -t filter   # on ${host}: chains ${n.egress} and ${n.ingress}, which decide ${n.tap}'s DHCP`;

/** One save's verdict; `on` names the host (and the file, when it has several), `saveName` the save. */
function judgeSave(
  ctx: DoctorContext,
  vm: VmPort,
  n: Names,
  nf: Fact<BridgeNf> | undefined,
  handed: Handed | undefined,
  sv: IptablesSave,
  on: string,
  saveName: string,
): Finding {
  const h = vm.host;
  const subject = `${h.name}:${vm.bridge.name}:${vm.port.name}`;
  const gap = gapOf(vm, handed);
  const save = saveCommand(h.name, n);
  const filter = sv.filter;
  if (!filter)
    return gap(
      `whether iptables on ${on} lets ${n.tap}'s DHCP through ${n.qbr} is unknown: ${saveName} has no filter table`,
      [save],
      [evid(`${sv.rules} rule(s), no *filter`, sv.from)],
    );
  const missing = [n.egress, n.ingress].filter((c) => !filter.chains.some((x) => x.name === c));
  const ids = vm.port.interfaces[0]?.externalIds;
  const portId = ids?.known ? ids.value['iface-id'] : undefined;
  const portShow = `openstack port show -c security_group_ids -c port_security_enabled ${portId ? operands(portId) : '<port-id: the case has no iface-id for it>'}   # the port's security groups (port security off: the agent sets up no chains)`;
  if (missing.length)
    return gap(
      `${saveName} has no chain ${missing.join(' nor ')}: the agent has not set up ${n.tap}'s security group chains (port security off, the port not yet processed, or a save from before), so what iptables does to its DHCP is unknown`,
      [save, portShow],
      [evid(`${filter.chains.length} chains in *filter`, sv.from)],
    );
  const { discover, offer, srcs, what, dirs, dropped, where } = evaluateDhcp(ctx, vm, n, filter);
  if (dropped.length) {
    const evidence = dropped.flatMap(([, v]) => v.by.map(deciderEvidence));
    const cut = excerptOf(h, sv);
    if (cut)
      return excerptGap(
        h,
        cut,
        subject,
        `iptables on ${on} drops ${where}`,
        'whether a rule it leaves out lets it through first',
        evidence,
      );
    const offerDrop = dropped.some(([k]) => k === 'offer');
    return {
      code: 'hybrid-firewall-drop',
      severity: 'error',
      subject,
      message: `iptables on ${on} drops ${n.tap}'s DHCP in ${n.qbr}: ${where}${handed ? ` (${n.qbr} hands them to iptables: ${handed.text})` : ''}`,
      rootCause: offerDrop
        ? `${n.ingress} has no rule that RETURNs the DHCP server's reply (udp 67→68${srcs.length ? ` from ${srcs.join(' or ')}` : ''}) before it falls to the drop: the agent built the port's chains without the network's DHCP port address (or a security-group rule set replaced them)`
        : `${n.egress} does not RETURN the VM's DHCP request (udp 68→67) before it reaches the drop`,
      confirm: `iptables -L ${shellWord(offerDrop ? n.ingress : n.egress)} -nv --line-numbers   # on ${h.name}: the drop's counters grow while the VM asks for an address${handed ? '' : ` (they stay at 0 if ${NF_KEY}=0: then iptables never sees bridged frames)`}`,
      evidence: [...evidence, ...(handed?.evidence ?? [])],
      fix: [
        portShow,
        `# changes state, on ${h.name}: restart the Open vSwitch agent (neutron-openvswitch-agent, or as the distribution names it) so it rebuilds ${offerDrop ? n.ingress : n.egress} with the DHCP rules`,
      ],
    };
  }
  const open = dirs.filter(([, v]) => v.verdict === 'unknown') as [
    'discover' | 'offer',
    Extract<Verdict, { verdict: 'unknown' }>,
  ][];
  if (open.length) {
    // A rule both directions (or the OFFER to the VM's address and to broadcast) hang on is one rule.
    const seen = new Set<string>();
    const unsure = open
      .flatMap(([, v]) => v.unsure)
      .filter((u) => {
        const k = `${u.rule.chain}\u0000${u.rule.index ?? ''}\u0000${u.rule.text}`;
        return !seen.has(k) && seen.add(k);
      })
      .slice(0, 4);
    const chains = [...new Set(unsure.map((u) => u.rule.chain))];
    return gap(
      `whether iptables on ${on} lets ${open.map(([k]) => what[k]).join(' and ')} through ${n.qbr} depends on ${unsure
        .map(
          (u) =>
            `${u.rule.index ? `${u.rule.chain} rule ${u.rule.index} ` : ''}\`${u.rule.text}\` (${u.why})`,
        )
        .join(', ')}`,
      chains.map(
        (c) =>
          `iptables -L ${shellWord(c)} -nv --line-numbers   # on ${h.name}: the counters say which rule ${n.tap}'s DHCP hits`,
      ),
      unsure.map((u) => evid(u.rule.text, u.rule.from)),
    );
  }
  const cut = excerptOf(h, sv);
  if (cut)
    return excerptGap(
      h,
      cut,
      subject,
      `iptables on ${on} lets ${n.tap}'s DHCP through`,
      'whether a rule it leaves out drops it first',
      [],
    );
  const ev = [
    ...dirs.flatMap(([, v]) => (v.verdict === 'accept' ? v.by.map(deciderEvidence) : [])),
    ...(handed?.evidence ?? []),
  ];
  const handedText = handed
    ? `${n.qbr} hands them to iptables: ${handed.text}`
    : `assumed: ${n.qbr} hands frames to iptables, ${NF_KEY}=1, as the iptables_hybrid driver needs${nf && !nf.known ? `; the case does not settle it: ${nf.why}` : ''}`;
  return {
    code: 'hybrid-firewall-pass',
    role: 'observation',
    severity: 'info',
    subject,
    message: `iptables on ${on} lets ${n.tap}'s DHCP through ${n.qbr}: ${what.discover} is accepted at ${(discover as Extract<Verdict, { by: Decider[] }>).by.map(deciderText).join(' and at ')}; ${what.offer} at ${(offer as Extract<Verdict, { by: Decider[] }>).by.map(deciderText).join(' and at ')} (${handedText})`,
    evidence: ev.filter((e, i) => ev.findIndex((x) => x.file === e.file && x.line === e.line) === i),
    fix: [],
  };
}

/** The excerpt note of this save's own file, if it is one. */
const excerptOf = (h: Host, sv: IptablesSave) =>
  h.excerpts?.find((x) => x.of === 'iptables' && x.file === sv.from.file) ??
  (h.iptables?.length === 1 ? findExcerpt(h, 'iptables', null) : undefined);
