import { closest, distance } from 'fastest-levenshtein';
import { CATALOG, CATEGORY_INFO, type Action, type CatalogEntry } from './generated/catalog';
import { CATEGORIES, type Category } from './generated/event.types';

const byAction = new Map<string, CatalogEntry>(CATALOG.map((entry) => [entry.action, entry]));
const actionNames = CATALOG.map((entry) => entry.action);

/** The Kafka topic that carries a category's events. */
export function topicFor(category: Category): string {
  return `audit.${category}`;
}

/** The registry subject of a category's topic (TopicNameStrategy). */
export function subjectFor(category: Category): string {
  return `${topicFor(category)}-value`;
}

/** The category of an `audit.<category>` topic, or undefined for any other topic. */
export function categoryOfTopic(topic: string): Category | undefined {
  const name = topic.startsWith('audit.') ? topic.slice('audit.'.length) : '';
  return isCategory(name) ? name : undefined;
}

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

export function catalogEntry(action: string): CatalogEntry | undefined {
  return byAction.get(action);
}

export function isAction(value: string): value is Action {
  return byAction.has(value);
}

/** A vendor's event name as the catalog compares it: case and runs of spaces, dashes or underscores do not matter. */
function vendorKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
}

const byVendorName = new Map<string, Map<string, Action>>();
for (const entry of CATALOG)
  for (const source of entry.sources) {
    const names = byVendorName.get(source.vendor) ?? new Map<string, Action>();
    if (!names.has(vendorKey(source.name))) names.set(vendorKey(source.name), entry.action);
    byVendorName.set(source.vendor, names);
  }

/**
 * The catalog action a vendor's own event name maps to (`LOGIN_FAILED` from ThoughtSpot, `User position created` from
 * Thrive, `UserAccounts/Login` from LogicHub), from the catalog's `sources`. With no vendor, or a name that vendor does
 * not use, any vendor's name is tried, and the catalog's own action names too.
 */
export function actionForVendorName(name: string, vendor?: string): Action | undefined {
  const key = vendorKey(name);
  if (vendor !== undefined) {
    const own = byVendorName.get(vendor)?.get(key);
    if (own !== undefined) return own;
  }
  if (byAction.has(name)) return name as Action;
  for (const names of byVendorName.values()) {
    const action = names.get(key);
    if (action !== undefined) return action;
  }
  return undefined;
}

export function allTopics(): string[] {
  return CATEGORIES.map(topicFor);
}

export function categoryInfo(category: Category): (typeof CATEGORY_INFO)[number] | undefined {
  return CATEGORY_INFO.find((c) => c.name === category);
}

/**
 * The catalog action nearest to a misspelt one, when it is close enough to be a plausible typo.
 * "user.logn" suggests "user.login.succeeded"-style names through their common prefix first.
 */
export function suggestAction(action: string): string | undefined {
  const lower = action.toLowerCase();
  const prefixed = actionNames.filter((a) => a.startsWith(`${lower}.`));
  if (prefixed.length > 0) return prefixed.sort()[0];
  const best = closest(lower, actionNames);
  const limit = Math.max(2, Math.floor(lower.length / 4));
  if (distance(lower, best) <= limit) return best;
  // A typo in the object part: compare against each action's object.verb prefix of the same length.
  let bestPrefix: { action: string; d: number } | undefined;
  for (const candidate of actionNames) {
    const head = candidate.split('.').slice(0, lower.split('.').length).join('.');
    const d = distance(lower, head);
    if (d <= limit && (bestPrefix === undefined || d < bestPrefix.d)) bestPrefix = { action: candidate, d };
  }
  return bestPrefix?.action;
}
