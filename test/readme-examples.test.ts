import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHerald, type TestHerald } from './support/herald';

/**
 * The README's shell examples (its ```sh blocks that call the API), run as written, in order, with
 * bash, curl and jq, against a real server whose mail goes to `.herald/mail` as in embedded mode.
 * The one change is the address: `localhost:4000` becomes the test server's. The blocks that
 * install, start or test Herald are not run here.
 */
const README = readFileSync(join(__dirname, '../README.md'), 'utf8');
const blocks = [...README.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1]).filter((block) => /\bcurl\b/.test(block));

describe('README examples', () => {
  let t: TestHerald;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-readme-'));
    // No SMTP_URL: mail is written as .eml files under DATA_DIR/mail, where the README reads it.
    t = await startTestHerald({ SMTP_URL: '', DATA_DIR: join(dir, '.herald') });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // Asynchronous: the server runs in this process and must answer while bash waits.
  const run = (block: string) =>
    new Promise<{ out: string; err: string; status: number | null }>((resolve) => {
      const script = block.replace(/localhost:4000/g, new URL(t.url).host);
      execFile('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 30_000 }, (error, out, err) =>
        resolve({ out, err, status: error ? (error.code as number | null) ?? null : 0 }),
      );
    });

  it('has the examples this test knows', () => {
    expect(blocks).toHaveLength(3);
  });

  it('registers with curl', async () => {
    const { out, status } = await run(blocks[0]);
    expect(status).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ data: { register: { accessToken: expect.any(String), expiresIn: expect.any(Number) } } });
  });

  it('logs in, reads the user, refreshes and logs out, with the tokens it got', async () => {
    const { out, err, status } = await run(blocks[1]);
    expect({ status, err }).toEqual({ status: 0, err: '' });
    const answers = out.trim().split('\n').map((line) => JSON.parse(line));
    expect(answers).toEqual([
      { data: { me: { id: expect.any(String), email: 'ada@example.com', name: 'Ada', isPlatformAdmin: false } } },
      { data: { logout: true } },
    ]);
  });

  it('registers, verifies the address with the emailed link, and asks for another link', async () => {
    const { out, err, status } = await run(blocks[2]);
    expect({ status, err }).toEqual({ status: 0, err: '' });
    expect(out.trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      { data: { verifyEmail: { emailVerified: true } } },
      { data: { resendVerificationEmail: false } },
    ]);
  });
});
