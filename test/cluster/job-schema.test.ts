// Job files: the example parses; every kind of mistake is reported with the file, the field and
// what was expected; templates and requested ports are read as Aurora does.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { JobError } from '../../src/errors.js';
import { loadJobFile, parseJobKey, parseJobText } from '../../src/cluster/job-schema.js';
import { renderTemplates, requestedPorts } from '../../src/cluster/templates.js';
import { EXAMPLE_JOB } from '../../src/cluster/devcluster.js';

const MIN = `job: devcluster/vagrant/test/hello\nprocesses:\n  - name: p\n    cmdline: sleep 1\n`;

function rejects(text: string, source: string, ...parts: (string | RegExp)[]): void {
  assert.throws(
    () => parseJobText(text, source),
    (e: unknown) => {
      assert.ok(e instanceof JobError, `expected a JobError, got ${String(e)}`);
      for (const p of [source, ...parts]) {
        if (typeof p === 'string')
          assert.ok(e.message.includes(p), `'${e.message}' should mention '${p}'`);
        else assert.match(e.message, p);
      }
      return true;
    },
  );
}

test('the example job file parses with the fields of the devcluster example', () => {
  const job = loadJobFile(EXAMPLE_JOB);
  assert.equal(job.job, 'devcluster/vagrant/test/http_example');
  assert.equal(job.instances, 2);
  assert.deepEqual(job.announce, { primary_port: 'http', portmap: { alias: 'http' } });
  assert.deepEqual(requestedPorts(job), ['health', 'http', 'tcp']);
  assert.equal(job.resources.ram, 64);
  assert.equal(job.health_check?.port, 'health');
});

test('defaults are filled in', () => {
  const job = parseJobText(MIN, 'min.yaml');
  assert.equal(job.instances, 1);
  assert.equal(job.tier, 'preemptible');
  assert.deepEqual(job.resources, { cpu: 0.1, ram: 64, disk: 64 });
  assert.equal(job.restart_policy.mode, 'always');
  assert.equal(job.kill_grace_secs, 5);
  assert.equal(job.announce, undefined);
});

test('JSON job files parse too, and sizes accept units', () => {
  const dir = mkdtempSync(join(tmpdir(), 'beacon-job-'));
  const file = join(dir, 'j.json');
  writeFileSync(
    file,
    JSON.stringify({
      job: 'c/r/e/n',
      resources: { cpu: 1, ram: '1GB', disk: '512MiB' },
      processes: [{ name: 'x', cmdline: 'echo {{thermos.ports[http]}}' }],
    }),
  );
  const job = loadJobFile(file);
  assert.equal(job.resources.ram, 1024);
  assert.equal(job.resources.disk, 512);
});

test('a wrong type names the file, the field and what is expected', () => {
  rejects(
    MIN.replace('processes:', 'instances: two\nprocesses:'),
    'a.yaml',
    'instances',
    /expected/,
    '"two"',
  );
  rejects(
    MIN.replace('cmdline: sleep 1', 'cmdline: 42'),
    'b.yaml',
    'processes[0].cmdline',
    'number 42',
  );
  rejects(MIN + 'resources:\n  cpu: -1\n', 'c.yaml', 'resources.cpu', 'positive');
  rejects(MIN + 'resources:\n  ram: lots\n', 'd.yaml', 'resources.ram', '64MB');
});

test('a missing field and an unknown field are reported by name', () => {
  rejects('job: c/r/e/n\n', 'e.yaml', 'processes', 'missing');
  rejects(MIN + 'instance: 2\n', 'f.yaml', "unknown field 'instance'");
  rejects(MIN + 'announce:\n  primary: http\n', 'g.yaml', 'announce', "'primary'");
});

test('a bad job key, bad YAML and a bad template are reported', () => {
  rejects(
    MIN.replace('devcluster/vagrant/test/hello', 'vagrant/test/hello'),
    'h.yaml',
    'job',
    'cluster/role/environment/name',
  );
  rejects('job: [\n', 'i.yaml', /not valid YAML \(line \d+/);
  rejects(
    MIN.replace('sleep 1', 'sleep {{thermos.port[http]}}'),
    'j.yaml',
    'processes[0].cmdline',
    "unknown template '{{thermos.port[http]}}'",
  );
  rejects(MIN + 'restart_policy:\n  mode: sometimes\n', 'k.yaml', 'restart_policy.mode');
});

test('a health check on a port no process uses is refused', () => {
  rejects(MIN + 'health_check:\n  port: health\n', 'l.yaml', 'health_check.port', "'health'");
});

test('a missing file and a wrong extension say so', () => {
  assert.throws(
    () => loadJobFile('/nonexistent/job.yaml'),
    /\/nonexistent\/job.yaml: cannot read the job file \(ENOENT\)/,
  );
  assert.throws(
    () => loadJobFile('/etc/hostname'),
    /expected a job file ending in \.yaml, \.yml or \.json/,
  );
});

test('job keys split into their four parts', () => {
  assert.deepEqual(parseJobKey('devcluster/vagrant/test/http_example'), {
    cluster: 'devcluster',
    role: 'vagrant',
    environment: 'test',
    name: 'http_example',
  });
  assert.throws(() => parseJobKey('a/b/c'), JobError);
});

test('templates render ports, instance, hostname and task id', () => {
  const out = renderTemplates(
    'x {{thermos.ports[http]}} {{ mesos.instance }} {{mesos.hostname}} {{thermos.task_id}}',
    {
      ports: { http: 31000 },
      instance: 3,
      hostname: '127.0.1.1',
      taskId: 't-3',
    },
  );
  assert.equal(out, 'x 31000 3 127.0.1.1 t-3');
  assert.throws(
    () =>
      renderTemplates('{{thermos.ports[nope]}}', {
        ports: {},
        instance: 0,
        hostname: 'h',
        taskId: 't',
      }),
    /no port 'nope'/,
  );
});

test('requested ports: referenced names, primary port and portmap targets, never aliases', () => {
  const base = {
    processes: [{ name: 'p', cmdline: '{{thermos.ports[http]}} {{thermos.ports[alias]}}' }],
  };
  assert.deepEqual(
    requestedPorts({ ...base, announce: { primary_port: 'http', portmap: { alias: 'http' } } }),
    ['http'],
  );
  assert.deepEqual(requestedPorts({ ...base, announce: { primary_port: 'main' } }), [
    'alias',
    'http',
    'main',
  ]);
  assert.deepEqual(
    requestedPorts({ ...base, announce: { primary_port: 'http', portmap: { admin: 8080 } } }),
    ['alias', 'http'],
  );
});
