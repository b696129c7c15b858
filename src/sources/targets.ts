// Live targets on the command line: `local`, `netns:NAME`, `ssh://[user@]host[:port]`,
// `lab:HOST` (a host of the running lab), each optionally `name=` first (the host's name in the
// case) and `?sudo` last. Anything else is a case directory or sosreport.
import { existsSync } from 'node:fs';
import { LocalRunner, NETNS, type Runner, SshRunner, SUDO } from '../runner/runner.ts';
import { SAFE_NAME } from './collect.ts';
import { InputError } from './errors.ts';

export type TargetSpec =
  | { kind: 'local' }
  | { kind: 'netns'; ns: string }
  | { kind: 'ssh'; user?: string; host: string; port?: number }
  | { kind: 'lab'; host: string };

export interface Target {
  /** The host's folder name in the case (given with `name=`, else decided after `hostname`). */
  name?: string;
  spec: TargetSpec;
  sudo: boolean;
  text: string;
}

const TARGET =
  /^(?:([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=)?(local|netns:[^?]+|ssh:\/\/[^?]+|lab:[a-z0-9]+)(\?sudo)?$/;

export function isLiveTarget(arg: string): boolean {
  return TARGET.test(arg) && !existsSync(arg);
}

export function parseTarget(text: string): Target {
  const m = TARGET.exec(text);
  if (!m)
    throw new InputError('not a live target (local, netns:NAME, ssh://[user@]host[:port], lab:HOST)', text);
  const body = m[2]!;
  let spec: TargetSpec;
  if (body === 'local') spec = { kind: 'local' };
  else if (body.startsWith('netns:')) {
    const ns = body.slice(6);
    // `ip netns exec` takes no `--`: a name must not read as an option (collect's rule, SAFE_NAME).
    if (!SAFE_NAME.test(ns))
      throw new InputError(
        `namespace ${JSON.stringify(ns)} has characters outside [A-Za-z0-9_.-] or does not begin with a letter or digit`,
        text,
      );
    spec = { kind: 'netns', ns };
  } else if (body.startsWith('lab:')) spec = { kind: 'lab', host: body.slice(4) };
  else {
    const s =
      /^ssh:\/\/(?:([A-Za-z0-9_.][A-Za-z0-9_.-]*)@)?(\[[0-9A-Fa-f:]+\]|[A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d{1,5}))?\/?$/.exec(
        body,
      );
    if (!s) throw new InputError('bad ssh target: use ssh://[user@]host[:port]', text);
    spec = {
      kind: 'ssh',
      host: s[2]!.replace(/^\[|\]$/g, ''),
      ...(s[1] ? { user: s[1] } : {}),
      ...(s[3] ? { port: Number(s[3]) } : {}),
    };
  }
  return { ...(m[1] ? { name: m[1] } : {}), spec, sudo: m[3] !== undefined, text };
}

export interface RunnerOptions {
  /** Extra ssh options, e.g. ['-F', 'ssh_config'] or ['-i', 'key']. */
  sshArgs?: readonly string[];
  /** Every target with sudo. */
  sudo?: boolean;
}

/** The runner for a non-lab target (the lab builds its own; see lab/targets). */
export function runnerFor(t: Target, opts: RunnerOptions = {}): Runner {
  const sudo = t.sudo || opts.sudo ? SUDO : [];
  const s = t.spec;
  if (s.kind === 'local') return new LocalRunner(sudo, t.text);
  if (s.kind === 'netns') return new LocalRunner([...sudo, ...NETNS(s.ns)], t.text);
  if (s.kind === 'ssh') return new SshRunner(s, opts.sshArgs ?? [], sudo, t.text);
  throw new InputError('lab targets need the lab (vifpath opens it with --lab-dir)', t.text);
}
