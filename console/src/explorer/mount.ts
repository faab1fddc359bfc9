import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import type { Client } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

/**
 * GraphiQL (React, bundled from npm: it works without internet), mounted into `element` by the
 * explorer page. Queries and mutations go over HTTP with the signed-in user's token, added to each
 * request; subscriptions over the console's graphql-ws client, whose connection carries the token.
 * Returns the unmount.
 */
export function mountExplorer(
  element: HTMLElement,
  options: { token: () => Promise<string | null>; live: Client; initialQuery: string; initialVariables: string },
): () => void {
  const fetcher = createGraphiQLFetcher({
    url: '/graphql',
    wsClient: options.live,
    enableIncrementalDelivery: false,
    fetch: async (input, init) => {
      const token = await options.token();
      const headers = new Headers(init?.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    },
  });
  const root = createRoot(element);
  root.render(
    createElement(GraphiQL, {
      fetcher,
      defaultQuery: options.initialQuery,
      initialQuery: options.initialQuery,
      initialVariables: options.initialVariables,
      defaultEditorToolsVisibility: 'variables',
      shouldPersistHeaders: false,
      storage: memoryStorage(),
    }),
  );
  return () => root.unmount();
}

/** GraphiQL keeps tabs and history in this instead of localStorage (the console stores nothing there). */
function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
    clear: () => items.clear(),
    get length() {
      return items.size;
    },
  };
}
