// The audit console's figures (docs/console.md): (a) what the first load of /console/ downloads, raw and gzipped;
// (b) time to first rows in Chromium, signed in, for the biggest tenant of a seeded store, against the API's own
// latency for the very request the console sends; (c) frame times while scrolling through 10,000 loaded rows.
// BENCH_SCHEMA reuses a seeded schema (qbench10m: 10 M rows); without it a fresh 1 M-row schema is seeded and dropped.
// Headless Chromium paces frames with its own timer, not a display's vsync: the frame figures compare runs, they are
// not what a given monitor shows.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import {
  AppProcess,
  benchEnv,
  launchChromium,
  repoRoot,
  testEnv,
  uniqueName,
  waitFor,
  type PageElement,
  type PageWindow,
} from '@vigil/testing';
import { benchApiKey, startBenchQueryApi } from './lib/query-api.util';
import { seedQueryStore, tenantName } from './lib/query-seed.util';
import { machine, percentile, writeReport, type Measurement } from './lib/report.util';

const env = benchEnv();
const EVENTS = env.BENCH_EVENTS ?? 1_000_000;
const LOADS = env.BENCH_ROUNDS ?? 10;
const SCROLL_ROWS = 10_000;
/** Pixels the scroll container moves per animation frame: a steady, brisk scroll (about 10 rows a frame). */
const SCROLL_STEP_PX = 160;
const CONSOLE_DIR = path.join(repoRoot, 'dist', 'console');
const CREDENTIAL_KEY = 'vigil.console.credential';

const sortedOf = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

interface Asset {
  file: string;
  bytes: number;
  gzipBytes: number;
}

function asset(relative: string): Asset {
  const buffer = readFileSync(path.join(CONSOLE_DIR, relative));
  return { file: relative, bytes: buffer.length, gzipBytes: gzipSync(buffer).length };
}

/** (a) index.html and what it references (the entry script, its preloaded imports, the CSS); every other asset is lazy. */
function bundle(): { entry: Asset[]; lazy: Asset[] } {
  const html = readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => (m[1] ?? '').replace(/^(\/console)?\//, ''));
  const all = readdirSync(path.join(CONSOLE_DIR, 'assets'))
    .filter((f) => !f.endsWith('.map') && statSync(path.join(CONSOLE_DIR, 'assets', f)).isFile())
    .map((f) => `assets/${f}`);
  const entry = [asset('index.html'), ...referenced.map(asset)];
  const lazy = all.filter((f) => !referenced.includes(f) && /\.(js|css)$/.test(f)).map(asset);
  return { entry, lazy };
}

/** Marks the first visible event row's time (ms since navigation start) in window.__firstRowAt, polled every frame. */
function watchFirstRow(): void {
  const w = globalThis as unknown as PageWindow & { __firstRowAt?: number };
  const poll = (): void => {
    for (const row of w.document.querySelectorAll('[aria-label="Events"] [role="row"], table[aria-label="Events"] tr')) {
      if (row.querySelector('[role="columnheader"], th')) continue;
      if (row.getBoundingClientRect().height > 0) {
        w.__firstRowAt = w.performance.now();
        return;
      }
    }
    w.requestAnimationFrame(poll);
  };
  w.requestAnimationFrame(poll);
}

async function signedInPage(browser: Browser, baseUrl: string, key: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(120_000);
  // Signed in as a returning tab is: the credential already in sessionStorage when the page starts.
  await context.addInitScript(
    ({ storageKey, credential }) => {
      const w = globalThis as unknown as PageWindow;
      if (w.sessionStorage.getItem(storageKey) === null) w.sessionStorage.setItem(storageKey, credential);
    },
    { storageKey: CREDENTIAL_KEY, credential: key },
  );
  await context.addInitScript(watchFirstRow);
  return context.newPage();
}

const firstRow = (page: Page) =>
  page
    .getByRole('table', { name: 'Events' })
    .getByRole('row')
    .filter({ hasNot: page.getByRole('columnheader') })
    .first();

async function shownCount(page: Page): Promise<{ count: number; more: boolean }> {
  const text =
    (await page
      .getByText(/Showing [\d,]+ events?/)
      .first()
      .textContent()) ?? '';
  return { count: Number((/Showing ([\d,]+)/.exec(text)?.[1] ?? '0').replace(/,/g, '')), more: /more available/i.test(text) };
}

interface FrameStats {
  frames: number;
  over16: number;
  over17_5: number;
  over33: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  totalMs: number;
  scrolledPx: number;
}

/** (c) Scrolls the table's scroll container from top to bottom, SCROLL_STEP_PX per frame, timing every frame. */
async function scrollFrames(page: Page): Promise<FrameStats> {
  return page.getByRole('table', { name: 'Events' }).evaluate(
    (table: unknown, step: number) =>
      new Promise<FrameStats>((resolve) => {
        const w = globalThis as unknown as PageWindow;
        // The table's own scrolling body (virtualised), else the nearest scrolling ancestor, else the page.
        const scrolls = (el: PageElement): boolean =>
          /(auto|scroll)/.test(w.getComputedStyle(el).overflowY) && el.scrollHeight > el.clientHeight;
        const root = table as PageElement;
        let el: PageElement | null = [...root.querySelectorAll('*')].find(scrolls) ?? null;
        for (let up: PageElement | null = root; !el && up; up = up.parentElement) if (scrolls(up)) el = up;
        const scroller = el ?? w.document.scrollingElement ?? w.document.documentElement;
        scroller.scrollTop = 0;
        const end = scroller.scrollHeight - scroller.clientHeight;
        const stamps: number[] = [];
        const frame = (time: number): void => {
          stamps.push(time);
          if (scroller.scrollTop < end - 1) {
            scroller.scrollTop = Math.min(end, scroller.scrollTop + step);
            w.requestAnimationFrame(frame);
            return;
          }
          const gaps = stamps.slice(1).map((t, i) => t - (stamps[i] ?? t));
          const sorted = [...gaps].sort((a, b) => a - b);
          const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
          resolve({
            frames: gaps.length,
            over16: gaps.filter((g) => g > 16.7).length,
            over17_5: gaps.filter((g) => g > 17.5).length,
            over33: gaps.filter((g) => g > 33.4).length,
            p50: at(50),
            p95: at(95),
            p99: at(99),
            max: sorted[sorted.length - 1] ?? 0,
            totalMs: (stamps[stamps.length - 1] ?? 0) - (stamps[0] ?? 0),
            scrolledPx: end,
          });
        };
        w.requestAnimationFrame(frame);
      }),
    SCROLL_STEP_PX,
  );
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const { entry, lazy } = bundle();
  const reuse = env.BENCH_SCHEMA;
  const schema = reuse ?? uniqueName('qbench').replace(/-/g, '_');
  const url = new URL(testEnv.databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  let seedSeconds = 0;
  let app: AppProcess | undefined;
  let browser: Browser | undefined;
  try {
    if (!reuse) {
      seedSeconds = await seedQueryStore({ databaseUrl: testEnv.databaseUrl, schema, events: EVENTS });
      process.stdout.write(`seeded ${EVENTS} events in ${seedSeconds.toFixed(1)} s\n`);
    }
    const rows = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event`)).rows[0]?.n ?? 0);
    const tenant = tenantName(0);
    const tenantLast24h = Number(
      (
        await pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_event WHERE tenant_id = $1 AND time >= now() - interval '1 day'`, [
          tenant,
        ])
      ).rows[0]?.n ?? 0,
    );
    const key = await benchApiKey(pool, tenant, 'console-bench');
    app = await startBenchQueryApi(url.toString());
    browser = await launchChromium();

    // (b) Time to first rows: a fresh tab each load (no HTTP cache), one warm-up load not counted.
    const consoleUrl = `${app.baseUrl}/console/?range=24h`;
    const inPage: number[] = [];
    const wall: number[] = [];
    let eventsRequest: string | undefined;
    for (let i = 0; i <= LOADS; i++) {
      const page = await signedInPage(browser, app.baseUrl, key);
      page.on('request', (request) => {
        const body = request.postData();
        if (eventsRequest === undefined && request.url().endsWith('/graphql') && body?.includes('events(')) eventsRequest = body;
      });
      const t0 = performance.now();
      await page.goto(consoleUrl);
      await firstRow(page).waitFor();
      const elapsed = performance.now() - t0;
      const firstRowAt = await waitFor(
        () => page.evaluate(() => (globalThis as unknown as { __firstRowAt?: number }).__firstRowAt),
        (v) => v !== undefined,
        'the in-page first-row mark',
      );
      if (i > 0) {
        inPage.push(firstRowAt ?? Number.NaN);
        wall.push(elapsed);
      }
      await page.context().close();
    }
    if (eventsRequest === undefined) throw new Error('the console sent no GraphQL events query');
    // The baseline: the console's own first-page request, sent by Node straight to the API, in the same run.
    const apiTimes: number[] = [];
    for (let i = 0; i <= LOADS * 3; i++) {
      const t0 = performance.now();
      const res = await fetch(`${app.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: eventsRequest,
      });
      const body = (await res.json()) as { errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      if (i > 0) apiTimes.push(performance.now() - t0);
    }
    const pageSize = Number(/"first":(\d+)/.exec(eventsRequest)?.[1] ?? /first:\s*(\d+)/.exec(eventsRequest)?.[1] ?? Number.NaN);

    // (c) 10,000 rows loaded (page by page, as "Load more" does), then scrolled top to bottom.
    const page = await signedInPage(browser, app.baseUrl, key);
    await page.goto(`${app.baseUrl}/console/?range=30d`);
    await firstRow(page).waitFor();
    const loadStart = performance.now();
    let status = await shownCount(page);
    while (status.count < SCROLL_ROWS && status.more) {
      const before = status.count;
      await page.getByRole('button', { name: 'Load more' }).click();
      status = await waitFor(
        () => shownCount(page),
        (s) => s.count > before,
        'Load more to add rows',
        60_000,
      );
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;
    if (status.count < SCROLL_ROWS)
      throw new Error(`only ${status.count} rows to scroll (the tenant has fewer than ${SCROLL_ROWS} over 30 days)`);
    const frames = await scrollFrames(page);
    const version = browser.version();

    const gz = (assets: readonly Asset[]) => assets.reduce((n, a) => n + a.gzipBytes, 0);
    const raw = (assets: readonly Asset[]) => assets.reduce((n, a) => n + a.bytes, 0);
    const inPageSorted = sortedOf(inPage);
    const wallSorted = sortedOf(wall);
    const apiSorted = sortedOf(apiTimes);
    const measurements: Measurement[] = [
      {
        name: 'first load: index.html + entry JS + CSS',
        value: raw(entry),
        unit: 'bytes',
        extra: { gzipBytes: gz(entry), files: entry.map((a) => `${a.file} ${a.bytes}/${a.gzipBytes} gz`).join('; ') },
      },
      {
        name: `lazy chunks (${lazy.length}, not in the first load)`,
        value: raw(lazy),
        unit: 'bytes',
        extra: { gzipBytes: gz(lazy), files: lazy.map((a) => `${a.file} ${a.bytes}/${a.gzipBytes} gz`).join('; ') },
      },
      {
        name: `time to first rows, ${tenant} last 24 h (in page)`,
        value: percentile(inPageSorted, 50),
        unit: 'ms p50',
        extra: {
          p95: percentile(inPageSorted, 95),
          min: inPageSorted[0] ?? Number.NaN,
          max: inPageSorted[inPageSorted.length - 1] ?? Number.NaN,
          loads: LOADS,
        },
      },
      {
        name: 'time to first rows, goto() to row visible (Node side)',
        value: percentile(wallSorted, 50),
        unit: 'ms p50',
        extra: { p95: percentile(wallSorted, 95), loads: LOADS },
      },
      {
        name: `API alone: the console's first-page request (${pageSize} rows)`,
        value: percentile(apiSorted, 50),
        unit: 'ms p50',
        extra: { p95: percentile(apiSorted, 95), rounds: apiSorted.length },
      },
      {
        name: `scroll ${status.count.toLocaleString('en')} rows, ${SCROLL_STEP_PX} px/frame (headless)`,
        value: frames.p99,
        unit: 'ms p99',
        extra: {
          frames: frames.frames,
          over16_7ms: frames.over16,
          over17_5ms: frames.over17_5,
          over33ms_dropped: frames.over33,
          p50: frames.p50,
          p95: frames.p95,
          max: frames.max,
          totalMs: frames.totalMs,
          scrolledPx: frames.scrolledPx,
          loadSeconds,
        },
      },
    ];
    writeReport({
      bench: 'console',
      startedAt,
      machine: machine(),
      parameters: {
        schema: reuse ?? `fresh (${EVENTS} events)`,
        rows,
        tenant,
        tenantEventsLast24h: tenantLast24h,
        loads: LOADS,
        seedSeconds,
        chromium: version,
        frames:
          'headless Chromium: requestAnimationFrame paced by its own 60 Hz timer, not a display vsync; rAF timestamps jitter by ~0.1 ms, so over16_7ms counts 16.8 ms frames, over17_5ms does not',
      },
      measurements,
      ratios: { 'time to first rows / API first page (p50)': percentile(inPageSorted, 50) / percentile(apiSorted, 50) },
    });
  } finally {
    await browser?.close();
    await app?.stop();
    if (!reuse && !env.BENCH_KEEP) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
