// A v1 SUBSCRIBED event for stream tests: one agent S0 (10.0.0.1), one framework F (`aurora`), the
// tasks given (v1 Task objects).

export function subscribedWith(tasks: unknown[]): Record<string, unknown> {
  return {
    type: 'SUBSCRIBED',
    subscribed: {
      heartbeat_interval_seconds: 15,
      get_state: {
        get_agents: {
          agents: [
            {
              agent_info: { id: { value: 'S0' }, hostname: 'a0', port: 5051 },
              pid: 'slave(1)@10.0.0.1:5051',
            },
          ],
        },
        get_frameworks: {
          frameworks: [{ framework_info: { id: { value: 'F' }, name: 'aurora', hostname: 'x' } }],
        },
        get_tasks: { tasks },
      },
    },
  };
}
