import { loadConfig } from './config';
import { PRODUCTION_KEY, PRODUCTION_SECRET, problemsOf } from '../test/support/config-problems';

const SECRET = PRODUCTION_SECRET;
const production = (env: Record<string, string> = {}) => ({ NODE_ENV: 'production', JWT_SECRET: SECRET, SECRET_KEY: PRODUCTION_KEY, ...env });

describe('request limits', () => {
  it('default to DESIGN.md §6', () => {
    expect(loadConfig({}).limits).toEqual({
      maxDepth: 10,
      maxAliases: 15,
      maxRootFields: 20,
      maxCost: 20_000,
      maxTokens: 1_000,
      maxDirectives: 50,
      requestBodyBytes: 100 * 1024,
      wsMaxPayloadBytes: 100 * 1024,
    });
  });

  it('read sizes in bytes, kb or mb', () => {
    const { limits } = loadConfig({ REQUEST_BODY_LIMIT: '1mb', WS_MAX_PAYLOAD: '2048', GRAPHQL_MAX_DEPTH: '7' });
    expect([limits.requestBodyBytes, limits.wsMaxPayloadBytes, limits.maxDepth]).toEqual([1024 * 1024, 2048, 7]);
  });

  it('name each bad value', () => {
    expect(problemsOf({ REQUEST_BODY_LIMIT: '100 bananas', GRAPHQL_MAX_DEPTH: '0' })).toEqual([
      'GRAPHQL_MAX_DEPTH: expected a whole number from 1 to 100, got "0"',
      'REQUEST_BODY_LIMIT: expected a size from 1kb to 64mb, such as 100kb, got "100 bananas"',
    ]);
  });
});

describe('HTTP policy', () => {
  it('outside production: pages on localhost may call, Sandbox and introspection on', () => {
    expect(loadConfig({}).http).toEqual({ corsOrigins: ['localhost'], introspection: true, sandbox: true });
  });

  it('in production: no cross-origin caller, no Sandbox, no introspection', () => {
    expect(loadConfig(production()).http).toEqual({ corsOrigins: [], introspection: false, sandbox: false });
  });

  it('in production, SANDBOX=true brings introspection with it; CORS_ORIGINS lists origins', () => {
    const { http } = loadConfig(production({ SANDBOX: 'true', CORS_ORIGINS: 'https://app.example.com, http://localhost:3000' }));
    expect(http).toEqual({ corsOrigins: ['https://app.example.com', 'http://localhost:3000'], introspection: true, sandbox: true });
    expect(loadConfig(production({ INTROSPECTION: 'true' })).http).toMatchObject({ introspection: true, sandbox: false });
  });

  it('CORS_ORIGINS=none turns cross-origin access off in development', () => {
    expect(loadConfig({ CORS_ORIGINS: 'none' }).http.corsOrigins).toEqual([]);
  });

  it('refuses origins with a path, a bad scheme, and Sandbox without introspection', () => {
    expect(problemsOf(production({ CORS_ORIGINS: 'https://app.example.com/,ftp://x.example', SANDBOX: 'yes', INTROSPECTION: 'no' }))).toEqual([
      'SANDBOX: Sandbox needs INTROSPECTION=true (it reads the schema by introspection)',
      'CORS_ORIGINS: expected origins such as https://app.example.com (scheme, host, port; no path or trailing slash), localhost, * or none; got "https://app.example.com/"',
      'CORS_ORIGINS: expected origins such as https://app.example.com (scheme, host, port; no path or trailing slash), localhost, * or none; got "ftp://x.example"',
    ]);
  });
});
