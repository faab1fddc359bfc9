import type { ApolloServerPlugin } from '@apollo/server';
import { randomBytes } from 'node:crypto';
import { SANDBOX_HEADERS, SANDBOX_VARIABLES, sandboxDocument } from './sandbox-document';

/** Apollo's embeddable Sandbox; `_latest` is what Apollo's documentation embeds. */
export const SANDBOX_SCRIPT = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';
const SANDBOX_FRAME = 'https://sandbox.embed.apollographql.com';

/** What the page hands the embed besides the endpoints, which the browser derives from its location. */
export interface SandboxSettings {
  document: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * The landing page on GET /graphql: Apollo's embedded Sandbox, told the WebSocket endpoint for
 * subscriptions (Apollo's default landing page cannot be), with an initial document of Herald's
 * main operations and the Authorization header filled from the environment variable `accessToken`.
 */
export function sandboxLandingPage(): ApolloServerPlugin {
  return {
    async serverWillStart({ schema }) {
      const settings: SandboxSettings = {
        document: sandboxDocument(schema),
        variables: SANDBOX_VARIABLES,
        headers: SANDBOX_HEADERS,
      };
      return {
        async renderLandingPage() {
          return { html: async () => renderSandboxPage(settings, randomBytes(16).toString('hex')) };
        },
      };
    },
  };
}

/**
 * The page. Settings travel as a JSON literal with every character that could end the script
 * element or the string escaped, so no value can break out of it.
 */
export function renderSandboxPage(settings: SandboxSettings, nonce: string): string {
  const csp = [
    `script-src 'nonce-${nonce}' https://embeddable-sandbox.cdn.apollographql.com`,
    `style-src 'nonce-${nonce}'`,
    `frame-src ${SANDBOX_FRAME}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta http-equiv="Content-Security-Policy" content="${csp}" />
  <meta name="viewport" content="width=device-width,initial-scale=1" />
  <title>Herald · Apollo Sandbox</title>
  <style nonce="${nonce}">
    body { margin: 0; overflow: hidden; font-family: sans-serif; }
    #sandbox { position: absolute; inset: 0; }
    #sandbox iframe { width: 100%; height: 100%; border: none; }
    .fallback { padding: 1em; }
  </style>
</head>
<body>
  <div id="sandbox"><p class="fallback">Apollo Sandbox loads from Apollo's CDN; it cannot load while offline.
  POST /graphql and ws://&hellip;/graphql work without it.</p></div>
  <script nonce="${nonce}" src="${SANDBOX_SCRIPT}"></script>
  <script nonce="${nonce}">
    (function () {
      if (!window.EmbeddedSandbox) return; // the CDN is out of reach: keep the fallback text
      var settings = ${scriptLiteral(settings)};
      // The endpoints come from where the page was served, so a proxy or another port just works.
      var endpoint = window.location.origin + window.location.pathname;
      var target = document.getElementById('sandbox');
      target.textContent = '';
      new window.EmbeddedSandbox({
        target: target,
        initialEndpoint: endpoint,
        initialSubscriptionEndpoint: endpoint.replace(/^http/, 'ws'),
        endpointIsEditable: false,
        initialState: {
          document: settings.document,
          variables: settings.variables,
          headers: settings.headers,
          includeCookies: false,
          pollForSchemaUpdates: false
        }
      });
    })();
  </script>
</body>
</html>
`;
}

/** JSON that is safe inside a <script> element (and as JavaScript: U+2028/2029 escaped too). */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
