// The devcluster dashboard's script: draws /dashboard/api/overview, follows /dashboard/events
// (Server-Sent Events) for the feed, the chart and "something changed, fetch the overview again",
// and sends kill/restart to the jobs API after a confirmation. No framework; every piece of data
// goes into the page as text (never as HTML).
/* global document, window, fetch, EventSource, navigator, sessionStorage, setTimeout, clearTimeout, CSS */

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'beacon.apiToken';
const MAX_EVENTS = 200;

/** h('tag', {attr: value, class: 'x', on: {click: fn}}, child…): an element; strings become text. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof window.Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.textContent = ''), 4000);
}

// ---- overview -------------------------------------------------------------------------------

let lastOverviewText = '';
let fetching = false;
let again = false;

/** Fetches and draws the overview; calls that arrive meanwhile coalesce into one more fetch. */
async function refresh() {
  if (fetching) {
    again = true;
    return;
  }
  fetching = true;
  try {
    do {
      again = false;
      const res = await fetch('/dashboard/api/overview', { cache: 'no-store' });
      if (!res.ok) throw new Error(`overview: HTTP ${res.status}`);
      const text = await res.text();
      if (text !== lastOverviewText) {
        lastOverviewText = text;
        drawOverview(JSON.parse(text));
      }
    } while (again);
  } catch (e) {
    $('summary').textContent =
      `Cannot read the overview (${e.message}); retrying on the next event.`;
  } finally {
    fetching = false;
  }
}

const STATE_CLASS = {
  RUNNING: 'good',
  PENDING: 'wait',
  ASSIGNED: 'wait',
  STARTING: 'wait',
  THROTTLED: 'bad',
  FAILED: 'bad',
  LOST: 'bad',
  KILLING: 'other',
  KILLED: 'other',
  FINISHED: 'other',
};

function drawOverview(o) {
  const dns = o.domain ? `DNS domain ${o.domain}` : 'DNS off';
  $('summary').textContent =
    `cluster ${o.cluster} · framework ${o.framework} · ${o.agents.length} agents ` +
    `(${o.agents.map((a) => `${a.hostname}: ${a.tasks} tasks`).join(', ')}) · ${dns}`;
  // Redrawing replaces the job elements: keep keyboard focus and open <details> where they were.
  const focusKey = document.activeElement?.dataset?.focusKey;
  const open = new Set(
    [...document.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key),
  );
  const list = $('job-list');
  list.replaceChildren(
    ...(o.jobs.length
      ? o.jobs.map((j, i) => drawJob(j, i, o.dnsServer))
      : [h('p', { class: 'muted' }, 'No jobs. Create one with: npx beacon job create KEY FILE')]),
  );
  for (const d of list.querySelectorAll('details[data-key]'))
    if (open.has(d.dataset.key)) d.open = true;
  if (focusKey) list.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
}

function drawJob(job, index, dnsServer) {
  const id = `job-${index}`;
  const c = job.counts;
  return h(
    'article',
    { class: 'job', 'aria-labelledby': id, dataset: { job: job.key } },
    h(
      'header',
      {},
      h('h3', { id }, job.key),
      h(
        'p',
        { class: 'counts' },
        h(
          'span',
          { class: `pill ${c.running === c.instances ? 'ok' : ''}` },
          `${c.running} running`,
        ),
        h('span', { class: `pill ${c.pending ? 'warn' : ''}` }, `${c.pending} pending`),
        h('span', { class: `pill ${c.failed ? 'bad' : ''}` }, `${c.failed} failed`),
        h('span', { class: 'muted' }, `of ${c.instances}`),
      ),
    ),
    drawInstances(job),
    h('div', { class: 'cols' }, drawNames(job, dnsServer), drawMembers(job)),
  );
}

function drawInstances(job) {
  const head = [
    '#',
    'State',
    'Agent',
    'Address',
    'Named ports',
    'Health',
    'Restarts',
    'Last status',
  ];
  return h(
    'div',
    // Scrolls sideways on a narrow screen: focusable, so the keyboard can scroll it too.
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': `Instances of ${job.key}` },
    h(
      'table',
      { class: 'instances' },
      h('caption', { class: 'sr-only' }, `Instances of ${job.key}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((t) => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')),
        ),
      ),
      h(
        'tbody',
        {},
        job.instances.map((i) => drawInstance(job, i)),
      ),
    ),
  );
}

function drawInstance(job, i) {
  const label = `instance ${i.instance} of ${job.key}`;
  const action = (kind, text, cls) =>
    h(
      'button',
      {
        type: 'button',
        class: cls,
        'aria-label': `${text} ${label}`,
        dataset: { focusKey: `${job.key}#${i.instance}#${kind}` },
        on: { click: () => confirmAction(kind, job.key, i) },
      },
      text,
    );
  return h(
    'tr',
    { dataset: { instance: i.instance, taskId: i.taskId ?? '' } },
    h('th', { scope: 'row' }, String(i.instance)),
    h(
      'td',
      { class: 'status' },
      h('span', { class: `state state-${STATE_CLASS[i.status] ?? 'other'}` }, i.status),
    ),
    h('td', {}, i.agent ? i.agent.hostname : '—'),
    h('td', {}, i.host ? h('code', {}, i.host) : '—'),
    h(
      'td',
      {},
      i.ports.length
        ? h(
            'ul',
            { class: 'ports' },
            i.ports.map((p) => h('li', {}, `${p.name} `, h('code', {}, String(p.port)))),
          )
        : '—',
    ),
    h('td', { class: 'health' }, i.health),
    h('td', { class: 'restarts' }, String(i.restarts)),
    h('td', { class: 'message' }, i.message ?? ''),
    h(
      'td',
      { class: 'actions' },
      action('restart', 'Restart', ''),
      action('kill', 'Kill', 'danger'),
    ),
  );
}

function nameItem(type, name) {
  return h(
    'li',
    {},
    h('span', { class: 'rtype' }, type),
    h('code', {}, name),
    h(
      'button',
      {
        type: 'button',
        class: 'copy',
        'aria-label': `Copy ${name}`,
        dataset: { focusKey: `copy:${type}:${name}` },
        on: { click: () => copy(name) },
      },
      'Copy',
    ),
  );
}

function drawNames(job, dnsServer) {
  const box = h('section', { class: 'dns-names', 'aria-label': `DNS names of ${job.key}` });
  box.append(h('h4', {}, 'DNS names'));
  if (!job.dns) {
    box.append(h('p', { class: 'muted' }, 'DNS is off in this devcluster (--no-dns).'));
    return box;
  }
  const { a, srv, namedSrv } = job.dns;
  if (!a.length && !srv.length) {
    box.append(h('p', { class: 'muted' }, `No records yet (a task gets them once RUNNING).`));
    return box;
  }
  // The plain names first; the agent-address (.slave) and UDP variants behind a disclosure.
  const main = (n) => !n.includes('.slave.') && !n.includes('._udp.');
  const first = [
    ...a.filter(main).map((n) => ['A', n]),
    ...srv.filter(main).map((n) => ['SRV', n]),
    ...namedSrv.filter(main).map((n) => ['SRV port', n]),
  ];
  const rest = [
    ...a.filter((n) => !main(n)).map((n) => ['A', n]),
    ...srv.filter((n) => !main(n)).map((n) => ['SRV', n]),
    ...namedSrv.filter((n) => !main(n)).map((n) => ['SRV port', n]),
  ];
  const perTask = job.instances.filter((i) => i.dnsNames.length);
  box.append(
    h(
      'ul',
      { class: 'names' },
      first.map(([t, n]) => nameItem(t, n)),
    ),
  );
  if (rest.length || perTask.length) {
    box.append(
      h(
        'details',
        { dataset: { key: `names:${job.key}` } },
        h('summary', {}, `${rest.length} more: agent (.slave) and UDP names, per-instance names`),
        h(
          'ul',
          { class: 'names' },
          rest.map(([t, n]) => nameItem(t, n)),
        ),
        h(
          'ul',
          { class: 'names' },
          perTask.flatMap((i) => i.dnsNames.map((n) => nameItem(`A #${i.instance}`, n))),
        ),
      ),
    );
  }
  const probe = srv.find(main);
  if (dnsServer && probe) {
    const i = dnsServer.lastIndexOf(':');
    const cmd = `dig @${dnsServer.slice(0, i)} -p ${dnsServer.slice(i + 1)} +short ${probe} SRV`;
    box.append(
      h(
        'p',
        { class: 'muted small' },
        'Try: ',
        h('code', {}, cmd),
        ' ',
        h(
          'button',
          {
            type: 'button',
            class: 'copy',
            'aria-label': 'Copy the dig command',
            on: { click: () => copy(cmd) },
          },
          'Copy',
        ),
      ),
    );
  }
  return box;
}

function endpoint(e) {
  return `${e.host}:${e.port}`;
}

function drawMembers(job) {
  const box = h('section', { class: 'members', 'aria-label': `ServerSet members of ${job.key}` });
  const ss = job.serverset;
  box.append(h('h4', {}, 'ServerSet ', ss ? h('code', {}, ss.path) : ''));
  if (!ss) {
    box.append(h('p', { class: 'muted' }, 'This job does not announce.'));
    return box;
  }
  if (ss.stale)
    box.append(h('p', { class: 'muted' }, 'Coordination service unreachable: last known members.'));
  if (!ss.members.length) {
    box.append(h('p', { class: 'muted' }, 'No members.'));
    return box;
  }
  box.append(
    h(
      'div',
      {
        class: 'table-wrap',
        tabindex: 0,
        role: 'region',
        'aria-label': `ServerSet members of ${job.key}`,
      },
      h(
        'table',
        {},
        h('caption', { class: 'sr-only' }, `ServerSet members of ${job.key}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Member', 'Shard', 'Service endpoint', 'Additional endpoints'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ss.members.map((m) =>
            h(
              'tr',
              { dataset: { member: m.name } },
              h('th', { scope: 'row' }, h('code', {}, m.name)),
              h('td', {}, m.shard ?? '—'),
              h('td', {}, h('code', {}, endpoint(m.serviceEndpoint))),
              h(
                'td',
                {},
                h(
                  'ul',
                  { class: 'ports' },
                  Object.entries(m.additionalEndpoints)
                    .sort(([x], [y]) => (x < y ? -1 : 1))
                    // The service endpoint's host is the usual one: show just the port then.
                    .map(([n, e]) =>
                      h(
                        'li',
                        {},
                        `${n} `,
                        h(
                          'code',
                          { title: endpoint(e) },
                          e.host === m.serviceEndpoint.host ? `:${e.port}` : endpoint(e),
                        ),
                      ),
                    ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  return box;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the async clipboard (no permission): copy through a selected, hidden text field.
    const ta = h('textarea', { class: 'sr-only', readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast(`Copied ${text}`);
}

// ---- kill / restart -------------------------------------------------------------------------

const ACTIONS = {
  restart: {
    title: 'Restart instance',
    verb: 'Restart',
    text: (key, i) =>
      `Restart instance ${i.instance} of ${key}? Its task${i.taskId ? ` ${i.taskId}` : ''} is killed ` +
      '(deannounced first) and a new one started at once (beacon job restart).',
  },
  kill: {
    title: 'Kill instance',
    verb: 'Kill',
    text: (key, i) =>
      `Kill instance ${i.instance} of ${key}? The instance is removed from the job and not ` +
      'started again (beacon job kill); the job goes when no instance is left.',
  },
};

/** Asks first (a modal <dialog>: Esc or Cancel does nothing), then calls the jobs API. */
function confirmAction(kind, key, inst, error) {
  const a = ACTIONS[kind];
  const dlg = $('confirm');
  $('confirm-title').textContent = `${a.title} ${inst.instance}`;
  $('confirm-text').textContent = a.text(key, inst);
  $('confirm-ok').textContent = `${a.verb} instance ${inst.instance}`;
  $('confirm-error').hidden = !error;
  $('confirm-error').textContent = error ?? '';
  const needToken = error !== undefined && /token/i.test(error);
  $('token-row').hidden = !needToken && !sessionStorage.getItem(TOKEN_KEY);
  $('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  dlg.returnValue = '';
  dlg.onclose = () => {
    // The row may have been redrawn meanwhile: give focus back to the same button, not to <body>.
    document
      .querySelector(`[data-focus-key="${CSS.escape(`${key}#${inst.instance}#${kind}`)}"]`)
      ?.focus();
    if (dlg.returnValue !== 'ok') return;
    const token = $('token').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    void send(kind, key, inst);
  };
  dlg.showModal();
  if (needToken) $('token').focus();
}

async function send(kind, key, inst) {
  const path = key.split('/').map(encodeURIComponent).join('/');
  const headers = { 'content-type': 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`/jobs/${path}/${kind}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ instances: [inst.instance] }),
    });
    if (res.status === 401) {
      const body = await res.json().catch(() => ({}));
      sessionStorage.removeItem(TOKEN_KEY);
      confirmAction(kind, key, inst, body.error ?? 'This master needs its API token.');
      return;
    }
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      throw new Error(body.error ?? `HTTP ${res.status}`);
    }
    toast(`${ACTIONS[kind].verb} of instance ${inst.instance} of ${key} sent`);
    void refresh();
  } catch (e) {
    toast(`${ACTIONS[kind].verb} failed: ${e.message}`);
  }
}

// ---- event feed -----------------------------------------------------------------------------

function kindsShown() {
  return new Set([...document.querySelectorAll('input[name="kind"]:checked')].map((i) => i.value));
}

function applyFilter() {
  const shown = kindsShown();
  for (const li of $('events').children) li.hidden = !shown.has(li.dataset.kind);
}

function feedItem(kind, e) {
  const when = new Date(e.at);
  const head = [
    h('time', { datetime: when.toISOString() }, timeFmt.format(when)),
    h('span', { class: 'tag' }, kind === 'serverset' ? 'ServerSet' : kind),
  ];
  if (kind === 'task') {
    const health = e.healthy === undefined ? '' : e.healthy ? ' (healthy)' : ' (unhealthy)';
    return [
      ...head,
      `${e.job} #${e.instance} `,
      h('strong', {}, e.state),
      `${health} on ${e.agent}`,
      e.message ? ` — ${e.message}` : '',
      h('div', { class: 'muted small' }, h('code', {}, e.taskId)),
    ];
  }
  if (kind === 'serverset') {
    const line = (m, sign, cls) =>
      h(
        'li',
        { class: cls },
        `${sign} ${m.name} ${endpoint(m.serviceEndpoint)}`,
        Object.keys(m.additionalEndpoints).length
          ? ` (${Object.keys(m.additionalEndpoints).sort().join(', ')})`
          : '',
      );
    return [
      ...head,
      `${e.job}: ${e.joined.length} joined, ${e.left.length} left `,
      h('code', {}, e.path),
      h(
        'ul',
        { class: 'ev-lines' },
        e.joined.map((m) => line(m, '+', 'add')),
        e.left.map((m) => line(m, '−', 'del')),
      ),
    ];
  }
  if (e.counts) {
    return [
      ...head,
      `record set changed (${e.counts.a} A, ${e.counts.srv} SRV; too large to list)`,
    ];
  }
  const lines = [];
  for (const c of e.changes) {
    for (const v of c.added) lines.push(h('li', { class: 'add' }, `+ ${c.type} ${c.name} → ${v}`));
    for (const v of c.removed)
      lines.push(h('li', { class: 'del' }, `− ${c.type} ${c.name} → ${v}`));
  }
  // A whole job starting changes dozens of names: the first few, the rest behind a disclosure.
  const list = h('ul', { class: 'ev-lines' }, lines.slice(0, 4));
  const more =
    lines.length > 4
      ? h(
          'details',
          {},
          h('summary', {}, `${lines.length - 4} more records`),
          h('ul', { class: 'ev-lines' }, lines.slice(4)),
        )
      : '';
  return [...head, `${e.changes.length} names changed`, list, more];
}

function addEvent(kind, e) {
  const list = $('events');
  const li = h('li', { dataset: { kind }, class: `ev ev-${kind}` }, feedItem(kind, e));
  li.hidden = !kindsShown().has(kind);
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

// ---- chart ----------------------------------------------------------------------------------

let samples = [];

function niceMax(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function drawChart() {
  const svg = $('chart');
  const title = $('chart-title');
  svg.replaceChildren(title);
  const W = 320;
  const H = 140;
  const L = 28;
  const R = 28;
  const T = 8;
  const B = 16;
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const now = samples.length ? samples[samples.length - 1].at : Date.now();
  // Up to five minutes; a young history is stretched over at least one minute.
  const span = Math.min(300_000, Math.max(60_000, now - (samples[0]?.at ?? now)));
  const qMax = niceMax(Math.max(0, ...samples.map((s) => s.qps)));
  const aMax = niceMax(Math.max(0, ...samples.map((s) => s.stateAge ?? 0)));
  const x = (at) => L + ((W - L - R) * (span - (now - at))) / span;
  const y = (v, max) => T + (H - T - B) * (1 - v / max);
  for (const f of [0, 0.5, 1]) {
    el('line', { class: 'grid', x1: L, x2: W - R, y1: y(f, 1), y2: y(f, 1) });
    el('text', { class: 'axis', x: L - 3, y: y(f, 1) + 3, 'text-anchor': 'end' }, fmt(qMax * f));
    el('text', { class: 'axis', x: W - R + 3, y: y(f, 1) + 3 }, fmt(aMax * f));
  }
  el('text', { class: 'axis', x: L, y: H - 3 }, `−${Math.round(span / 60_000)} min`);
  el('text', { class: 'axis', x: W - R, y: H - 3, 'text-anchor': 'end' }, 'now');
  const pts = (f, max) =>
    samples
      .filter((s) => f(s) !== null && now - s.at <= span)
      .map((s) => `${x(s.at).toFixed(1)},${y(f(s), max).toFixed(1)}`)
      .join(' ');
  el('polyline', { class: 'qps', points: pts((s) => s.qps, qMax) });
  el('polyline', { class: 'age', points: pts((s) => s.stateAge, aMax) });
  const last = samples[samples.length - 1];
  if (last) {
    const peak = Math.max(...samples.map((s) => s.qps));
    const age = last.stateAge === null ? 'n/a' : `${fmt(last.stateAge)} s`;
    $('chart-now').textContent =
      `now: ${fmt(last.qps)} queries/s (peak ${fmt(peak)}), state age ${age}`;
    const types = Object.entries(last.byType).sort(([, a], [, b]) => b - a);
    const rcodes = Object.entries(last.byRcode).sort(([, a], [, b]) => b - a);
    $('by-type').textContent = types.length
      ? `by type: ${types.map(([k, v]) => `${k} ${fmt(v)}/s`).join(', ')} · by rcode: ${rcodes.map(([k, v]) => `${k} ${fmt(v)}/s`).join(', ')}`
      : 'No queries in the last second.';
  }
}

function fmt(n) {
  return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

async function loadMetrics() {
  const res = await fetch('/dashboard/api/metrics', { cache: 'no-store' });
  const m = await res.json();
  if (!m.dns) {
    $('chart-now').textContent = 'DNS is off in this devcluster (--no-dns).';
    return;
  }
  samples = m.samples;
  drawChart();
}

// ---- live feed ------------------------------------------------------------------------------

function connect() {
  const es = new EventSource('/dashboard/events');
  const conn = $('conn');
  es.onopen = () => {
    conn.textContent = 'live';
    conn.className = 'conn live';
    void refresh();
  };
  es.onerror = () => {
    conn.textContent = 'reconnecting…';
    conn.className = 'conn down';
  };
  for (const kind of ['task', 'serverset', 'dns']) {
    es.addEventListener(kind, (m) => {
      addEvent(kind, JSON.parse(m.data));
      void refresh();
    });
  }
  es.addEventListener('metrics', (m) => {
    samples.push(JSON.parse(m.data));
    if (samples.length > 300) samples.shift();
    drawChart();
  });
}

for (const box of document.querySelectorAll('input[name="kind"]'))
  box.addEventListener('change', applyFilter);
drawChart();
void refresh();
void loadMetrics().catch(() => undefined);
connect();
