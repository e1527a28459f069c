import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startApp, type TestApp } from '../support/test-app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`Chromium is required for the browser test (CI=true): not found at ${CHROMIUM}`);
if (!available) console.warn(`Chromium not found at ${CHROMIUM}: the browser test of Swagger UI is skipped`);

describe.runIf(available)('Swagger UI at /admin/docs in a real browser', () => {
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startApp('sqlite');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the admin API under its Content-Security-Policy, with nothing blocked', async () => {
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    const response = await page.goto(`${t.url}/admin/docs`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Atea provisioning: admin API');
    // The routes are listed (the document was loaded and rendered by the scripts).
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    expect(refused).toEqual([]);
    await page.close();
  });
});
