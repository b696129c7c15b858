// `vifpath serve`: node:http on 127.0.0.1. Read-only: GET and HEAD only, every answer computed from
// the case as read (a trace is simulated, never sent). Each case is read on first use; a case that
// cannot be read gets an error page and is tried again on the next request, the server stays up.
//
// API (the JSON the CLI prints; the page uses nothing else):
//   GET /c/<n>/api/snapshot            = vifpath snapshot <case> --json
//   GET /c/<n>/api/diagnosis           = vifpath diagnose <case> --json  (verdict, headline, findings, collectNext)
//   GET /c/<n>/api/trace?from=host:port&packet=dhcp-discover|dhcp-offer|fields[&mac=M]
//                                      = vifpath trace <case> --from … --packet … --json
//   GET /c/<n>/api/view                the topology graph, flow tables and finding → element links the page draws
//   GET /c/<n>/                        the page;  GET /  the page of the only case, or the list of cases
//   GET /assets/<name>                 the page's scripts and styles (cytoscape, elkjs, app.js, app.css)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { givenMacPort } from '../doctor/context.ts';
import { diagnose } from '../doctor/diagnose.ts';
import { traceProven } from '../doctor/proof.ts';
import { VifpathError } from '../errors/errors.ts';
import { type Snapshot, toJson } from '../model/snapshot.ts';
import { escapeControl } from '../text/escape.ts';
import { type DiagnosisJson, diagnosisJson, traceJson } from './adapt.ts';
import { ASSETS, asset, errorPage, escapeHtml, servedPage } from './page.ts';
import { buildView, type View } from './view.ts';

export interface CaseSource {
  /** What the case is called on the page (its directory, or the live targets). */
  name: string;
  /** Reads the case; throws (or rejects with) a VifpathError (file and line) when it cannot. */
  load: () => Snapshot | Promise<Snapshot>;
}

export interface ServeOptions {
  port?: number;
  /** Default 127.0.0.1. Anything else needs `allowRemote` (the CLI's explicit `--listen`). */
  host?: string;
  allowRemote?: boolean;
  vm?: string;
  /** The VM's MAC where the case does not give it (diagnose --mac): diagnosed and traced with it. */
  mac?: string;
}

interface Getter {
  /** Reads case i once (requests for it meanwhile wait on the same reading); a failure is not kept. */
  read: (i: number) => Promise<Snapshot>;
  /** Case i, once read. */
  snap: (i: number) => Snapshot;
  full: (i: number) => Loaded;
  /** `--mac`'s VM port of case i (`host:port`) and its MAC, when the server was given one. */
  given: (i: number) => { from: string; mac: string } | undefined;
}

interface Loaded {
  snap: Snapshot;
  diagnosis: DiagnosisJson;
  view: View;
}

export class ServeError extends VifpathError {}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether a request's Host header names a loopback host (any port; absent: an HTTP/1.0 client). */
export function loopbackHostHeader(h: string | undefined): boolean {
  if (h === undefined) return true;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(h.trim().toLowerCase());
  return m !== null && isLoopback(m[1] ?? m[2]!);
}

/** Everything the page needs from one case, computed once. */
export function loadCase(snap: Snapshot, vm?: string, mac?: string): Loaded {
  const opts = { ...(vm !== undefined ? { vm } : {}), ...(mac !== undefined ? { mac } : {}) };
  const diagnosis = diagnosisJson(diagnose(snap, opts));
  return { snap, diagnosis, view: buildView(snap, diagnosis, opts) };
}

export interface Running {
  server: Server;
  url: string;
  close: () => Promise<void>;
}

export async function serve(cases: readonly CaseSource[], o: ServeOptions = {}): Promise<Running> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host) && !o.allowRemote)
    throw new ServeError(
      `refusing to listen on ${host}: the page shows the whole case to anyone who can reach it; give --listen ${host} to mean it`,
    );
  // Reading a case is quick and says whether it is readable; diagnosing it (a trace per VM) is
  // not, so the page is answered once the case is read and the diagnosis waits for the API.
  const snaps = new Map<number, Snapshot>();
  const reading = new Map<number, Promise<Snapshot>>();
  const loaded = new Map<number, Loaded>();
  const read = (i: number): Promise<Snapshot> => {
    let r = reading.get(i);
    if (!r) {
      r = (async () => cases[i]!.load())().then(
        (x) => {
          snaps.set(i, x);
          return x;
        },
        (e: unknown) => {
          reading.delete(i);
          throw e;
        },
      );
      reading.set(i, r);
    }
    return r;
  };
  const snap = (i: number): Snapshot => {
    const x = snaps.get(i);
    if (!x) throw new Error(`case ${i} used before it was read`);
    return x;
  };
  const get: Getter = {
    read,
    snap,
    given: (i) => (o.mac !== undefined ? givenMacPort(snap(i), o.mac, o.vm) : undefined),
    full: (i) => {
      let l = loaded.get(i);
      if (!l) {
        l = loadCase(snap(i), o.vm, o.mac);
        loaded.set(i, l);
      }
      return l;
    },
  };
  // Listening on loopback only, a request must also name a loopback host: a page of another site
  // whose name was made to resolve to 127.0.0.1 (DNS rebinding) names its own, and gets nothing.
  const loopbackOnly = isLoopback(host);
  const server = createServer((req, res) => {
    try {
      if (loopbackOnly && !loopbackHostHeader(req.headers.host)) {
        send(
          res,
          421,
          'application/json',
          JSON.stringify({
            error: 'this server answers only to a loopback Host (localhost, 127.0.0.1, [::1])',
          }),
        );
        return;
      }
      handle(req, res, cases, get).catch((e: unknown) => fail(res, e));
    } catch (e) {
      fail(res, e);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${shown}:${addr.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};
const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src blob:";

/** Answers the request (true: answered, so handlers can `return send(...)`). */
function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): true {
  res.writeHead(status, {
    ...HEADERS,
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
  return true;
}

function json(res: ServerResponse, status: number, value: unknown): true {
  return send(res, status, 'application/json', typeof value === 'string' ? value : toJson(value));
}

function errorText(e: unknown): string {
  return e instanceof VifpathError ? e.oneLine() : String((e as Error)?.message ?? e);
}

/** The query parameters each API takes; anything else is refused, never ignored. */
const API_PARAMS: Record<string, readonly string[]> = { '/api/trace': ['from', 'packet', 'mac', 'to'] };

/**
 * A parameter the endpoint does not take (`bogus=1`), or one given twice (`from=a&from=b`, `to=a&to=b`:
 * a reply goes to one VM): the request is refused naming it, never answered for part of it or for
 * the last value only.
 */
function queryError(q: URLSearchParams, allowed: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const k of q.keys()) {
    if (!allowed.includes(k))
      return escapeControl(
        `${k}: not a parameter of this API${allowed.length ? ` (it takes ${allowed.join(', ')})` : ' (it takes none)'}`,
      );
    if (seen.has(k))
      return escapeControl(`${k}: given twice (${q.getAll(k).join(', ')}): it takes one value`);
    seen.add(k);
  }
  return undefined;
}

/** A bug must not take the server down; the answer says what happened. */
function fail(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, 500, 'application/json', JSON.stringify({ error: String((e as Error)?.message ?? e) }));
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  cases: readonly CaseSource[],
  get: Getter,
): Promise<true> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'application/json', JSON.stringify({ error: 'read-only: GET and HEAD only' }), {
      allow: 'GET, HEAD',
    });
    return true;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/favicon.ico') {
    res.writeHead(204, HEADERS);
    res.end();
    return true;
  }
  if (path.startsWith('/assets/')) {
    const name = path.slice('/assets/'.length);
    const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!a) return send(res, 404, 'text/plain', 'no such asset');
    return send(res, 200, a.type, asset(name));
  }
  if (path === '/') {
    if (cases.length === 1) {
      res.writeHead(302, { ...HEADERS, location: '/c/0/' });
      res.end();
      return true;
    }
    const items = cases.map((c, i) => `<li><a href="/c/${i}/">${escapeHtml(c.name)}</a></li>`).join('');
    return send(
      res,
      200,
      'text/html',
      `<!doctype html><meta charset="utf-8"><title>vifpath</title><h1>vifpath</h1><ul>${items}</ul>`,
    );
  }
  const m = /^\/c\/(\d+)(\/.*)?$/.exec(path);
  const i = m ? Number(m[1]) : -1;
  if (!m || i >= cases.length) return send(res, 404, 'text/plain', 'not found');
  const rest = m[2] ?? '';
  if (rest === '') {
    res.writeHead(302, { ...HEADERS, location: `/c/${i}/` });
    res.end();
    return true;
  }
  const isApi = rest.startsWith('/api/');
  if (isApi) {
    const bad = queryError(url.searchParams, API_PARAMS[rest] ?? []);
    if (bad) return json(res, 400, { error: bad });
  }
  try {
    await get.read(i);
  } catch (e) {
    const msg = errorText(e);
    if (isApi) return json(res, 422, { error: msg });
    return send(res, 422, 'text/html', errorPage(cases[i]!.name, msg));
  }
  switch (rest) {
    case '/':
      return send(res, 200, 'text/html', servedPage(), { 'content-security-policy': PAGE_CSP });
    case '/api/view':
    case '/api/diagnosis': {
      // Diagnosing can refuse the case too (a --vm this case does not hold): said, not a 500.
      let l: Loaded;
      try {
        l = get.full(i);
      } catch (e) {
        if (e instanceof VifpathError) return json(res, 422, { error: errorText(e) });
        throw e;
      }
      return json(res, 200, rest === '/api/view' ? l.view : l.diagnosis);
    }
    case '/api/snapshot':
      return json(res, 200, get.snap(i));
    case '/api/trace': {
      const from = url.searchParams.get('from');
      const packet = url.searchParams.get('packet') ?? 'dhcp-discover';
      if (!from) return json(res, 400, { error: 'from=<host>:<port> is required' });
      try {
        // The VM --mac gives the MAC of is traced with it unless the request names another.
        const given = get.given(i);
        const mac = url.searchParams.get('mac') || (given?.from === from ? given.mac : undefined);
        // to: where it should arrive, as trace --to (a reply preset: the VM it goes to).
        const to = url.searchParams.get('to');
        return json(
          res,
          200,
          traceJson(
            traceProven(get.snap(i), { from, packet, ...(mac ? { mac } : {}), ...(to ? { to: [to] } : {}) }),
          ),
        );
      } catch (e) {
        if (e instanceof VifpathError) return json(res, 400, { error: errorText(e) });
        throw e;
      }
    }
    default:
      return send(res, 404, 'text/plain', 'not found');
  }
}
