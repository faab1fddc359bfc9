import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The SDL of every `*.graphql` file beside this module (the build copies them next to it). */
export function loadTypeDefs(): string[] {
  return readdirSync(__dirname)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(__dirname, file), 'utf8'));
}
