import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { folderCycles } from '../scripts/folder-cycles';

/** No folder of src/ imports one that imports it back (STYLE.md: move the shared piece down). */
describe('folder cycles', () => {
  it('src/ has none', () => {
    expect(folderCycles(path.resolve(__dirname, '..', 'src'))).toEqual([]);
  });

  it('finds one: a imports b, b imports c, c imports a (type-only imports do not count)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cycles-'));
    try {
      const file = (name: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), text);
      };
      file('a/one.ts', "import { b } from '../b/two';\n");
      file('b/two.ts', "import {\n  c,\n} from '../c/three';\nexport const b = c;\n");
      file('c/three.ts', "import { a } from '../a/one';\nexport const c = 1;\n");
      file('d/four.ts', "import type { a } from '../a/one';\n");
      file('a/uses-d.ts', "import { d } from '../d/four';\n");
      expect(folderCycles(root)).toEqual([['a', 'b', 'c']]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
