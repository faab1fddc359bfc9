import {
  Kind,
  getNamedType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** graphql-armor's cost-limit weights, kept so limits set for it keep their meaning. */
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;
const LIST_SIZE_ARGUMENTS = ['first', 'last'];

/**
 * The cost of the operation that will run, with graphql-armor's formula (an object field 2, a
 * scalar 1, each level 1.5 times its children, a field's whole cost times its page size), but the
 * page size read with the request's variables: `first: $f` costs what `first: 200` costs. A field
 * that takes `first` and is not given one costs its default page size (`defaultListSize` unless
 * the schema gives the argument a default), and a page size over `maxListSize` costs `maxListSize`:
 * the resolvers refuse such a page with BAD_USER_INPUT naming `first`, which says more than a cost
 * error would, and never run it. Fragments cost what their fields would cost written in
 * place. Introspection's `__schema` is free, as in graphql-armor.
 * Run after validation (no fragment cycles, known fields).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  defaultListSize: number,
  maxListSize: number,
): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return 0;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const defaults = new Map(
    (operation.variableDefinitions ?? []).map((definition) => [definition.variable.name.value, definition.defaultValue]),
  );
  const fragmentCosts = new Map<string, number>();

  const intOf = (value: ValueNode | undefined): number | undefined => {
    if (value?.kind === Kind.INT) return Number.parseInt(value.value, 10);
    if (value?.kind === Kind.VARIABLE) {
      const name = value.name.value;
      const given = variables?.[name];
      if (typeof given === 'number' && Number.isFinite(given)) return Math.trunc(given);
      if (given === undefined) return intOf(defaults.get(name));
    }
    return undefined;
  };

  const selectionsCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__schema') continue;
        const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        if (!selection.selectionSet) {
          cost += DEPTH_FACTOR * SCALAR_COST;
          continue;
        }
        let size = 1;
        const sizeArgument = field?.args.find((arg) => LIST_SIZE_ARGUMENTS.includes(arg.name));
        if (sizeArgument) {
          const written = selection.arguments?.find((arg) => LIST_SIZE_ARGUMENTS.includes(arg.name.value));
          const fallback = typeof sizeArgument.defaultValue === 'number' ? sizeArgument.defaultValue : defaultListSize;
          // Past the largest page the field itself refuses the value (BAD_USER_INPUT naming it).
          size = Math.min(maxListSize, Math.max(1, (written ? intOf(written.value) : undefined) ?? fallback));
        }
        const childType = field ? getNamedType(field.type) : undefined;
        cost += DEPTH_FACTOR * size * (OBJECT_COST + selectionsCost(selection.selectionSet, childType));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += selectionsCost(selection.selectionSet, type ?? undefined);
      } else {
        const name = selection.name.value;
        let fragmentCost = fragmentCosts.get(name);
        if (fragmentCost === undefined) {
          const fragment = fragments.get(name);
          fragmentCost = fragment ? selectionsCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined) : 0;
          fragmentCosts.set(name, fragmentCost);
        }
        cost += fragmentCost;
      }
    }
    return cost;
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  // The root level is not weighted (graphql-armor sums the root fields as they are).
  return Math.round(selectionsCost(operation.selectionSet, root) / DEPTH_FACTOR);
}
