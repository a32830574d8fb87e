// `beacon dns` as a subprocess and hidden primary of a real NSD secondary: `dig AXFR` works; a
// state-file change applied by SIGHUP reaches NSD through NOTIFY + IXFR; after SIGTERM and a new
// process on the same port the serial is later than every serial before, and NSD follows it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { syntheticState } from '../../bench/lib/synthetic-state.js';
import { serialGt } from '../../src/records/serial.js';
import { dnsListening, killStartedBeacons, startBeacon } from '../helpers/cli.js';
import { DIG } from '../helpers/dig.js';
import { freePort } from '../helpers/net.js';
import { startNsdSecondary, type Secondary } from '../helpers/secondaries.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'beacon-cli-xfr-'));
let nsd: Secondary | undefined;
after(async () => {
  killStartedBeacons();
  await nsd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function digOut(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      DIG,
      ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args],
      { timeout: 15000, maxBuffer: 16 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
  });
}

async function serial(port: number): Promise<number | undefined> {
  const out = await digOut(port, ['+short', 'mesos', 'SOA']).catch(() => '');
  const f = out.trim().split(/\s+/);
  return f.length >= 3 ? Number(f[2]) : undefined;
}

test('beacon dns: dig AXFR, SIGHUP change → NSD via NOTIFY + IXFR, restart keeps the serial moving forward', async () => {
  interface Task {
    statuses: {
      container_status: { network_infos: { ip_addresses: { ip_address: string }[] }[] };
    }[];
  }
  const doc = syntheticState({ tasks: 50, agents: 3, discovery: true }) as {
    frameworks: { tasks: Task[] }[];
  };
  const state = join(dir, 'state.json');
  writeFileSync(state, JSON.stringify(doc));
  const port = await freePort();
  const nsdPort = await freePort();
  const httpPort = await freePort();
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      listener: '127.0.0.1',
      port,
      HTTPListener: '127.0.0.1',
      httpport: httpPort,
      resolvers: [],
      externalon: false,
      allowTransfer: ['127.0.0.1/32'],
      notify: [`127.0.0.1:${nsdPort}`],
    }),
  );
  // Info logs: each transfer is logged with its type and result.
  const first = startBeacon(['dns', '--config', config, '--state', state], { BEACON_LOG: 'info' });
  await dnsListening(first, 20000);
  const axfr = await digOut(port, ['mesos', 'AXFR']);
  assert.match(axfr, /XFR size: \d+ records/);
  const s0 = await waitFor('a serial', () => serial(port), 10000);
  // The HTTP API's /v1/axfr shows the serial DNS hands out (the transfer serial).
  const apiSerial = async () =>
    ((await (await fetch(`http://127.0.0.1:${httpPort}/v1/axfr`)).json()) as { Serial: number })
      .Serial;
  assert.equal(await apiSerial(), s0, '/v1/axfr Serial equals the SOA serial');
  nsd = startNsdSecondary(nsdPort, 'mesos', port);
  await waitFor('NSD at the serial', async () => (await serial(nsdPort)) === s0, 20000, 50);

  const ip =
    doc.frameworks[0].tasks[0].statuses[0].container_status.network_infos[0].ip_addresses[0];
  ip.ip_address = '10.88.0.1';
  writeFileSync(state, JSON.stringify(doc));
  first.child.kill('SIGHUP');
  const s1 = await waitFor(
    'a later serial after SIGHUP',
    async () => {
      const s = await serial(port);
      return s !== undefined && serialGt(s, s0) ? s : undefined;
    },
    15000,
    50,
  );
  await waitFor('NSD at the new serial', async () => (await serial(nsdPort)) === s1, 15000, 50);
  assert.equal(await apiSerial(), s1, '/v1/axfr follows the new serial');
  assert.match(nsd.log(), new RegExp(`serial ${s0} is updated to ${s1}`));
  assert.match(first.stderr() + first.stdout(), /"type":"ixfr","result":"incremental"/);

  first.child.kill('SIGTERM');
  await new Promise((r) => first.child.once('exit', r));
  const second = startBeacon(['dns', '--config', config, '--state', state]);
  await dnsListening(second, 20000);
  const s2 = await waitFor('a serial after the restart', () => serial(port), 10000);
  assert.ok(serialGt(s2, s1), `serial after the restart ${s2} is not after ${s1}`);
  // The first SOA answer may show the serial the new journal starts above (its first serial
  // comes within a tenth of a second): NSD follows to whatever Beacon serves once it has one.
  await waitFor(
    'NSD following the restarted Beacon',
    async () => {
      const [mine, theirs] = [await serial(port), await serial(nsdPort)];
      return mine !== undefined && mine === theirs && serialGt(mine, s1);
    },
    20000,
    50,
  );
  second.child.kill('SIGTERM');
  await new Promise((r) => second.child.once('exit', r));
});
