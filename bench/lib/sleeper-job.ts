// The job the devcluster benches churn: N instances of a process that only sleeps (it costs no
// CPU, so what is measured is the devcluster and its DNS), announced on its `http` port.

/** The job file text (YAML) of `instances` sleepers under `key`. */
export function sleeperJob(key: string, instances: number): string {
  return [
    `job: ${key}`,
    `instances: ${instances}`,
    'processes:',
    '  - name: sleeper',
    `    cmdline: exec sleep 86400 # {{thermos.ports[http]}}`,
    'announce: {primary_port: http}',
    'kill_grace_secs: 1',
  ].join('\n');
}
