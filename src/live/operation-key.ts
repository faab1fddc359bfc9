import { getOperationAST, Kind, visit, type DocumentNode, type ExecutionArgs } from 'graphql';

/**
 * What identifies a live operation's rendering, for its group key: the document (by object: the
 * document cache gives equal texts one object), the operation name and the variables, except a
 * variable used only as the root field's `after`. `after` only says where a subscriber resumes,
 * which its replay handles alone; leaving it out lets resuming subscribers share the group of
 * live ones once their replay is done.
 */
export class OperationKeys {
  private readonly documentIds = new WeakMap<DocumentNode, number>();
  private readonly resumeOnly = new WeakMap<DocumentNode, Set<string>>();
  private lastDocumentId = 0;

  keyOf(args: Pick<ExecutionArgs, 'document' | 'operationName' | 'variableValues'>): string {
    const { document } = args;
    let id = this.documentIds.get(document);
    if (id === undefined) this.documentIds.set(document, (id = ++this.lastDocumentId));
    let skipped = this.resumeOnly.get(document);
    if (!skipped) this.resumeOnly.set(document, (skipped = resumeOnlyVariables(document, args.operationName)));
    const variables: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(args.variableValues ?? {})) {
      if (!skipped.has(name)) variables[name] = value;
    }
    return JSON.stringify([id, args.operationName ?? null, variables]);
  }
}

/** Variables whose every use is the `after` argument of a root field of the operation. */
export function resumeOnlyVariables(document: DocumentNode, operationName?: string | null): Set<string> {
  const operation = getOperationAST(document, operationName);
  if (!operation) return new Set();
  const asAfter = new Map<string, number>();
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) continue;
    for (const argument of selection.arguments ?? []) {
      if (argument.name.value === 'after' && argument.value.kind === Kind.VARIABLE) {
        const name = argument.value.name.value;
        asAfter.set(name, (asAfter.get(name) ?? 0) + 1);
      }
    }
  }
  const uses = new Map<string, number>();
  visit(document, {
    VariableDefinition: () => false, // a definition is not a use
    Variable: (node) => {
      uses.set(node.name.value, (uses.get(node.name.value) ?? 0) + 1);
    },
  });
  return new Set([...asAfter].filter(([name, count]) => uses.get(name) === count).map(([name]) => name));
}
