import type { RequestHandler } from 'express';
import { tokenLimitError } from '../graphql/operation-limits';

/**
 * The token limit of a GraphQL request, before Apollo parses it (an Apollo plugin cannot refuse a
 * request before parsing: an error thrown from its hooks there becomes a 500).
 * Answers 400 LIMIT_EXCEEDED as the other limits do.
 */
export function tokenLimit(maxTokens: number): RequestHandler {
  return (req, res, next) => {
    const query: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    const error = typeof query === 'string' ? tokenLimitError(query, maxTokens) : null;
    if (!error) return next();
    res.status(400).json({ errors: [{ message: error.message, extensions: error.extensions }] });
  };
}
