/** A result table, printed to the terminal and written to docs/PERFORMANCE.md in the same form. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  /** Lines under the table (what was compared, how many samples). */
  notes?: string[];
}

/** One target of the issue, checked against the figure measured in this run. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** 'not measured' when the figure is noise (a negative or tiny memory difference): never "met". */
  met: boolean | 'not measured';
}

/** A Markdown table; it reads well in a terminal too. */
export function renderTable(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `| ${table.columns.map(escape).join(' | ')} |`,
    `| ${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ];
  const notes = (table.notes ?? []).map((note) => `\n${note}`);
  return [`**${table.title}**`, '', ...lines, ...notes].join('\n');
}

export function targetsTable(targets: readonly TargetCheck[]): Table {
  return {
    title: 'Targets',
    columns: ['target', 'measured', 'met'],
    rows: targets.map((t) => [t.target, t.measured, t.met === 'not measured' ? 'not measured' : t.met ? 'yes' : '**no**']),
  };
}
