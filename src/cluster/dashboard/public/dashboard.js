// @ts-check
// The devcluster dashboard's script: draws /dashboard/api/overview, follows /dashboard/events
// (Server-Sent Events) for the feed, the chart and "something changed, fetch the overview again",
// and sends kill/restart to the jobs API after a confirmation. No framework; every piece of data
// goes into the page as text (never as HTML). Served as it is (no build step); its JSDoc types come
// from the server's (../page-types.ts) and `tsconfig.dashboard.json` checks them in the build.
/* global document, window, fetch, EventSource, navigator, sessionStorage, setTimeout, clearTimeout, CSS, HTMLElement */

/** @typedef {import('../page-types.js').Overview} Overview */
/** @typedef {import('../page-types.js').JobOverview} JobOverview */
/** @typedef {import('../page-types.js').InstanceOverview} InstanceOverview */
/** @typedef {import('../page-types.js').MemberView} MemberView */
/** @typedef {import('../page-types.js').MetricsSample} MetricsSample */
/** @typedef {import('../page-types.js').MetricsReply} MetricsReply */
/** @typedef {import('../page-types.js').ErrorBody} ErrorBody */
/** @typedef {import('../page-types.js').FeedEntry} FeedEntry */
/** @typedef {'restart' | 'kill'} ActionKind */
/** @typedef {Node | string | number | boolean | null | undefined} Leaf */
/** @typedef {Leaf | Leaf[]} Child */
/**
 * @typedef {{
 *   on?: Record<string, (ev: Event) => void>,
 *   dataset?: Record<string, string | number>,
 *   [attr: string]: unknown,
 * }} Attrs
 */

/**
 * The element with `id` (the page has every id this script asks for).
 * @template {Element} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
const $ = (id) => /** @type {T} */ (/** @type {unknown} */ (document.getElementById(id)));
const SVG = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'beacon.apiToken';
const MAX_EVENTS = 200;

/**
 * h('tag', {attr: value, class: 'x', on: {click: fn}}, child…): an element; strings become text.
 * @param {string} tag
 * @param {Attrs | null} attrs
 * @param {...Child} children
 * @returns {HTMLElement}
 */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const { on, dataset, ...rest } = attrs ?? {};
  for (const [ev, fn] of Object.entries(on ?? {})) el.addEventListener(ev, fn);
  if (dataset) Object.assign(el.dataset, dataset);
  for (const [k, v] of Object.entries(rest)) {
    if (v === undefined || v === null || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
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

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/** @param {string} text */
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.textContent = ''), 4000);
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
      `Cannot read the overview (${message(e)}); retrying on the next event.`;
  } finally {
    fetching = false;
  }
}

/** @param {unknown} e */
function message(e) {
  return e instanceof Error ? e.message : String(e);
}

/** @type {Record<string, string>} */
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

/** @param {Overview} o */
function drawOverview(o) {
  const dns = o.domain ? `DNS domain ${o.domain}` : 'DNS off';
  $('summary').textContent =
    `cluster ${o.cluster} · framework ${o.framework} · ${o.agents.length} agents ` +
    `(${o.agents.map((a) => `${a.hostname}: ${a.tasks} tasks`).join(', ')}) · ${dns}`;
  // Redrawing replaces the job elements: keep keyboard focus and open <details> where they were.
  const active = document.activeElement;
  const focusKey = active instanceof HTMLElement ? active.dataset.focusKey : undefined;
  const open = new Set(
    [...document.querySelectorAll('details[open][data-key]')].map(
      (d) => /** @type {HTMLDetailsElement} */ (d).dataset.key,
    ),
  );
  const list = $('job-list');
  list.replaceChildren(
    ...(o.jobs.length
      ? o.jobs.map((j, i) => drawJob(j, i, o.dnsServer))
      : [h('p', { class: 'muted' }, 'No jobs. Create one with: npx beacon job create KEY FILE')]),
  );
  for (const d of list.querySelectorAll('details[data-key]')) {
    const details = /** @type {HTMLDetailsElement} */ (d);
    if (open.has(details.dataset.key)) details.open = true;
  }
  if (focusKey) focusOn(list, focusKey);
}

/** Focuses the element of `root` with `data-focus-key` `key`, when it is there.
 * @param {ParentNode} root
 * @param {string} key
 */
function focusOn(root, key) {
  const el = root.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (el instanceof HTMLElement) el.focus();
}

/**
 * @param {JobOverview} job
 * @param {number} index
 * @param {string | null} dnsServer
 */
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

/** @param {JobOverview} job */
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

/**
 * @param {JobOverview} job
 * @param {InstanceOverview} i
 */
function drawInstance(job, i) {
  const label = `instance ${i.instance} of ${job.key}`;
  /** @type {(kind: ActionKind, text: string, cls: string) => HTMLElement} */
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
    h(
      'td',
      { class: i.leftOutOfDns ? 'health left-out' : 'health' },
      i.leftOutOfDns ? `${i.health} · left out of DNS` : i.health,
    ),
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

/**
 * @param {string} type
 * @param {string} name
 */
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

/**
 * @param {JobOverview} job
 * @param {string | null} dnsServer
 */
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
  /** @param {string} n */
  const main = (n) => !n.includes('.slave.') && !n.includes('._udp.');
  /** @type {(type: string) => (n: string) => [string, string]} */
  const typed = (type) => (n) => [type, n];
  const first = [
    ...a.filter(main).map(typed('A')),
    ...srv.filter(main).map(typed('SRV')),
    ...namedSrv.filter(main).map(typed('SRV port')),
  ];
  const rest = [
    ...a.filter((n) => !main(n)).map(typed('A')),
    ...srv.filter((n) => !main(n)).map(typed('SRV')),
    ...namedSrv.filter((n) => !main(n)).map(typed('SRV port')),
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

/** @param {{ host: string, port: number }} e */
function endpoint(e) {
  return `${e.host}:${e.port}`;
}

/** @param {JobOverview} job */
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

/** @param {string} text */
async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the async clipboard (no permission): copy through a selected, hidden text field.
    const ta = /** @type {HTMLTextAreaElement} */ (
      h('textarea', { class: 'sr-only', readonly: true })
    );
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  toast(`Copied ${text}`);
}

// ---- kill / restart -------------------------------------------------------------------------

/** @type {Record<ActionKind, { title: string, verb: string, text: (key: string, i: InstanceOverview) => string }>} */
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

/**
 * Asks first (a modal <dialog>: Esc or Cancel does nothing), then calls the jobs API.
 * @param {ActionKind} kind
 * @param {string} key
 * @param {InstanceOverview} inst
 * @param {string} [error] why the last try failed (asks for the token when it says so)
 */
function confirmAction(kind, key, inst, error) {
  const a = ACTIONS[kind];
  /** @type {HTMLDialogElement} */
  const dlg = $('confirm');
  /** @type {HTMLInputElement} */
  const tokenInput = $('token');
  $('confirm-title').textContent = `${a.title} ${inst.instance}`;
  $('confirm-text').textContent = a.text(key, inst);
  $('confirm-ok').textContent = `${a.verb} instance ${inst.instance}`;
  $('confirm-error').hidden = !error;
  $('confirm-error').textContent = error ?? '';
  const needToken = error !== undefined && /token/i.test(error);
  $('token-row').hidden = !needToken && !sessionStorage.getItem(TOKEN_KEY);
  tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  dlg.returnValue = '';
  dlg.onclose = () => {
    // The row may have been redrawn meanwhile: give focus back to the same button, not to <body>.
    focusOn(document, `${key}#${inst.instance}#${kind}`);
    if (dlg.returnValue !== 'ok') return;
    const token = tokenInput.value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    void send(kind, key, inst);
  };
  dlg.showModal();
  if (needToken) tokenInput.focus();
}

/**
 * @param {ActionKind} kind
 * @param {string} key
 * @param {InstanceOverview} inst
 */
async function send(kind, key, inst) {
  const path = key.split('/').map(encodeURIComponent).join('/');
  /** @type {Record<string, string>} */
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
      const body = await errorBody(res);
      sessionStorage.removeItem(TOKEN_KEY);
      confirmAction(kind, key, inst, body.error ?? 'This master needs its API token.');
      return;
    }
    if (!res.ok) {
      const body = await errorBody(res);
      throw new Error(body.error ?? `HTTP ${res.status}`);
    }
    toast(`${ACTIONS[kind].verb} of instance ${inst.instance} of ${key} sent`);
    void refresh();
  } catch (e) {
    toast(`${ACTIONS[kind].verb} failed: ${message(e)}`);
  }
}

/**
 * The jobs API's error body, or `{}` when the reply is not JSON.
 * @param {Response} res
 * @returns {Promise<ErrorBody>}
 */
function errorBody(res) {
  return res.json().catch(() => ({}));
}

// ---- event feed -----------------------------------------------------------------------------

/** The feed's kind checkboxes. */
function kindBoxes() {
  return /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll('input[name="kind"]')]);
}

function kindsShown() {
  return new Set(
    kindBoxes()
      .filter((i) => i.checked)
      .map((i) => i.value),
  );
}

function applyFilter() {
  const shown = kindsShown();
  for (const li of $('events').children) {
    const item = /** @type {HTMLElement} */ (li);
    item.hidden = !shown.has(item.dataset.kind ?? '');
  }
}

/**
 * The parts of one feed entry.
 * @param {FeedEntry} entry
 * @returns {Leaf[]}
 */
function feedItem(entry) {
  const { kind } = entry;
  const when = new Date(entry.data.at);
  const head = [
    h('time', { datetime: when.toISOString() }, timeFmt.format(when)),
    h('span', { class: 'tag' }, kind === 'serverset' ? 'ServerSet' : kind),
  ];
  if (entry.kind === 'task') {
    const e = entry.data;
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
  if (entry.kind === 'serverset') {
    const e = entry.data;
    /** @type {(m: MemberView, sign: string, cls: string) => HTMLElement} */
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
  const e = entry.data;
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

/** @param {FeedEntry} entry */
function addEvent(entry) {
  const list = $('events');
  const { kind } = entry;
  const li = h('li', { dataset: { kind }, class: `ev ev-${kind}` }, feedItem(entry));
  li.hidden = !kindsShown().has(kind);
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastElementChild?.remove();
}

// ---- chart ----------------------------------------------------------------------------------

/** @type {MetricsSample[]} */
let samples = [];

/** @param {number} v */
function niceMax(v) {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function drawChart() {
  /** @type {SVGSVGElement} */
  const svg = $('chart');
  const title = $('chart-title');
  svg.replaceChildren(title);
  const W = 320;
  const H = 140;
  const L = 28;
  const R = 28;
  const T = 8;
  const B = 16;
  /** @type {(tag: string, attrs: Record<string, string | number>, text?: string) => Element} */
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
  /** @param {number} at */
  const x = (at) => L + ((W - L - R) * (span - (now - at))) / span;
  /** @type {(v: number, max: number) => number} */
  const y = (v, max) => T + (H - T - B) * (1 - v / max);
  for (const f of [0, 0.5, 1]) {
    el('line', { class: 'grid', x1: L, x2: W - R, y1: y(f, 1), y2: y(f, 1) });
    el('text', { class: 'axis', x: L - 3, y: y(f, 1) + 3, 'text-anchor': 'end' }, fmt(qMax * f));
    el('text', { class: 'axis', x: W - R + 3, y: y(f, 1) + 3 }, fmt(aMax * f));
  }
  el('text', { class: 'axis', x: L, y: H - 3 }, `−${Math.round(span / 60_000)} min`);
  el('text', { class: 'axis', x: W - R, y: H - 3, 'text-anchor': 'end' }, 'now');
  /** @type {(f: (s: MetricsSample) => number | null, max: number) => string} */
  const pts = (f, max) =>
    samples
      .flatMap((s) => {
        const v = f(s);
        return v === null || now - s.at > span
          ? []
          : [`${x(s.at).toFixed(1)},${y(v, max).toFixed(1)}`];
      })
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

/** @param {number} n */
function fmt(n) {
  return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}

async function loadMetrics() {
  const res = await fetch('/dashboard/api/metrics', { cache: 'no-store' });
  /** @type {MetricsReply} */
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
  for (const kind of /** @type {const} */ (['task', 'serverset', 'dns'])) {
    es.addEventListener(kind, (m) => {
      addEvent(/** @type {FeedEntry} */ ({ kind, data: JSON.parse(m.data) }));
      void refresh();
    });
  }
  es.addEventListener('metrics', (m) => {
    samples.push(/** @type {MetricsSample} */ (JSON.parse(m.data)));
    if (samples.length > 300) samples.shift();
    drawChart();
  });
}

for (const box of kindBoxes()) box.addEventListener('change', applyFilter);
drawChart();
void refresh();
void loadMetrics().catch(() => undefined);
connect();
