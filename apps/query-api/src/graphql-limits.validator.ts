import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** Marks this rule's errors, which Apollo files under GRAPHQL_VALIDATION_FAILED, so formatError reports them as BAD_USER_INPUT. */
export const LIMIT_EXTENSION = 'limit';

/** What a root field of Query or Subscription costs (each one is a database query or a live feed); any other field costs 1. */
export const ROOT_FIELD_COST = 100;

interface Measure {
  depth: number;
  cost: number;
}

function measure(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  level: number,
  visiting: Set<string>,
): Measure {
  let depth = level;
  let cost = 0;
  for (const selection of set.selections) {
    switch (selection.kind) {
      case Kind.FIELD: {
        if (selection.name.value.startsWith('__')) continue; // introspection is bounded by the schema itself
        cost += level === 0 ? ROOT_FIELD_COST : 1;
        const inner = selection.selectionSet
          ? measure(selection.selectionSet, fragments, level + 1, visiting)
          : { depth: level + 1, cost: 0 };
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
        break;
      }
      case Kind.INLINE_FRAGMENT: {
        const inner = measure(selection.selectionSet, fragments, level, visiting);
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
        break;
      }
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue; // unknown or cyclic: graphql's own rules report those
        visiting.add(name);
        const inner = measure(fragment.selectionSet, fragments, level, visiting);
        visiting.delete(name);
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
        break;
      }
    }
  }
  return { depth, cost };
}

/** Depth (fields nested, fragments expanded) and cost of one operation. */
export function operationMeasure(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): Measure {
  return measure(operation.selectionSet, fragments, 0, new Set());
}

/**
 * A validation rule bounding each operation's depth and cost before anything runs: a page size is bounded
 * by `first`, and this bounds how many pages (aliased root fields) and how deep one request may go.
 */
export function queryLimitsRule(maxDepth: number, maxCost: number): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    return {
      OperationDefinition(operation) {
        const { depth, cost } = operationMeasure(operation, fragments);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`the query is ${depth} levels deep; at most ${maxDepth} are allowed`, {
              nodes: [operation],
              extensions: { code: 'BAD_USER_INPUT', field: 'query', [LIMIT_EXTENSION]: true },
            }),
          );
        }
        if (cost > maxCost) {
          context.reportError(
            new GraphQLError(
              `the query costs ${cost}; at most ${maxCost} is allowed (each root field costs ${ROOT_FIELD_COST}, any other field 1)`,
              { nodes: [operation], extensions: { code: 'BAD_USER_INPUT', field: 'query', [LIMIT_EXTENSION]: true } },
            ),
          );
        }
      },
    };
  };
}
