// MesosHTTPSOn: the masters poll over HTTPS, trusting the CA file from the config, and refusing a
// master whose certificate the CA did not sign. Certificates are made with openssl per run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/mesos-dns.js';
import { ConfigError } from '../../src/errors.js';
import type { MesosState } from '../../src/model/mesos-state.js';
import { makeStateSource } from '../../src/service/make-source.js';
import type { StateFailure, StateSnapshot } from '../../src/sources/types.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { nextEvent } from '../helpers/wait.js';

const OPENSSL = '/usr/bin/openssl';
const dir = mkdtempSync(join(tmpdir(), 'beacon-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(name: string): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    OPENSSL,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { key, cert };
}

describe(
  'masters over HTTPS (MesosHTTPSOn)',
  { skip: existsSync(OPENSSL) ? false : 'openssl not installed' },
  () => {
    it('fetches with the configured CA and rejects an unknown certificate', async () => {
      const good = selfSigned('good');
      const other = selfSigned('other');
      const m = await FakeMaster.start({
        tls: { key: readFileSync(good.key), cert: readFileSync(good.cert) },
      });
      try {
        const trusted = makeStateSource(
          parseConfig({ masters: [m.address], MesosHTTPSOn: true, CACertFile: good.cert }).config,
        );
        const got = nextEvent<[StateSnapshot<MesosState>]>(trusted, 'snapshot');
        trusted.start();
        const [snap] = await got;
        assert.equal(snap.from, `https://${m.address}/master/state`);
        await trusted.close();

        const untrusted = makeStateSource(
          parseConfig({ masters: [m.address], MesosHTTPSOn: true, CACertFile: other.cert }).config,
          { backoff: { baseMs: 1000, capMs: 1000 } },
        );
        const failed = nextEvent<[StateFailure]>(untrusted, 'failure');
        untrusted.start();
        const [f] = await failed;
        assert.match(
          f.error.message,
          /https:\/\/127\.0\.0\.1:\d+\/master\/state: .*(self.signed|certificate)/i,
        );
        await untrusted.close();
      } finally {
        await m.stop();
      }
    });

    it('names the key of an unreadable certificate file', () => {
      const config = parseConfig({
        masters: ['127.0.0.1:5050'],
        MesosHTTPSOn: true,
        CACertFile: join(dir, 'missing.crt'),
      }).config;
      assert.throws(
        () => makeStateSource(config),
        (e: unknown) =>
          e instanceof ConfigError &&
          /"CACertFile": cannot read .*missing\.crt \(ENOENT\)/.test(e.message),
      );
    });
  },
);
