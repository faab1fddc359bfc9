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

export interface ProfileSummary {
  windowMs: number;
  samples: number;
  /** Share of samples not idle: the process's CPU use over the window. */
  busy: number;
  selfByFunction: Share[];
  selfByPackage: Share[];
  inclusiveByFunction: Share[];
}

/** Summarises the samples taken between `from` and `to` (µs, the profiler's monotonic clock; default: all). */
export function summariseProfile(profile: CpuProfile, from = -Infinity, to = Infinity, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
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
    const onStack = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!;
      if (frame.callFrame.functionName.startsWith('(')) continue;
      onStack.add(frameName(frame));
    }
    for (const name of onStack) add(inclusive, name);
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
    ...list('Self time by package', summary.selfByPackage),
    ...list('Self time by function', summary.selfByFunction),
    ...list('Inclusive time (on the stack) by function', summary.inclusiveByFunction),
  ].join('\n');
}
