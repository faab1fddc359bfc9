import {
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { canonicalId } from '../db/uuid';

/**
 * The API boundary for ids: every argument of type `ID` (also in lists and input objects) reaches
 * its resolver in Herald's one spelling (`canonicalId`: a UUID in lower case). PostgreSQL reads a
 * UUID in any case as the same value, but events, stream keys and revocation checks compare
 * strings: a tenant id sent upper-cased must not be another tenant to them. Done once here, for
 * every field of the schema, so a new argument of type ID is covered without a line of its own.
 * Wraps the fields' `resolve` and `subscribe` in place and returns the schema.
 */
export function withCanonicalIds(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const idArgs = field.args.filter((arg) => carriesId(arg.type, new Set()));
      if (idArgs.length === 0) continue;
      if (field.resolve) field.resolve = canonicalising(field.resolve, idArgs);
      if (field.subscribe) field.subscribe = canonicalising(field.subscribe, idArgs);
    }
  }
  return schema;
}

function canonicalising<S, C>(resolver: GraphQLFieldResolver<S, C>, idArgs: readonly GraphQLArgument[]): GraphQLFieldResolver<S, C> {
  return (source, args, context, info) => {
    const canonical: Record<string, unknown> = { ...args };
    for (const arg of idArgs) {
      if (canonical[arg.name] != null) canonical[arg.name] = canonicalValue(arg.type, canonical[arg.name]);
    }
    return resolver(source, canonical, context, info);
  };
}

/** `value` (already coerced to `type`) with every ID in it canonical. */
export function canonicalValue(type: GraphQLInputType, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return canonicalValue(type.ofType, value);
  if (isListType(type)) return (value as unknown[]).map((item) => canonicalValue(type.ofType, item));
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [name, field] of Object.entries(fields)) {
      if (name in copy) copy[name] = canonicalValue(field.type, copy[name]);
    }
    return copy;
  }
  return isId(type) && typeof value === 'string' ? canonicalId(value) : value;
}

/** Whether an input type holds an ID anywhere (input objects may refer to themselves). */
function carriesId(type: GraphQLInputType, seen: Set<string>): boolean {
  if (isNonNullType(type) || isListType(type)) return carriesId(type.ofType, seen);
  if (isInputObjectType(type)) {
    if (seen.has(type.name)) return false;
    seen.add(type.name);
    return Object.values(type.getFields()).some((field) => carriesId(field.type, seen));
  }
  return isId(type);
}

function isId(type: GraphQLInputType): boolean {
  return isScalarType(type) && type.name === 'ID';
}
