/** An error from the API or the network, in words a person can act on; `code` as the API gave it. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The input the API says to fix, when it names one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

interface WireError {
  message?: string;
  extensions?: { code?: string; field?: string };
}

/**
 * The first error of a GraphQL-shaped answer as an ApiError. Herald's messages already say what
 * to fix; only the masked internal error gets a sentence of ours.
 */
export function apiErrorOf(errors: WireError[] | undefined, status: number): ApiError {
  const first = errors?.[0];
  const code = first?.extensions?.code ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
  if (code === 'INTERNAL_SERVER_ERROR' || !first?.message) {
    return new ApiError('Something went wrong on the server. Try again; if it keeps happening, tell your operator.', code);
  }
  return new ApiError(first.message, code, first.extensions?.field);
}

export function networkError(): ApiError {
  return new ApiError('Herald cannot be reached. Check that it is running and your connection, then try again.', 'NETWORK');
}

/** Words for anything caught: an ApiError's message, or a generic sentence (never a stack or JSON). */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something unexpected happened in the console. Reload the page and try again.';
}
