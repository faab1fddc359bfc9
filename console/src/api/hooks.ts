import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { MeQuery, TypedDocumentString } from '../generated/graphql';
import type { Client } from 'graphql-ws';
import type { Session } from './session';

export interface AppContext {
  session: Session;
  live: Client;
  /** The signed-in user as `me` answers (null: signed out); `reloadMe` after it changes. */
  me: MeQuery['me'];
  reloadMe: () => Promise<void>;
}

export const App = createContext<AppContext>(null as unknown as AppContext);
export const useApp = () => useContext(App);

export interface QueryState<R> {
  data: R | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Runs a query when its variables change; `reload` runs it again. */
export function useQuery<R, V>(document: TypedDocumentString<R, V>, variables: V, { skip = false } = {}): QueryState<R> {
  const { session } = useApp();
  const [state, setState] = useState<{ data?: R; error?: unknown; loading: boolean }>({ loading: !skip });
  const key = JSON.stringify(variables);
  const run = useCallback(async () => {
    setState((previous) => ({ ...previous, loading: true }));
    try {
      setState({ data: await session.request(document, variables), loading: false });
    } catch (error) {
      setState({ error, loading: false });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [document, key, session]);
  useEffect(() => {
    if (!skip) void run();
  }, [run, skip]);
  return { data: state.data, error: state.error, loading: state.loading, reload: run };
}

export interface MutationState {
  pending: boolean;
  error: unknown;
}

/** A mutation to run on demand: resolves to its data, or to undefined after an error (kept in state). */
export function useMutation<R, V>(document: TypedDocumentString<R, V>): [(variables: V) => Promise<R | undefined>, MutationState] {
  const { session } = useApp();
  const [state, setState] = useState<MutationState>({ pending: false, error: undefined });
  const run = useCallback(
    async (variables: V) => {
      setState({ pending: true, error: undefined });
      try {
        const data = await session.request(document, variables);
        setState({ pending: false, error: undefined });
        return data;
      } catch (error) {
        setState({ pending: false, error });
        return undefined;
      }
    },
    [document, session],
  );
  return [run, state];
}

interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A paginated list: the first page, then "load more" appends the next after the last cursor.
 * `select` picks the connection out of the answer.
 */
export function usePages<R, V extends { after?: string | null }, N>(
  document: TypedDocumentString<R, V>,
  variables: V,
  select: (data: R) => Connection<N>,
) {
  const { session } = useApp();
  const [nodes, setNodes] = useState<N[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const key = JSON.stringify(variables);

  const load = useCallback(
    async (after: string | null, replace: boolean) => {
      const mine = ++generation.current;
      setLoading(true);
      setError(undefined);
      try {
        const page = select(await session.request(document, { ...variables, after }));
        if (mine !== generation.current) return;
        setNodes((previous) => (replace ? page.edges.map((e) => e.node) : [...previous, ...page.edges.map((e) => e.node)]));
        setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
      } catch (caught) {
        if (mine === generation.current) setError(caught);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [document, key, session],
  );
  useEffect(() => void load(null, true), [load]);
  return {
    nodes,
    error,
    loading,
    hasMore: next !== null,
    loadMore: () => load(next, false),
    reload: () => load(null, true),
  };
}
