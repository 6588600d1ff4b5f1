import { z } from 'zod';
import { defineConfig, loadConfig } from './config.loader';

/**
 * The variables this process was started with, for handing on to a child process (which inherits them, as a shell
 * would). To read a variable, declare it in a schema and use `loadConfig`.
 */
export function inheritedEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/**
 * Variables whose names are data rather than code (a connectors file's `tokenEnv: SPLUNK_EU_TOKEN`): the schema that
 * reads them is made from those names, so the values still come through the validated config.
 */
export function namedVariables(names: readonly string[]): Readonly<Record<string, string | undefined>> {
  return loadConfig(defineConfig(Object.fromEntries(names.map((name) => [name, z.string().optional()]))));
}
