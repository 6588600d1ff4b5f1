import { z } from 'zod';
import { defineConfig, loadConfig } from '@vigil/config';

/** The variables the console's browser tests and its benchmark read. */
export const browserEnvSchema = defineConfig({
  /** The Chromium the tests drive through playwright-core; Debian's package by default (`.ci/run` installs it). */
  VIGIL_CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Where the console's browser test writes its screenshots (a temporary directory when unset). */
  VIGIL_SCREENSHOTS_DIR: z.string().min(1).optional(),
});

export type BrowserEnv = z.infer<typeof browserEnvSchema>;

/** The browser tests' configuration from the process environment (or `env`). */
export function browserEnv(env?: Readonly<Record<string, string | undefined>>): BrowserEnv {
  return loadConfig(browserEnvSchema, env);
}
