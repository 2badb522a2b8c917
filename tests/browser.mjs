// Chromium for the browser tests: playwright-core (a devDependency) driving
// Debian's chromium package, headless, without a sandbox, a GPU or
// background network traffic.
import { access, constants } from 'node:fs/promises';

import { startServer } from '../scripts/serve.mjs';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Returns { chromium } from playwright-core, or { skip } with what to install. */
export async function loadBrowserSetup() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skip: 'playwright-core is not installed: run `npm install` (it is in devDependencies)' };
  }
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    return { skip: `${CHROMIUM_PATH} is missing: install Debian's chromium package (apt-get install -y chromium)` };
  }
  return { chromium };
}

/**
 * Starts the static server on a free loopback port and launches Chromium.
 * Returns { browser, origin, close }, where close() ends both.
 */
export async function startBrowserSession(chromium) {
  const server = await startServer({ port: 0 });
  const closeServer = () => new Promise((resolve) => server.close(resolve));
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    await closeServer();
    throw error;
  }
  return {
    browser,
    origin: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      await browser.close();
      await closeServer();
    },
  };
}
