// OVSDB remotes as ovs-vsctl --db spells them: unix:PATH, tcp:HOST:PORT, ssl:HOST:PORT
// (IPv6 hosts in brackets). Opening one gives a byte stream; nothing else here knows sockets.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Remote = { kind: 'unix'; path: string } | { kind: 'tcp' | 'ssl'; host: string; port: number };

export interface SslFiles {
  /** PEM texts (not paths): the private key, its certificate and the CA that signed the server's. */
  key: string | Buffer;
  cert: string | Buffer;
  ca: string | Buffer;
}

export class RemoteError extends Error {}

export function parseRemote(text: string): Remote {
  if (text.startsWith('unix:') && text.length > 5) return { kind: 'unix', path: text.slice(5) };
  const m = /^(tcp|ssl):(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (m) {
    const port = Number(m[4]);
    if (port > 0 && port < 65536) return { kind: m[1] as 'tcp' | 'ssl', host: m[2] ?? m[3]!, port };
  }
  throw new RemoteError(
    `bad OVSDB remote ${JSON.stringify(text)}: use unix:/run/openvswitch/db.sock, tcp:HOST:6640 or ssl:HOST:6640`,
  );
}

export function remoteText(r: Remote): string {
  if (r.kind === 'unix') return `unix:${r.path}`;
  return `${r.kind}:${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
}

/** Connect, or fail within timeoutMs (or when `signal` aborts: the socket is destroyed). */
export function openRemote(
  r: Remote,
  timeoutMs: number,
  ssl?: SslFiles,
  signal?: AbortSignal,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RemoteError(`${remoteText(r)}: connection abandoned`));
      return;
    }
    let sock: Socket;
    const ready = r.kind === 'ssl' ? 'secureConnect' : 'connect';
    if (r.kind === 'unix') sock = netConnect({ path: r.path });
    else if (r.kind === 'tcp') sock = netConnect({ host: r.host, port: r.port });
    else {
      if (!ssl) {
        reject(new RemoteError(`${remoteText(r)}: ssl needs a private key, certificate and CA certificate`));
        return;
      }
      // OVS checks the peer against the CA, not a host name (its certificates name no host).
      sock = tlsConnect({
        host: r.host,
        port: r.port,
        key: ssl.key,
        cert: ssl.cert,
        ca: ssl.ca,
        checkServerIdentity: () => undefined,
      });
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(new RemoteError(`${remoteText(r)}: connection abandoned`));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      reject(new RemoteError(`${remoteText(r)}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.once(ready, () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.setNoDelay?.(true);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(new RemoteError(`${remoteText(r)}: ${e.message}`));
    });
  });
}
