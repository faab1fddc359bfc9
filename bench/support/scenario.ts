import type { Table, TargetCheck } from './table';

/** How big a run is: `--quick` for a look in about a minute, the default for the figures we keep. */
export interface BenchSettings {
  quick: boolean;
  /** Measured runs per scenario (each Herald/reference pair back to back); medians are over these. */
  runs: number;
}

export interface ScenarioResult {
  title: string;
  /** Markdown paragraphs: what is compared and how. */
  description: string[];
  tables: Table[];
  targets: TargetCheck[];
}

/**
 * One benchmark. Each lives in its own file under bench/scenarios/ and is listed in bench/run.ts.
 * A scenario measures Herald and its reference point in the same run, and cleans up what it started.
 */
export interface Scenario {
  /** Short name for `--only`. */
  name: string;
  run(settings: BenchSettings): Promise<ScenarioResult>;
}
