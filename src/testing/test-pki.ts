// Throwaway certificates for SSL tests: a CA and two certificates it signed (OVS wants both
// ends to present one), made with the openssl command line, valid for a day.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../runner/exec.ts';

export interface Pair {
  key: string;
  cert: string;
}
export interface TestPki {
  caCert: string;
  server: Pair;
  client: Pair;
  /** PEM texts of the client's files, as the OVSDB client takes them. */
  clientPem(): { key: Buffer; cert: Buffer; ca: Buffer };
}

export async function makeTestPki(dir: string): Promise<TestPki> {
  const f = (n: string): string => join(dir, n);
  await execOk([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-subj',
    '/CN=vifpath-test-ca',
    '-days',
    '1',
  ]);
  const sign = async (n: string): Promise<Pair> => {
    await execOk([
      'openssl',
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${n}.key`),
      '-out',
      f(`${n}.csr`),
      '-subj',
      `/CN=vifpath-test-${n}`,
    ]);
    await execOk([
      'openssl',
      'x509',
      '-req',
      '-in',
      f(`${n}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${n}.pem`),
      '-days',
      '1',
    ]);
    return { key: f(`${n}.key`), cert: f(`${n}.pem`) };
  };
  const server = await sign('server');
  const client = await sign('client');
  return {
    caCert: f('ca.pem'),
    server,
    client,
    clientPem: () => ({
      key: readFileSync(client.key),
      cert: readFileSync(client.cert),
      ca: readFileSync(f('ca.pem')),
    }),
  };
}
