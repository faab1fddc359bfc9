import path from 'node:path';
import ts from 'typescript';

/** What the document says about who reacts to each event. */
export interface ListenerSummary {
  name: string;
  on: readonly string[];
  /** Set for a listener that runs a while after its event (`delayMs`). */
  delayMs?: number;
}

interface Field {
  name: string;
  type: string;
  optional: boolean;
  doc: string;
}

interface CatalogEntry {
  name: string;
  group: string;
  doc: string;
  fields: Field[];
}

const ROOT = path.resolve(__dirname, '..');
export const CATALOG_PATH = path.join(ROOT, 'src/events/catalog.ts');
export const ENVELOPE_PATH = path.join(ROOT, 'src/events/envelope.ts');
export const EVENTS_DOC_PATH = path.join(ROOT, 'docs/EVENTS.md');

/**
 * docs/EVENTS.md, rendered from the types themselves: the `EventCatalog` interface in
 * src/events/catalog.ts (names, groups from its `// group` comments, payload fields and their
 * types, JSDoc where present) and `EventEnvelope`/`EventContext` in src/events/envelope.ts.
 */
export function renderEventsDoc(listeners: readonly ListenerSummary[]): string {
  const program = ts.createProgram([CATALOG_PATH, ENVELOPE_PATH], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const catalog = readCatalog(program.getSourceFile(CATALOG_PATH)!, checker);
  const envelopeFile = program.getSourceFile(ENVELOPE_PATH)!;
  const envelope = fieldsOf(findInterface(envelopeFile, 'EventEnvelope'), checker);
  const context = fieldsOf(findInterface(envelopeFile, 'EventContext'), checker);

  const groups = [...new Set(catalog.map((entry) => entry.group))];
  const lines: string[] = [
    '# Events',
    '',
    '<!-- Generated from src/events/catalog.ts and src/events/envelope.ts by `npm run docs:events`.',
    '     Do not edit by hand: test/events-doc.test.ts fails when this file is out of step. -->',
    '',
    `Herald records ${catalog.length} kinds of event. Every one is stored in PostgreSQL in the transaction that`,
    'caused it, published after the commit, and handed to the listeners named below (see',
    '[ARCHITECTURE.md](ARCHITECTURE.md)). Payloads are plain data: never a password, hash or token.',
    '',
    '## The envelope',
    '',
    'Every event, whatever its name ([src/events/envelope.ts](../src/events/envelope.ts)):',
    '',
    ...fieldTable(envelope),
    '',
    '`context`, where the event came from:',
    '',
    ...fieldTable(context),
    '',
    '## The catalog',
    '',
    ...groups.map((group) => `- [${group}](#${group}): ${catalog.filter((e) => e.group === group).map((e) => `\`${e.name}\``).join(', ')}`),
  ];
  for (const group of groups) {
    const entries = catalog.filter((entry) => entry.group === group);
    lines.push('', `### ${group}`);
    const groupDoc = GROUP_DOCS.get(group);
    if (groupDoc) lines.push('', groupDoc);
    for (const entry of entries) {
      const reacting = listeners
        .filter((listener) => listener.on.includes(entry.name))
        .map((listener) => `\`${listener.name}\`${listener.delayMs ? ` (${later(listener.delayMs)} later)` : ''}`);
      lines.push('', `#### \`${entry.name}\``, '');
      if (entry.doc) lines.push(entry.doc, '');
      lines.push(`Listeners: ${reacting.length > 0 ? reacting.join(', ') : 'none'}.`, '');
      lines.push(...fieldTable(entry.fields));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Group comments (`// auth: the security events. ...`) found while reading the catalog. */
const GROUP_DOCS = new Map<string, string>();

function readCatalog(file: ts.SourceFile, checker: ts.TypeChecker): CatalogEntry[] {
  const catalog = findInterface(file, 'EventCatalog');
  const entries: CatalogEntry[] = [];
  let group = 'other';
  for (const member of catalog.members) {
    const comments = ts.getLeadingCommentRanges(file.text, member.getFullStart()) ?? [];
    const lineComments = comments
      .map((range) => file.text.slice(range.pos, range.end))
      .filter((text) => text.startsWith('//'))
      .map((text) => text.replace(/^\/\/\s?/, ''));
    if (lineComments.length > 0) {
      const [first, ...rest] = lineComments;
      const match = /^([\w-]+)(?::\s*(.*))?$/.exec(first.trim());
      if (match) {
        group = match[1];
        const doc = [match[2], ...rest].filter(Boolean).join(' ').trim();
        if (doc) GROUP_DOCS.set(group, doc.charAt(0).toUpperCase() + doc.slice(1));
      }
    }
    if (!ts.isPropertySignature(member) || !member.type || !ts.isStringLiteral(member.name)) continue;
    entries.push({
      name: member.name.text,
      group,
      doc: docOf(member),
      fields: ts.isTypeLiteralNode(member.type) ? fieldsOf(member.type, checker) : [],
    });
  }
  return entries;
}

function findInterface(file: ts.SourceFile, name: string): ts.InterfaceDeclaration {
  const found = file.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!found) throw new Error(`interface ${name} not found in ${file.fileName}`);
  return found;
}

function fieldsOf(node: ts.InterfaceDeclaration | ts.TypeLiteralNode, checker: ts.TypeChecker): Field[] {
  return node.members.filter(ts.isPropertySignature).map((member) => ({
    name: member.name.getText(),
    type: member.type ? typeText(member.type, checker) : 'unknown',
    optional: member.questionToken !== undefined,
    doc: docOf(member),
  }));
}

/** Aliases of unions of literals (`LoginFailureReason`) are spelt out; other types as written. */
function typeText(node: ts.TypeNode, checker: ts.TypeChecker): string {
  const type = checker.getTypeFromTypeNode(node);
  if (ts.isTypeReferenceNode(node) && type.isUnion() && type.types.every((t) => t.isLiteral())) {
    return checker.typeToString(type, undefined, ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.NoTruncation);
  }
  return node.getText().replace(/\s+/g, ' ');
}

function docOf(node: ts.Node): string {
  return ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The envelope's generic types, in words. */
const READABLE_TYPES: Record<string, string> = { N: 'EventName', 'EventPayload<N>': 'object' };

function fieldTable(fields: Field[]): string[] {
  if (fields.length === 0) return ['No payload fields.'];
  const documented = fields.some((f) => f.doc);
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    documented ? '| field | type | meaning |' : '| field | type |',
    documented ? '|---|---|---|' : '|---|---|',
    ...fields.map((f) => {
      const name = `\`${f.name}\`${f.optional ? ' (optional)' : ''}`;
      const type = `\`${cell(READABLE_TYPES[f.type] ?? f.type)}\``;
      return documented ? `| ${name} | ${type} | ${cell(f.doc)} |` : `| ${name} | ${type} |`;
    }),
  ];
}

/** "24 h", "7 days": how long a delayed listener waits, in the words the docs use. */
function later(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 && hours % 24 === 0 ? `${hours / 24} days` : `${hours} h`;
}
