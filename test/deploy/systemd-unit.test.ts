// deploy/systemd/beacon-dns.service: its keys (unprivileged user, CAP_NET_BIND_SERVICE only,
// restart on failure, reload = SIGHUP, no new privileges); `systemd-analyze verify` on it where
// that command exists; and, when the test runs as root with util-linux's setpriv, the unit's
// credentials for real: `beacon dns` with the unit's arguments as an unprivileged user binds port
// 53 and answers with the unit's capabilities, and is refused port 53 without them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BEACON, ROOT } from '../helpers/cli.js';
import { dig } from '../helpers/dig.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { freePort, uniqueAgentIp } from '../helpers/net.js';
import { waitFor } from '../helpers/wait.js';

const UNIT = join(ROOT, 'deploy', 'systemd', 'beacon-dns.service');
const text = readFileSync(UNIT, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'beacon-unit-'));
chmodSync(dir, 0o755); // read by the unprivileged user below
after(() => rmSync(dir, { recursive: true, force: true }));

/** Section → key → values (a key may repeat), as systemd reads a unit file. */
function parseUnit(src: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | undefined;
  for (const raw of src.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = new Map();
      out.set(s[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(section && eq > 0, `not a key=value line in a section: ${line}`);
    const k = line.slice(0, eq).trim();
    section.set(k, [...(section.get(k) ?? []), line.slice(eq + 1).trim()]);
  }
  return out;
}

const unit = parseUnit(text);
const service = unit.get('Service')!;
const one = (k: string): string | undefined => service.get(k)?.at(-1);
const execStart = one('ExecStart')!.split(/\s+/);
const capsOf = (k: string) => (one(k) ?? '').split(/\s+/).filter(Boolean);

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const hasAnalyze = which('systemd-analyze');
const asRoot = process.getuid?.() === 0;
const hasSetpriv = which('setpriv');

describe('deploy/systemd/beacon-dns.service', () => {
  it('runs `beacon dns --config` as an unprivileged user with CAP_NET_BIND_SERVICE only', () => {
    assert.ok(unit.has('Unit') && unit.has('Install'), 'has [Unit], [Service] and [Install]');
    assert.deepEqual(execStart.slice(1, 3), ['dns', '--config']);
    assert.match(execStart[3] ?? '', /^\/etc\/beacon\/.+\.json$/);
    assert.ok(
      (one('User') !== undefined && one('User') !== 'root') || one('DynamicUser') === 'yes',
      'an unprivileged user (User= other than root, or DynamicUser=yes)',
    );
    assert.deepEqual(capsOf('AmbientCapabilities'), ['CAP_NET_BIND_SERVICE']);
    assert.deepEqual(capsOf('CapabilityBoundingSet'), ['CAP_NET_BIND_SERVICE']);
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    // Not MemoryDenyWriteExecute: V8's JIT would die on start.
    assert.equal(one('MemoryDenyWriteExecute'), undefined);
    // Room for the recommended 5 s lameduck (docs/operations.md) before systemd's SIGKILL.
    const stop = /^(\d+)s?$/.exec(one('TimeoutStopSec') ?? '90');
    assert.ok(stop && Number(stop[1]) > 5, `TimeoutStopSec ${one('TimeoutStopSec')}`);
    assert.deepEqual(unit.get('Install')!.get('WantedBy'), ['multi-user.target']);
  });

  it(
    'passes systemd-analyze verify (ExecStart pointed at this checkout)',
    { skip: hasAnalyze ? false : 'systemd-analyze is not installed (Debian package systemd)' },
    () => {
      // verify checks that ExecStart's program exists: use this checkout's bin/beacon.js.
      const copy = join(dir, 'beacon-dns.service');
      writeFileSync(copy, text.replace(execStart[0]!, BEACON));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', copy], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      // Unknown keys and bad values are only warnings (exit 0): none may appear.
      const about = r.stderr
        .split('\n')
        .filter((l) => l.includes('beacon-dns.service'))
        .join('\n');
      assert.equal(about, '', about);
    },
  );

  it(
    "the unit's user and capabilities bind port 53 for real, and only with the capability",
    {
      skip:
        asRoot && hasSetpriv
          ? false
          : 'needs root and setpriv (util-linux) to switch to an unprivileged user',
    },
    async () => {
      const m = await FakeMaster.start();
      const listener = uniqueAgentIp();
      const httpPort = await freePort();
      const config = join(dir, 'config.json');
      // port 53 is the config default, as in production.
      writeFileSync(
        config,
        JSON.stringify({
          masters: [m.address],
          listener,
          HTTPListener: '127.0.0.1',
          httpport: httpPort,
          resolvers: [],
          externalon: false,
        }),
      );
      chmodSync(config, 0o644);
      // nobody:nogroup stands in for the unit's `beacon` user (not created on test machines).
      const cred = ['--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs'];
      const caps = (names: string[]) => {
        const list = names.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
        return [`--inh-caps=${list}`, `--ambient-caps=${list}`, `--bounding-set=-all,${list}`];
      };
      const run = (extra: string[]) => {
        const child = spawn(
          'setpriv',
          [...cred, ...extra, process.execPath, BEACON, ...execStart.slice(1, 3), config],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        return { child, exited, out: () => out };
      };
      try {
        const ok = run(caps(capsOf('AmbientCapabilities')));
        try {
          await waitFor(
            'the listening line',
            () => {
              if (ok.child.exitCode !== null) throw new Error(`exited: ${ok.out()}`);
              return ok.out().includes(`DNS on ${listener}:53 `);
            },
            20000,
          );
          const d = await waitFor('an answer on port 53', async () => {
            const a = await dig(53, ['http_example.test.vagrant.aurora.mesos.', 'A'], listener);
            return a.status === 'NOERROR' ? a : undefined;
          });
          assert.deepEqual(
            d.answer.map((x) => x.at(-1)),
            ['10.0.0.21'],
          );
          ok.child.kill('SIGTERM');
          assert.equal(await ok.exited, 0, ok.out());
        } finally {
          ok.child.kill('SIGKILL');
        }

        const refused = run([]);
        const code = await Promise.race([
          refused.exited,
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20000)),
        ]);
        refused.child.kill('SIGKILL');
        assert.notEqual(code, 0, refused.out());
        assert.notEqual(code, 'timeout', refused.out());
        assert.match(
          refused.out(),
          new RegExp(
            `"port": cannot listen on ${listener.replace(/\./g, '\\.')}:53: permission denied`,
          ),
        );
        assert.match(refused.out(), /CAP_NET_BIND_SERVICE/);
      } finally {
        await m.stop();
      }
    },
  );
});
