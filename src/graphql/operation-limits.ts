import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  GraphQLError,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { RequestLimits } from '../config';
import type { DocumentCache } from './document-cache';
import { operationCost } from './operation-cost';
import { PAGE_DEFAULT, PAGE_MAX } from '../services/pagination';

/** The code of every error that says a request went over one of the limits. */
export const LIMIT_EXCEEDED = 'LIMIT_EXCEEDED';

/** Which limit a LIMIT_EXCEEDED error is about (`extensions.limit`). */
export type LimitName = 'depth' | 'aliases' | 'rootFields' | 'cost' | 'tokens' | 'directives' | 'requestBody';

/** An error naming the limit, its maximum and what to do, for `extensions`. */
export function limitExceeded(limit: LimitName, max: number, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: LIMIT_EXCEEDED, limit, max } });
}

/**
 * Validation rules enforcing the limits: graphql-armor's depth, aliases and directives rules
 * plus Herald's root-field count. The cost needs the variables, so it is checked apart, once the
 * operation is known (`costLimitError`). They report (rather than throw, graphql-armor's default, which
 * would abort graphql-js's validate) an error with code LIMIT_EXCEEDED.
 */
export function operationLimitRules(limits: RequestLimits): ValidationRule[] {
  const reporting = (limit: LimitName, max: number, what: string) => ({
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const found = /found (\d+(?:\.\d+)?)/.exec(error.message)?.[1];
        context?.reportError(limitExceeded(limit, max, `${what} is over the limit of ${max}${found ? ` (found ${found})` : ''}.`));
      },
    ],
  });
  return [
    maxDepthRule({ n: limits.maxDepth, ...reporting('depth', limits.maxDepth, 'The query depth') }),
    maxAliasesRule({ n: limits.maxAliases, ...reporting('aliases', limits.maxAliases, 'The number of aliases') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reporting('directives', limits.maxDirectives, 'The number of directives') }),
    maxRootFieldsRule(limits.maxRootFields),
  ] as ValidationRule[];
}

/**
 * LIMIT_EXCEEDED when the operation's cost with these variables (src/graphql/operation-cost.ts) is
 * over `max`: `first: $f` costs what the literal costs, so a variable cannot slip past the limit.
 */
export function costLimitError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  max: number,
): GraphQLError | null {
  const cost = operationCost(schema, document, operationName, variables, PAGE_DEFAULT, PAGE_MAX);
  if (cost <= max) return null;
  return limitExceeded('cost', max, `The query cost is over the limit of ${max} (found ${cost}); ask for smaller pages or fewer fields.`);
}

/** At most `max` fields at the root of each operation, counted through fragments. */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const visited = new Set<string>();
      const count = (selectionSet: SelectionSetNode): number =>
        selectionSet.selections.reduce((sum, selection) => {
          if (selection.kind === Kind.FIELD) return sum + 1;
          if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet);
          // A fragment counts once, which also ends a cycle (NoFragmentCyclesRule reports it).
          if (visited.has(selection.name.value)) return sum;
          visited.add(selection.name.value);
          const fragment = context.getFragment(selection.name.value);
          return sum + (fragment ? count(fragment.selectionSet) : 0);
        }, 0);
      const found = count(operation.selectionSet);
      if (found > max) {
        context.reportError(
          limitExceeded('rootFields', max, `The number of root fields is over the limit of ${max} (found ${found}); split the operation.`),
        );
      }
    },
  });
}

/**
 * LIMIT_EXCEEDED when the document has more than `max` tokens, counted with graphql-js's lexer
 * before parsing, so a huge document costs no parse tree. A lexical error is left to the parser.
 */
export function tokenLimitError(query: string, max: number): GraphQLError | null {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++tokens > max) {
        return limitExceeded('tokens', max, `The document is over the limit of ${max} tokens; send a smaller operation.`);
      }
    }
  } catch {
    // a syntax error: the parser reports it with its position
  }
  return null;
}

/**
 * For the WebSocket `onSubscribe` hook (ws-server.ts): the same checks as over HTTP (tokens,
 * syntax, the specified rules, the limit rules, introspection when it is off), returning the
 * execution arguments or the errors.
 * graphql-ws's server would let a syntax error escape as a 4500 close; here it is an error message.
 */
export function prepareWebSocketOperation(
  schema: GraphQLSchema,
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  options: { limits: RequestLimits; introspection: boolean; documents?: DocumentCache },
): ExecutionArgs | readonly GraphQLError[] {
  const cached = options.documents?.get(payload.query);
  if (cached) return withinCost(schema, cached, payload, options.limits.maxCost);
  const tooLong = tokenLimitError(payload.query, options.limits.maxTokens);
  if (tooLong) return [tooLong];
  let document;
  try {
    document = parse(payload.query);
  } catch (error) {
    const syntax = error as GraphQLError;
    return [new GraphQLError(syntax.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
  }
  const rules = [
    ...specifiedRules,
    ...operationLimitRules(options.limits),
    ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const errors = validate(schema, document, rules);
  if (errors.length > 0) return errors;
  options.documents?.set(payload.query, document);
  return withinCost(schema, document, payload, options.limits.maxCost);
}

function withinCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  payload: { operationName?: string | null; variables?: Record<string, unknown> | null },
  maxCost: number,
): ExecutionArgs | readonly GraphQLError[] {
  const overCost = costLimitError(schema, document, payload.operationName, payload.variables, maxCost);
  if (overCost) return [overCost];
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}

/**
 * The LIMIT_EXCEEDED error behind `error`, if any. Apollo wraps each validation error in one of
 * its own with code GRAPHQL_VALIDATION_FAILED; formatError gives the limit's code back.
 */
export function limitErrorIn(error: unknown): GraphQLError | null {
  let cause: unknown = error;
  while (cause instanceof GraphQLError) {
    if (cause.extensions?.code === LIMIT_EXCEEDED) return cause;
    cause = cause.originalError;
  }
  return null;
}
