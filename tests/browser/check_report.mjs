// check_report.mjs REPORT.html — opens an iar eval report in headless Chromium and fails (exit 1) on
// any console error, page error or failed request; then checks that the gallery filters work.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const file = process.argv[2];
const problems = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url().slice(0, 80)}`));
  page.on('request', (r) => { if (!/^(file|data):/.test(r.url())) problems.push(`network request: ${r.url()}`); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const cards = await page.locator('#gallery .card').count();
  if (cards === 0) problems.push('no sample cards in the gallery');
  const broken = await page.evaluate(() => [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).length);
  if (broken) problems.push(`${broken} thumbnails did not decode`);
  const visible = () => page.evaluate(() => [...document.querySelectorAll('#gallery .card')].filter((c) => c.style.display !== 'none').length);
  const wrong = await page.locator('#gallery .card.wrong').count();
  await page.check('#wrong-only');
  if (await visible() !== wrong) problems.push(`wrong-only filter shows ${await visible()}, expected ${wrong}`);
  await page.uncheck('#wrong-only');
  await page.selectOption('#dimension-filter', 'lighting');
  const lighting = await page.locator('#gallery .card[data-dimension="lighting"]').count();
  if (await visible() !== lighting) problems.push(`dimension filter shows ${await visible()}, expected ${lighting}`);
  const label = await page.textContent('#visible-count');
  if (label !== `${lighting} shown`) problems.push(`count label says '${label}'`);
  if (await page.locator('svg rect').count() < 5) problems.push('bar chart missing');
  console.log(`report loaded: ${cards} cards, ${wrong} wrong, ${lighting} lighting`);
} finally {
  await browser.close();
}
if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
