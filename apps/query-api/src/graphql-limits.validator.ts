import {
  GraphQLError,
  Kind,
  type ASTNode,
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

/** Selections the rule visits in one document at most; with memoised fragments each is visited once, so this bounds its work. */
export const DEFAULT_MAX_NODES = 5000;

/**
 * A selection set's measure, independent of where it is used: `depth` counts the field levels below it,
 * `top` the fields at its own level (through inline fragments and spreads), `inner` the cost of everything
 * beneath them. Where it lands decides what `top` costs: ROOT_FIELD_COST each at the root, 1 elsewhere.
 */
export interface SetMeasure {
  depth: number;
  top: number;
  inner: number;
}

const EMPTY: SetMeasure = { depth: 0, top: 0, inner: 0 };

/** Thrown inside the walk when the node cap is passed; caught by the rule, never escapes it. */
class TooManyNodes extends Error {}

/**
 * Measures selection sets with each fragment measured once (memoised), so the work is linear in the
 * document: a spread costs a map lookup, not a walk of the fragment again. That is what makes a document of
 * doubled fragments (`F0 { ...F1 ...F1 } F1 { ...F2 ...F2 } …`) cheap to refuse: its cost grows as 2^levels
 * while measuring it takes one visit per selection. Introspection fields are measured like any other.
 */
export class SelectionMeasurer {
  private readonly memo = new Map<string, SetMeasure>();
  private readonly inProgress = new Set<string>();
  /** Selections visited so far (the rule's work). */
  visited = 0;

  constructor(
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly maxNodes: number,
  ) {}

  /** Depth and cost of an operation, whose top-level fields are root fields. */
  operation(operation: OperationDefinitionNode): { depth: number; cost: number } {
    const m = this.measure(operation.selectionSet);
    return { depth: m.depth, cost: m.top * ROOT_FIELD_COST + m.inner };
  }

  private measure(set: SelectionSetNode): SetMeasure {
    let { depth, top, inner } = EMPTY;
    for (const selection of set.selections) {
      if (++this.visited > this.maxNodes) throw new TooManyNodes();
      let merged: SetMeasure;
      switch (selection.kind) {
        case Kind.FIELD: {
          const child = selection.selectionSet ? this.measure(selection.selectionSet) : EMPTY;
          // The field is one at this level; its children sit below the root, so their fields cost 1 each.
          merged = { depth: child.depth + 1, top: 1, inner: child.top + child.inner };
          break;
        }
        case Kind.INLINE_FRAGMENT:
          merged = this.measure(selection.selectionSet);
          break;
        case Kind.FRAGMENT_SPREAD:
          merged = this.fragment(selection.name.value);
          break;
      }
      depth = Math.max(depth, merged.depth);
      top += merged.top;
      inner += merged.inner;
    }
    return { depth, top, inner };
  }

  private fragment(name: string): SetMeasure {
    const known = this.memo.get(name);
    if (known) return known;
    const fragment = this.fragments.get(name);
    // Unknown or cyclic: graphql's own rules (KnownFragmentNames, NoFragmentCycles) refuse the document.
    if (!fragment || this.inProgress.has(name)) return EMPTY;
    this.inProgress.add(name);
    const measured = this.measure(fragment.selectionSet);
    this.inProgress.delete(name);
    this.memo.set(name, measured);
    return measured;
  }
}

function limitError(message: string, node: ASTNode): GraphQLError {
  return new GraphQLError(message, { nodes: [node], extensions: { code: 'BAD_USER_INPUT', field: 'query', [LIMIT_EXTENSION]: true } });
}

/**
 * A validation rule bounding each operation's depth and cost before anything runs: a page size is bounded
 * by `first`, and this bounds how many pages (aliased root fields) and how deep one request may go. Its own
 * work is bounded too: linear in the document and at most `maxNodes` selections.
 */
export function queryLimitsRule(
  maxDepth: number,
  maxCost: number,
  maxNodes: number = DEFAULT_MAX_NODES,
): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    // One measurer per document: fragments shared by several operations are measured once.
    const measurer = new SelectionMeasurer(fragments, maxNodes);
    let capped = false;
    return {
      OperationDefinition(operation) {
        if (capped) return;
        let measured: { depth: number; cost: number };
        try {
          measured = measurer.operation(operation);
        } catch (err) {
          if (!(err instanceof TooManyNodes)) throw err;
          capped = true;
          context.reportError(limitError(`the query has more than ${maxNodes} selections (fragments counted once)`, operation));
          return;
        }
        if (measured.depth > maxDepth)
          context.reportError(limitError(`the query is ${measured.depth} levels deep; at most ${maxDepth} are allowed`, operation));
        if (measured.cost > maxCost) {
          const cost = Number.isSafeInteger(measured.cost) ? String(measured.cost) : `more than ${Number.MAX_SAFE_INTEGER}`;
          context.reportError(
            limitError(
              `the query costs ${cost}; at most ${maxCost} is allowed (each root field costs ${ROOT_FIELD_COST}, any other field 1)`,
              operation,
            ),
          );
        }
      },
    };
  };
}
