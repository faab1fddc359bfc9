import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineInfo } from './machine';
import type { ScenarioResult } from './scenario';
import { formatNumber } from './stats';
import { renderTable, targetsTable } from './table';

const BEGIN = '<!-- bench:results:begin — written by `npm run bench`; edit outside these markers -->';
const END = '<!-- bench:results:end -->';

const PREAMBLE = `# Performance

Figures from \`npm run bench\` (bench/run.ts). Each scenario measures Herald and its reference point
side by side in the same run; ratios are what to compare across machines and days.
`;

export interface RunInfo {
  date: Date;
  command: string;
  machine: MachineInfo;
  durationSeconds: number;
}

/** The generated results: when, where, how, then each scenario's tables and the targets. */
export function renderResults(info: RunInfo, results: readonly ScenarioResult[]): string {
  const m = info.machine;
  const header = [
    `## Results of the last run`,
    '',
    `- Date: ${info.date.toISOString()} (took ${Math.round(info.durationSeconds)} s)`,
    `- Command: \`${info.command}\``,
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${formatNumber(m.memoryGiB)} GiB memory; Node ${m.node}, ` +
      `PostgreSQL ${m.postgres}, Redis ${m.redis}; all on loopback.`,
    `- Load when it started: 1-minute load average ${m.loadAverage.toFixed(2)}, ` +
      `${m.otherPostgresConnections} other connections on the shared PostgreSQL.`,
  ];
  const sections = results.map((result) =>
    [`### ${result.title}`, ...result.description, ...result.tables.map(renderTable)].join('\n\n'),
  );
  const targets = renderTable(targetsTable(results.flatMap((r) => r.targets)));
  return [header.join('\n'), ...sections, targets].join('\n\n');
}

/** Replaces the generated part of the file, keeping what people wrote around it. */
export async function writeResults(file: string, results: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = `${PREAMBLE}\n${BEGIN}\n${END}\n`;
  }
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const block = `${BEGIN}\n\n${results}\n\n${END}`;
  const next = start >= 0 && end > start ? text.slice(0, start) + block + text.slice(end + END.length) : `${text.trimEnd()}\n\n${block}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, next);
}
