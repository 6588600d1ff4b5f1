import { accessSync, constants, mkdtempSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from './app-process.util';
import { browserEnv } from './browser.env';

/**
 * Chromium's flags for a closed machine: no sandbox (CI runs as root), no GPU, and none of the background services
 * (updates, sync, QUIC probes) that would otherwise flood a network without a route with refused connections.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Chromium executable the tests use, or an error saying how to get one (never a silent skip). */
export function chromiumPath(env?: Readonly<Record<string, string | undefined>>): string {
  const executable = browserEnv(env).VIGIL_CHROMIUM_PATH;
  try {
    accessSync(executable, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium is missing (${executable} is not an executable): the console's browser tests need it. ` +
        'Install Debian’s package (`apt-get install -y chromium`; .ci/run does so on CI) or set VIGIL_CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  return executable;
}

/** A headless Chromium driven by playwright-core (no browser download: the system's Chromium). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  // Loaded on demand, so tests that never open a browser do not load playwright-core.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
}

/** VIGIL_SCREENSHOTS_DIR (relative to the repository root), created; a fresh temporary directory when unset. */
export function screenshotsDir(): string {
  const configured = browserEnv().VIGIL_SCREENSHOTS_DIR;
  if (configured === undefined) return mkdtempSync(path.join(os.tmpdir(), 'vigil-screenshots-'));
  const dir = path.resolve(repoRoot, configured);
  mkdirSync(dir, { recursive: true });
  return dir;
}
