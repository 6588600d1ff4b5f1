import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventMatches } from './event-match.util';
import { CASE_EVENTS, FILTER_CASES, scopeOfCase, type CaseEvent } from '@vigil/testing';

describe(eventMatches.name, () => {
  for (const c of FILTER_CASES) {
    it(`selects what the SQL selects: ${c.name}`, () => {
      const scope = scopeOfCase(c);
      const matched = (Object.keys(CASE_EVENTS) as CaseEvent[]).filter((name) => eventMatches(scope, c.criteria, CASE_EVENTS[name]));
      assert.deepEqual(matched.sort(), [...c.matches].sort());
    });
  }
});
