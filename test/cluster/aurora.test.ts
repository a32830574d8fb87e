// Names, ids, labels and DiscoveryInfo as Aurora's scheduler makes them; resource arithmetic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  discoveryInfo,
  executorId,
  newTaskId,
  serversetPath,
  taskLabels,
  taskName,
} from '../../src/cluster/aurora.js';
import { parseJobKey } from '../../src/cluster/job-schema.js';
import { formatRanges, misfit, parsePortRanges, pickPorts } from '../../src/cluster/resources.js';

const key = parseJobKey('devcluster/vagrant/test/http_example');

test('task name, task id, executor id and ServerSet path', () => {
  assert.equal(taskName(key), 'vagrant/test/http_example');
  const id = newTaskId(key, 1, '4f6c');
  assert.equal(id, 'vagrant-test-http_example-1-4f6c');
  assert.equal(executorId(id), 'thermos-vagrant-test-http_example-1-4f6c');
  assert.match(
    newTaskId(parseJobKey('c/www.data/prod/a.b'), 0),
    /^www-data-prod-a-b-0-[0-9a-f-]{36}$/,
  );
  assert.equal(serversetPath('/aurora/', key), '/aurora/vagrant/test/http_example');
});

test('labels: tier and metadata', () => {
  assert.deepEqual(taskLabels('preferred', { owner: 'ops' }), [
    { key: 'org.apache.aurora.tier', value: 'preferred' },
    { key: 'org.apache.aurora.metadata.owner', value: 'ops' },
  ]);
});

test('DiscoveryInfo as Aurora fills it, aliases only with --discovery_port_aliases', () => {
  const assigned = { http: 31001, health: 31000 };
  const endpoints = { http: 31001, health: 31000, alias: 31001 };
  const plain = discoveryInfo(key, { assigned, endpoints, portAliases: false });
  assert.deepEqual(plain, {
    visibility: 'CLUSTER',
    name: 'http_example.test.vagrant',
    environment: 'test',
    location: 'devcluster',
    ports: {
      ports: [
        { number: 31000, name: 'health', protocol: 'TCP' },
        { number: 31001, name: 'http', protocol: 'TCP' },
      ],
    },
  });
  const withAliases = discoveryInfo(key, { assigned, endpoints, portAliases: true });
  assert.deepEqual(withAliases.ports.ports.at(-1), {
    number: 31001,
    name: 'alias',
    protocol: 'TCP',
  });
  assert.equal(withAliases.ports.ports.length, 3);
});

test('port ranges parse and render as Mesos renders them', () => {
  assert.deepEqual(parsePortRanges('31000-32000'), [[31000, 32000]]);
  assert.deepEqual(parsePortRanges('[31000-31001, 31005-31005]'), [
    [31000, 31001],
    [31005, 31005],
  ]);
  assert.throws(() => parsePortRanges('32000-31000'), /BEGIN ≤ END/);
  assert.equal(formatRanges([31002, 31000, 31001, 31005]), '[31000-31002, 31005-31005]');
});

test('fit and port choice', () => {
  const total = { cpus: 1, mem: 100, disk: 100, ports: [[31000, 31002]] as [number, number][] };
  const used = { cpus: 0.5, mem: 0, disk: 0, ports: new Set([31000]) };
  assert.equal(
    misfit(total, used, { cpus: 0.5, mem: 100, disk: 1, portNames: ['a', 'b'] }),
    undefined,
  );
  assert.match(
    misfit(total, used, { cpus: 0.6, mem: 1, disk: 1, portNames: [] }) ?? '',
    /cpus 0.5 free, 0.6 needed/,
  );
  assert.match(
    misfit(total, used, { cpus: 0, mem: 1, disk: 1, portNames: ['a', 'b', 'c'] }) ?? '',
    /2 ports free, 3 needed/,
  );
  assert.deepEqual(pickPorts(total.ports, used.ports, ['a', 'b']), { a: 31001, b: 31002 });
});
