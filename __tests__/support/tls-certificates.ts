/**
 * A certificate authority of a test's own and a server certificate it signed for 127.0.0.1, as a
 * company's private CA issues them: a client that trusts the CA verifies the server end to end.
 * Made with the openssl command line in a temporary folder the caller removes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The folder holding them (ca.pem, server.pem, server.key): remove it when done. */
  directory: string;
  /** Path of the CA certificate (PEM), for SSL_CERT_FILE and the like. */
  caFile: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function makeTestCertificates(prefix: string): TestCertificates {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(directory, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'server.pem',
  );
  return {
    directory,
    caFile: join(directory, 'ca.pem'),
    ca: readFileSync(join(directory, 'ca.pem')),
    cert: readFileSync(join(directory, 'server.pem')),
    key: readFileSync(join(directory, 'server.key')),
  };
}
