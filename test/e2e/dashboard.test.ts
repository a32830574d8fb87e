// The dashboard in a real browser: Debian's chromium driven by playwright-core (never a downloaded
// browser) against a real devcluster. The example job shows with both instances RUNNING, its DNS
// names and ServerSet members; a copy button copies; restarting an instance from the page (after
// the confirmation, by keyboard) shows it going down and coming back RUNNING as a new task, with
// the feed telling so; killing one removes it. A screenshot goes to test-results/dashboard.png.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { dig } from '../helpers/dig.js';
import { ROOT } from '../helpers/cli.js';
import {
  EXAMPLE_KEY,
  startDevclusterProc,
  waitRunning,
  type DevclusterProc,
} from './devcluster-proc.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'test-results', 'dashboard.png');
const JOB = `article[data-job="${EXAMPLE_KEY}"]`;

/** Installs chromium the way `npm test` does when it can (root); the reason to skip otherwise. */
function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.getuid?.() === 0) {
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'ensure.mjs'), '--browser'], {
      stdio: 'inherit',
    });
    if (existsSync(CHROMIUM)) return undefined;
    // Installable in principle (root) but the install failed: a failure, not a skip.
    throw new Error(`apt-get could not install chromium (${CHROMIUM}); see the output above`);
  }
  return `needs Debian chromium at ${CHROMIUM}: run 'apt-get install chromium' as root (npm test does it when run as root)`;
}

const skip = chromiumMissing();
let dc: DevclusterProc;
let ctx: BrowserContext;
let page: Page;
let userDir: string;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  dc = await startDevclusterProc({ dns: true });
  userDir = mkdtempSync(join(tmpdir(), 'beacon-chromium-'));
  ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dc.masterUrl });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
});

after(async () => {
  await ctx?.close();
  await dc?.stop();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
});

/** The status, task id and restarts of each instance row, as the page shows them. */
function rows(
  p: Page,
): Promise<{ instance: string; status: string; taskId: string; restarts: string }[]> {
  return p.$$eval(`${JOB} table.instances tbody tr`, (trs) =>
    trs.map((tr) => ({
      instance: (tr as HTMLElement).dataset.instance ?? '',
      status: tr.querySelector('.status')?.textContent?.trim() ?? '',
      taskId: (tr as HTMLElement).dataset.taskId ?? '',
      restarts: tr.querySelector('.restarts')?.textContent?.trim() ?? '',
    })),
  );
}

/** Waits until the page's instance rows satisfy `ok` (checked on every animation frame). */
async function waitRows(
  what: string,
  ok: (r: Awaited<ReturnType<typeof rows>>) => boolean,
  timeoutMs = 30000,
): Promise<Awaited<ReturnType<typeof rows>>> {
  const deadline = Date.now() + timeoutMs;
  let last: Awaited<ReturnType<typeof rows>> = [];
  while (Date.now() < deadline) {
    last = await rows(page);
    if (ok(last)) return last;
    // The page redraws on every event; wait for the next redraw of the job (or a short deadline).
    await page
      .waitForFunction(
        ([sel, before]) => document.querySelector(sel)?.textContent !== before,
        [JOB, await page.$eval(JOB, (e) => e.textContent).catch(() => null)] as const,
        { timeout: 1000 },
      )
      .catch(() => undefined);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; rows: ${JSON.stringify(last)}`,
  );
}

test(
  'the dashboard shows the example job, restarts and kills an instance from the page',
  { skip },
  async () => {
    const api = await waitRunning(dc.masterUrl, 2);
    await page.goto(`${dc.masterUrl}/`);
    assert.equal(await page.title(), 'Beacon devcluster');

    // Both instances RUNNING, with their agents' addresses and named ports (the alias included).
    const first = await waitRows(
      'both instances RUNNING',
      (r) => r.length === 2 && r.every((x) => x.status === 'RUNNING'),
    );
    assert.deepEqual(first.map((r) => r.taskId).sort(), api.map((i) => i.taskId).sort());
    for (const inst of api) {
      const row = page.locator(`${JOB} tr[data-instance="${inst.instance}"]`);
      const text = (await row.textContent()) ?? '';
      assert.ok(text.includes(inst.host!), text);
      assert.ok(text.includes(`alias ${inst.ports!.http}`), text);
      assert.ok(text.includes('healthy'), text);
    }
    await page.getByRole('link', { name: 'Skip to jobs' }).waitFor({ state: 'attached' });

    // DNS names (from the DNS service's own records) and the ServerSet members, live.
    const names = page.locator(`${JOB} .dns-names`);
    for (const n of [
      'http_example.test.vagrant.aurora.mesos',
      '_http_example.test.vagrant._tcp.aurora.mesos',
      '_alias._http_example.test.vagrant._tcp.aurora.mesos',
    ]) {
      await names.getByText(n, { exact: true }).first().waitFor({ timeout: 10000 });
    }
    await page.waitForFunction(
      (sel) => document.querySelectorAll(`${sel} .members tbody tr`).length === 2,
      JOB,
      { timeout: 10000 },
    );
    const members = (await page.locator(`${JOB} .members tbody`).textContent()) ?? '';
    for (const inst of api)
      assert.ok(members.includes(`${inst.host}:${inst.ports!.http}`), members);

    // A copy button puts the name on the clipboard.
    await page
      .getByRole('button', { name: 'Copy http_example.test.vagrant.aurora.mesos', exact: true })
      .click();
    assert.equal(
      await page.evaluate(() => navigator.clipboard.readText()),
      'http_example.test.vagrant.aurora.mesos',
    );

    // The chart draws the DNS service's samples; queries show up in them.
    for (let n = 0; n < 5; n++) {
      const r = await dig(dc.dnsPort!, ['http_example.test.vagrant.aurora.mesos', 'A']);
      assert.equal(r.answer.length, 2);
    }
    await page.waitForFunction(
      () => /peak [1-9]/.test(document.getElementById('chart-now')?.textContent ?? ''),
      null,
      { timeout: 10000 },
    );
    // The chart gains a sample a second: wait (bounded) for a line, not a single point.
    await page.waitForFunction(
      () =>
        (document.querySelector('#chart polyline.qps')?.getAttribute('points') ?? '').split(' ')
          .length >= 2,
      null,
      { timeout: 10000 },
    );
    const points = await page.$eval('#chart polyline.qps', (e) => e.getAttribute('points') ?? '');
    assert.ok(points.split(' ').length >= 2, points);

    // Restart instance 1 by keyboard: Escape cancels; Enter on the confirm button restarts.
    const old = first.find((x) => x.instance === '1')!;
    const restart = page.getByRole('button', {
      name: `Restart instance 1 of ${EXAMPLE_KEY}`,
      exact: true,
    });
    await restart.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible' });
    assert.match(
      (await dialog.textContent()) ?? '',
      /Restart instance 1 of devcluster\/vagrant\/test\/http_example\?/,
    );
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await rows(page)).find((x) => x.instance === '1')!.taskId, old.taskId);

    // Every status the page draws for instance 1 from now on, however briefly.
    await page.evaluate((sel) => {
      const w = window as unknown as { seen: string[] };
      w.seen = [];
      const look = () => {
        const st = document.querySelector(`${sel} tr[data-instance="1"] .status`)?.textContent;
        if (st && st !== w.seen.at(-1)) w.seen.push(st);
      };
      new MutationObserver(look).observe(document.getElementById('job-list')!, {
        childList: true,
        subtree: true,
      });
    }, JOB);
    await restart.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Restart instance 1', exact: true }).focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });

    // It goes down (killed, then a new task on its way) and comes back RUNNING as a new task.
    const back = await waitRows('instance 1 RUNNING again as a new task', (rs) => {
      const i = rs.find((x) => x.instance === '1');
      return i !== undefined && i.status === 'RUNNING' && i.taskId !== old.taskId;
    });
    const fresh = back.find((x) => x.instance === '1')!;
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(
      seen.some((st) => st !== 'RUNNING'),
      `the page never showed instance 1 restarting: ${seen.join(' → ')}`,
    );
    assert.equal(seen.at(-1), 'RUNNING');
    assert.equal(fresh.restarts, '1');
    assert.equal(
      back.find((x) => x.instance === '0')!.taskId,
      first.find((x) => x.instance === '0')!.taskId,
    );

    // The feed told: the old task killed, the new one running, the ServerSet member replaced.
    const feed = page.locator('#events');
    await feed
      .locator('li[data-kind="task"]', { hasText: old.taskId })
      .filter({ hasText: 'TASK_KILLED' })
      .first()
      .waitFor();
    await feed
      .locator('li[data-kind="task"]', { hasText: fresh.taskId })
      .filter({ hasText: 'TASK_RUNNING' })
      .first()
      .waitFor();
    await feed.locator('li[data-kind="serverset"]', { hasText: '1 left' }).first().waitFor();
    await feed.locator('li[data-kind="dns"]').first().waitFor();
    await page.waitForFunction(
      (sel) => document.querySelectorAll(`${sel} .members tbody tr`).length === 2,
      JOB,
      { timeout: 10000 },
    );

    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Kill instance 1 (the jobs API's kill: the instance is removed, not restarted).
    await page
      .getByRole('button', { name: `Kill instance 1 of ${EXAMPLE_KEY}`, exact: true })
      .click();
    await dialog.waitFor({ state: 'visible' });
    assert.match((await dialog.textContent()) ?? '', /removed from the job/);
    await page.getByRole('button', { name: 'Kill instance 1', exact: true }).click();
    await waitRows('instance 1 gone', (rs) => rs.length === 1 && rs[0]!.instance === '0');
    await page.waitForFunction(
      (sel) => document.querySelectorAll(`${sel} .members tbody tr`).length === 1,
      JOB,
      { timeout: 15000 },
    );
    assert.deepEqual(pageErrors, []);
  },
);

test('with an API token, the page asks for it on a 401 and then restarts', { skip }, async () => {
  const token = 'dashboard-test-token-0123456789';
  const tdc = await startDevclusterProc({ dns: false, extra: ['--api-token', token] });
  const p = await ctx.newPage();
  try {
    const api = await waitRunning(tdc.masterUrl, 2);
    await p.goto(`${tdc.masterUrl}/`);
    const job = `article[data-job="${EXAMPLE_KEY}"]`;
    await p.waitForFunction(
      (sel) =>
        [...document.querySelectorAll(`${sel} table.instances tbody tr .status`)].filter(
          (e) => e.textContent === 'RUNNING',
        ).length === 2,
      job,
      { timeout: 30000 },
    );
    // Without DNS the page says so instead of names and a chart.
    await p.locator(`${job} .dns-names`, { hasText: '--no-dns' }).waitFor();
    const old = api.find((i) => i.instance === 0)!.taskId!;
    await p
      .getByRole('button', { name: `Restart instance 0 of ${EXAMPLE_KEY}`, exact: true })
      .click();
    await p.getByRole('button', { name: 'Restart instance 0', exact: true }).click();
    // The master refuses (401): the dialog comes back asking for the token.
    const tokenField = p.getByLabel(/API token/);
    await tokenField.waitFor({ state: 'visible' });
    assert.match((await p.locator('#confirm-error').textContent()) ?? '', /token/i);
    await tokenField.fill(token);
    await p.getByRole('button', { name: 'Restart instance 0', exact: true }).click();
    await p.waitForFunction(
      ([sel, oldId]) => {
        const tr = document.querySelector<HTMLElement>(`${sel} tr[data-instance="0"]`);
        return (
          tr?.dataset.taskId !== oldId && tr?.querySelector('.status')?.textContent === 'RUNNING'
        );
      },
      [job, old] as const,
      { timeout: 30000 },
    );
  } finally {
    await p.close();
    await tdc.stop();
  }
});
