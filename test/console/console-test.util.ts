import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { AuditEvent, AuthenticationEvent } from '@vigil/events';
import { anAuditEvent, waitFor, type PageElement, type PageWindow } from '@vigil/testing';

// The audit console as a user drives it, by the accessible names of its UI contract (docs/console.md): helpers for
// signing in, reading the events table (virtualised, so only the rows in view are in the DOM) and the seeded data.

export const ACTIONS = ['user.login.failed', 'user.login.succeeded', 'user.logout.succeeded'] as const;
const OUTCOMES = { 'user.login.failed': 'FAILURE', 'user.login.succeeded': 'SUCCESS', 'user.logout.succeeded': 'SUCCESS' } as const;
export const ACTORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
export const IPS = ['203.0.113.10', '203.0.113.20', '198.51.100.30', '192.0.2.40'] as const;
/** The phrase a tenth of tenant A's events carry in their description (the free-text filter's needle). */
export const NEEDLE = 'impossible travel';
/** What every tenant B event carries in its actor id, name and description, so a leak shows in any column. */
export const B_MARK = 'bravo-only';

/**
 * `count` authentication events of `tenantId` over the last `spanMinutes` minutes, newest first: actions, actors,
 * client IPs and correlation ids cycle at different periods so every combination occurs.
 */
export function consoleEvents(tenantId: string, count: number, prefix: string, spanMinutes = 50): AuthenticationEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const millis = now - Math.floor(((i + 1) * spanMinutes * 60_000) / (count + 1));
    const time = millis * 1000 + (i % 1000);
    const action = ACTIONS[i % ACTIONS.length] ?? 'user.login.failed';
    const actor = ACTORS[i % ACTORS.length] ?? 'alice';
    const base = anAuditEvent({ tenantId, time, observedTime: time + 1_000 });
    return {
      ...base,
      action,
      outcome: OUTCOMES[action],
      severity: action === 'user.login.failed' ? 'MEDIUM' : 'INFO',
      actor: { id: `${prefix}-${actor}`, name: `${actor}@${prefix}.example`, type: 'USER', roles: ['member'] },
      client: { ip: IPS[i % IPS.length] ?? '192.0.2.1', userAgent: 'Mozilla/5.0 (console e2e)' },
      correlationId: `${prefix}-corr-${i % 25}`,
      description: i % 10 === 0 ? `Sign-in flagged: ${NEEDLE} from a second country` : `${action} #${i} of ${prefix}`,
      targets: [{ type: 'user', id: `${prefix}-${actor}`, name: `${actor}@${prefix}.example` }],
    };
  });
}

/** The events of `events` a console URL's filter selects (the filters the tests set: text, actions, actor, IP, correlation id). */
export function matching(events: readonly AuditEvent[], url: string): AuditEvent[] {
  const q = new URL(url).searchParams;
  const text = q.get('text')?.toLowerCase();
  const actions = q.get('actions')?.split(',').filter(Boolean);
  const actorId = q.get('actorId');
  const clientIp = q.get('clientIp');
  const correlationId = q.get('correlationId');
  return events.filter(
    (e) =>
      (!text || (e.description ?? '').toLowerCase().includes(text)) &&
      (!actions || actions.includes(e.action)) &&
      (!actorId || e.actor.id === actorId) &&
      (!clientIp || e.client?.ip === clientIp) &&
      (!correlationId || e.correlationId === correlationId),
  );
}

/** A fresh browser context (its own sessionStorage, as a new tab) at `path` of the console. */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  path = '/console/',
  viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' });
  // Well under the test's own timeout, so a missing element fails with Playwright's call log, not a bare timeout.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  await page.goto(`${baseUrl}${path}`);
  return { context, page };
}

/** Signs in on the sign-in page with `credential` and waits for the header that says who is signed in. */
export async function signIn(page: Page, credential: string): Promise<void> {
  await page.getByLabel('API key or token').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signedInAs(page).waitFor();
}

export function signedInAs(page: Page): Locator {
  return page.getByLabel('Signed in as');
}

export function eventsTable(page: Page): Locator {
  return page.getByRole('table', { name: 'Events' });
}

/** The table's event rows (the first row is the header). */
export function dataRows(page: Page): Locator {
  return eventsTable(page)
    .getByRole('row')
    .filter({ hasNot: page.getByRole('columnheader') });
}

/** The status under the table: "Showing <n> events" (", more available" when there is a next page). */
export function showingStatus(page: Page): Locator {
  return page.getByText(/Showing [\d,]+ events?/);
}

export async function shown(page: Page): Promise<{ count: number; more: boolean }> {
  const text = (await showingStatus(page).first().textContent()) ?? '';
  const count = Number((/Showing ([\d,]+) event/.exec(text)?.[1] ?? 'NaN').replace(/,/g, ''));
  return { count, more: /more available/i.test(text) };
}

/** Waits until the status says exactly `count` events and nothing more to load. */
export async function waitForShown(page: Page, count: number, what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    () => shown(page),
    (s) => s.count === count && !s.more,
    `${what}: "Showing ${count} events" with nothing more available`,
    timeoutMs,
  );
}

/** Clicks "Load more" until there is no next page; the status's count after each click must grow. */
export async function loadAll(page: Page): Promise<number> {
  let last = await shown(page);
  while (last.more) {
    const before = last.count;
    await page.getByRole('button', { name: 'Load more' }).click();
    last = await waitFor(
      () => shown(page),
      (s) => s.count > before,
      `"Load more" to add rows to the ${before} shown`,
    );
  }
  return last.count;
}

/**
 * The table's scroll container: the first element in the table that scrolls vertically (a virtualised body), else the
 * nearest ancestor that does, else the page. Marked with data-e2e-scroller so later calls find it again.
 */
export async function markScroller(page: Page): Promise<void> {
  await eventsTable(page).evaluate((table: unknown) => {
    const w = globalThis as unknown as PageWindow;
    for (const el of w.document.querySelectorAll('[data-e2e-scroller]')) el.removeAttribute('data-e2e-scroller');
    const scrolls = (el: PageElement): boolean =>
      /(auto|scroll)/.test(w.getComputedStyle(el).overflowY) && el.scrollHeight > el.clientHeight;
    const root = table as PageElement;
    let found: PageElement | null = [...root.querySelectorAll('*')].find(scrolls) ?? null;
    for (let el: PageElement | null = root; !found && el; el = el.parentElement) if (scrolls(el)) found = el;
    (found ?? w.document.scrollingElement ?? w.document.documentElement).setAttribute('data-e2e-scroller', '');
  });
}

/** Scrolls the table's container to its end (the console loads the next page when scrolled near the end). */
export async function scrollTableToEnd(page: Page): Promise<void> {
  await markScroller(page);
  await page.evaluate(() => {
    const el = (globalThis as unknown as PageWindow).document.querySelector('[data-e2e-scroller]');
    if (el) el.scrollTop = el.scrollHeight;
  });
}

/**
 * Every row the table holds, read by scrolling its container from top to bottom (a virtualised table renders only
 * the rows in view): one text per distinct event (by the row's data-event-id, else by its text).
 */
export async function readAllRows(page: Page): Promise<string[]> {
  if ((await eventsTable(page).count()) === 0) return []; // "No events match" or an error: no table at all
  await markScroller(page);
  return page.evaluate(async () => {
    const w = globalThis as unknown as PageWindow;
    const el = w.document.querySelector('[data-e2e-scroller]');
    const table = w.document.querySelector('[role="table"][aria-label="Events"], table[aria-label="Events"]');
    if (!el || !table) return [];
    const frame = () => new Promise<void>((resolve) => w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve())));
    const seen = new Map<string, string>();
    const step = Math.max(40, Math.floor(el.clientHeight / 2));
    for (let top = 0; ; top += step) {
      el.scrollTop = top;
      await frame();
      for (const row of table.querySelectorAll('[role="row"], tr')) {
        if (row.querySelector('[role="columnheader"], th')) continue;
        // Keyed by the event id the row carries (data-event-id) when it has one, so two rows of one event count once.
        const text = row.innerText.replace(/\s+/g, ' ').trim();
        seen.set(row.getAttribute('data-event-id') ?? text, text);
      }
      if (top >= el.scrollHeight - el.clientHeight) break;
    }
    el.scrollTop = 0;
    return [...seen.values()];
  });
}

/** The accessible name of `locator`'s element, as the browser computed it (from its ARIA snapshot). */
export async function accessibleName(locator: Locator): Promise<string> {
  const first = (await locator.ariaSnapshot()).split('\n')[0] ?? '';
  const quoted = /^- \w+ "((?:[^"\\]|\\.)*)"/.exec(first)?.[1];
  return quoted === undefined ? '' : (JSON.parse(`"${quoted}"`) as string);
}

/** The texts of the rows in view. */
export async function visibleRowTexts(page: Page): Promise<string[]> {
  return (await dataRows(page).allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** RFC 4180 records (quoted cells, doubled quotes, CRLF or LF line ends). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += c;
  }
  if (cell.length > 0 || record.length > 0) records.push([...record, cell]);
  return records;
}
