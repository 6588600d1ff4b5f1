import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { queryLimitsRule } from './graphql-limits.validator';

const schema = buildSchema(`
  type Node { id: ID, child: Node }
  type Query { node: Node, other: Node }
`);

function errors(query: string, maxDepth: number, maxCost: number): string[] {
  return validate(schema, parse(query), [...specifiedRules, queryLimitsRule(maxDepth, maxCost)]).map((e) => e.message);
}

describe(queryLimitsRule.name, () => {
  it('counts depth through fields, inline fragments and named fragments', () => {
    assert.deepEqual(errors('{ node { child { id } } }', 3, 1000), []);
    assert.match(errors('{ node { child { child { id } } } }', 3, 1000)[0] ?? '', /4 levels deep; at most 3/);
    assert.match(errors('fragment F on Node { child { child { id } } } { node { ...F } }', 3, 1000)[0] ?? '', /4 levels deep/);
    assert.match(errors('{ node { ... on Node { child { child { id } } } } }', 3, 1000)[0] ?? '', /4 levels deep/);
  });

  it('charges root fields 100 and others 1, so aliases add up', () => {
    assert.deepEqual(errors('{ a: node { id } b: node { id } }', 5, 202), []);
    assert.match(errors('{ a: node { id } b: node { id } c: node { id } }', 5, 202)[0] ?? '', /costs 303; at most 202/);
  });

  it('ignores introspection fields and survives fragment cycles (reported by graphql itself)', () => {
    assert.deepEqual(errors('{ __schema { types { fields { type { ofType { name } } } } } }', 2, 10), []);
    const cyclic = errors('fragment A on Node { child { ...B } } fragment B on Node { child { ...A } } { node { ...A } }', 10, 1000);
    assert.ok(cyclic.some((m) => /cannot spread fragment/i.test(m)));
  });
});
