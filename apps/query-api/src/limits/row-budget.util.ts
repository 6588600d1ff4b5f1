import { QueryException } from '../query.exception';

/**
 * The events one request may read in all, over every `events` field it holds (aliases included). The cost rule
 * bounds how many root fields a document has and `first` how many events one page has; without this, one document
 * of 19 aliased `events(first: 1000)` fields passed both and loaded 19,000 whole events into one response.
 */
export class RowBudget {
  private taken = 0;

  constructor(private readonly max: number) {}

  /** Takes a page's rows, or refuses the field asking for them (the fields before it keep theirs). */
  take(rows: number): void {
    if (this.taken + rows > this.max) {
      throw QueryException.badInput(
        'first',
        `one request reads at most ${this.max} events over all its events fields (QUERY_API_MAX_PAGE_SIZE); this field would make it ${this.taken + rows}: ask for the rest in another request, after the page's endCursor`,
      );
    }
    this.taken += rows;
  }
}

const budgets = new WeakMap<object, RowBudget>();

/**
 * The budget of one request, made on first use: keyed by the request object every field of one HTTP request shares.
 * Over graphql-ws each operation gets a request object of its own (LiveSessions.requestOf), so a budget is never one
 * connection's for its lifetime.
 */
export function rowBudgetOf(request: object, max: number): RowBudget {
  let budget = budgets.get(request);
  if (budget === undefined) {
    budget = new RowBudget(max);
    budgets.set(request, budget);
  }
  return budget;
}
