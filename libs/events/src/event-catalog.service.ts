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
