import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, Kind, parse, specifiedRules, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { queryLimitsRule, SelectionMeasurer } from './graphql-limits.validator';

const schema = buildSchema(`
  type Node { id: ID, child: Node }
  type Query { node: Node, other: Node }
`);

function errors(query: string, maxDepth: number, maxCost: number, maxNodes?: number): string[] {
  return validate(schema, parse(query), [...specifiedRules, queryLimitsRule(maxDepth, maxCost, maxNodes)]).map((e) => e.message);
}

/** `query{...F0} fragment F0 on Query{...F1 ...F1} … fragment F<levels> on Query{node{id}}`: 2^levels root fields once expanded. */
function doublingQuery(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { node { id } }`;
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

  it('charges a fragment by where it is spread: root fields at the root, 1 a field below', () => {
    const fragment = 'fragment R on Query { a: node { id } b: node { id } }';
    assert.match(errors(`${fragment} { ...R ...R }`, 5, 1)[0] ?? '', /costs 404/, 'spread twice at the root');
    assert.match(errors('fragment N on Node { id child { id } } { node { ...N } other { ...N } }', 5, 1)[0] ?? '', /costs 206/);
  });

  it('applies the same limits to introspection fields', () => {
    assert.match(errors('{ __schema { types { fields { type { ofType { name } } } } } }', 2, 10000)[0] ?? '', /6 levels deep; at most 2/);
    assert.match(errors('{ a: __schema { types { name } } b: __schema { types { name } } }', 10, 150)[0] ?? '', /costs 204/);
  });

  it('survives fragment cycles, which graphql itself reports', () => {
    const cyclic = errors('fragment A on Node { child { ...B } } fragment B on Node { child { ...A } } { node { ...A } }', 10, 1000);
    assert.ok(cyclic.some((m) => /cannot spread fragment/i.test(m)));
  });

  it('visits each selection of a 40-level doubling document once, and refuses it for its cost', () => {
    const document = parse(doublingQuery(40));
    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    const measurer = new SelectionMeasurer(fragments, 1_000_000);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    assert.ok(operation);
    const { cost } = measurer.operation(operation);
    // 1 spread in the operation, 2 in each of 40 fragments, node and id in the last: linear, not 2^40.
    assert.equal(measurer.visited, 1 + 2 * 40 + 2);
    assert.equal(cost, 2 ** 40 * 101);
    const started = performance.now();
    const messages = validate(schema, document, [...specifiedRules, queryLimitsRule(8, 2000)]).map((e) => e.message);
    assert.ok(performance.now() - started < 100, 'graphql validation with the rule takes well under 100 ms');
    assert.ok(
      messages.some((m) => /the query costs 111050674405376; at most 2000/.test(m)),
      messages.join('\n'),
    );
  });

  it('stops at the node cap with an error that says so', () => {
    const wide = `{ ${Array.from({ length: 30 }, (_, i) => `f${i}: node { id }`).join(' ')} }`;
    assert.match(errors(wide, 10, 1_000_000, 50)[0] ?? '', /more than 50 selections/);
  });
});
