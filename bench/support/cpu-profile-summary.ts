/**
 * Reads a V8 CPU profile (`node --cpu-prof`'s .cpuprofile) and says where the time of a window went:
 * self time by function and by package, and inclusive time of the functions seen most on the stack.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  /** Share of the window's samples, 0..1. */
  share: number;
}

/** A kind of work: a sample belongs to the first category whose `matches` accepts its stack (leaf first). */
export interface Category {
  name: string;
  matches: (stack: readonly string[]) => boolean;
}

export interface ProfileSummary {
  windowMs: number;
  samples: number;
  /** Share of samples not idle: the process's CPU use over the window. */
  busy: number;
  selfByFunction: Share[];
  selfByPackage: Share[];
  inclusiveByFunction: Share[];
  byCategory: Share[];
}

/** Summarises the samples taken between `from` and `to` (µs, the profiler's monotonic clock; default: all). */
export function summariseProfile(
  profile: CpuProfile,
  options: { from?: number; to?: number; top?: number; categories?: readonly Category[] } = {},
): ProfileSummary {
  const { from = -Infinity, to = Infinity, top = 25, categories = [] } = options;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const byCategory = new Map<string, number>();
  let time = profile.startTime;
  let counted = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    if (time < from || time > to) continue;
    counted++;
    const node = byId.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') idle++;
    add(self, frameName(node));
    add(packages, packageOf(node));
    const stack: string[] = [];
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) stack.push(frameName(byId.get(id)!));
    for (const name of new Set(stack)) if (!name.startsWith('(')) add(inclusive, name);
    if (categories.length) add(byCategory, categories.find((c) => c.matches(stack))?.name ?? 'other');
  }
  const shares = (map: Map<string, number>) =>
    [...map]
      .map(([name, n]) => ({ name, share: n / Math.max(1, counted) }))
      .sort((a, b) => b.share - a.share)
      .slice(0, top);
  const firstSample = Math.max(profile.startTime, from);
  const lastSample = Math.min(time, to);
  return {
    windowMs: (lastSample - firstSample) / 1000,
    samples: counted,
    busy: 1 - idle / Math.max(1, counted),
    selfByFunction: shares(self),
    selfByPackage: shares(packages),
    inclusiveByFunction: shares(inclusive),
    byCategory: shares(byCategory),
  };
}

function add(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName || '(anonymous)';
  return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
}

/** `node_modules/<package>`, `src/<folder>`, `node:<module>`, or a V8 pseudo-frame such as (garbage collector). */
function packageOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.startsWith('node:')) return url.split('/')[0];
  const source = /\/(src|bench|test)\/([^/]+)/.exec(url);
  if (source) return source[2].includes('.') ? `${source[1]}/${source[2]}` : `${source[1]}/${source[2]}/`;
  return url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const source = /\/((?:src|bench|test)\/.*)$/.exec(url);
  return source ? source[1] : url.replace(/^file:\/\//, '');
}

/** The summary as Markdown lines. */
export function renderSummary(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  const list = (title: string, shares: Share[]) => [`**${title}**`, '', ...shares.map((s) => `- ${pct(s.share)} ${s.name}`), ''];
  return [
    `Window ${summary.windowMs.toFixed(0)} ms, ${summary.samples} samples, busy ${pct(summary.busy)} of the time.`,
    '',
    ...(summary.byCategory.length ? list('By kind of work', summary.byCategory) : []),
    ...list('Self time by package', summary.selfByPackage),
    ...list('Self time by function', summary.selfByFunction),
    ...list('Inclusive time (on the stack) by function', summary.inclusiveByFunction),
  ].join('\n');
}
