import { spawn } from 'node:child_process';
import path from 'node:path';
import { startTestHerald, type TestHerald } from './support/herald';
import { childCoverageEnv } from './support/env';

let t: TestHerald;
beforeAll(async () => {
  t = await startTestHerald();
});
afterAll(() => t.stop());

function runDemo(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'scripts/demo.ts', '--url', url], {
      cwd: path.resolve(__dirname, '..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...childCoverageEnv() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo', () => {
  it('registers, prints live events as they arrive, and says how to do the same in Sandbox', async () => {
    const { code, stdout } = await runDemo(t.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^registered demo-\w+@example\.com/m);
    // It creates a tenant and follows its onboarding live, up to the end of the workflow.
    expect(stdout).toMatch(/^created tenant demo-[\w-]+ \([\w-]+\), PROVISIONING/m);
    expect(stdout).toMatch(/^ {2}#\d+\s+tenant\.created\s+\{/m);
    expect(stdout).toMatch(/^ {2}#\d+\s+tenant\.onboarding\.completed\s+\{/m);
    expect(stdout).toContain(`open ${t.url}/graphql`);
    expect(stdout).toContain(`${t.url}/metrics`);
  });

  it('says in one line when no server answers', async () => {
    const { code, stderr } = await runDemo('http://127.0.0.1:1');
    expect(code).toBe(1);
    expect(stderr).toBe('demo: no Herald answers at http://127.0.0.1:1: start it with `npm start` in another terminal (or pass --url)\n');
  });
});
