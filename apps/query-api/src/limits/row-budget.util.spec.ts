import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryException } from '../query.exception';
import { RowBudget, rowBudgetOf } from './row-budget.util';

describe(RowBudget.name, () => {
  it('lets pages take up to the maximum in all, and refuses the page that would pass it, naming the setting', () => {
    const budget = new RowBudget(1000);
    budget.take(600);
    budget.take(400);
    assert.throws(
      () => budget.take(1),
      (err: unknown) => err instanceof QueryException && /at most 1000 events .*QUERY_API_MAX_PAGE_SIZE.*1001/.test(err.message),
    );
  });

  it('keeps the rows of a refused page for the pages after it', () => {
    const budget = new RowBudget(1000);
    budget.take(900);
    assert.throws(() => budget.take(200), QueryException);
    budget.take(100);
  });

  it('is one budget per request', () => {
    const a = {};
    const b = {};
    rowBudgetOf(a, 10).take(10);
    assert.throws(() => rowBudgetOf(a, 10).take(1), QueryException);
    rowBudgetOf(b, 10).take(10);
  });
});
