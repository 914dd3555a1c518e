// Drives Debian's Chromium through the controller's pages, as staff would use them.
//
// Run by controller/tests/it/browser.rs (SETU_BROWSER_TESTS=1); by hand against a running
// controller:
//
//   BASE_URL=http://localhost:8080 OWNER_USER=… OWNER_PASSWORD=… COLLECTOR_USER=… \
//   COLLECTOR_PASSWORD=… node controller/tests/browser/ui.test.mjs
//
// Optional: NEW_USER (default tech-browser), NEW_USER_PASSWORD, BRANCH_NAME (default
// "Browser Branch <time>"), SCREENSHOT_DIR (a PNG per step), VIEWPORT (WIDTHxHEIGHT, default
// 1280x800; under 600 px wide the page is emulated as a phone), BROWSER_STEPS (e.g. "a,b,e,f"; all
// by default; d needs c; g turns on the collector's second factor, so it goes last), CHROMIUM (default /usr/bin/chromium).
//
// Stops at the first failed expectation: prints what was expected, the page's address and
// heading, and exits 1.

import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = process.env;

function required(name) {
  const value = env[name];
  if (!value) {
    console.error(`ui.test: environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const BASE_URL = required('BASE_URL').replace(/\/+$/, '');
const OWNER = { user: required('OWNER_USER'), password: required('OWNER_PASSWORD') };
const COLLECTOR = { user: required('COLLECTOR_USER'), password: required('COLLECTOR_PASSWORD') };
const NEW_USER = {
  user: env.NEW_USER || 'tech-browser',
  name: env.NEW_USER_NAME || 'Browser Technician',
  password: env.NEW_USER_PASSWORD || 'tech-browser-pw-123',
};
const BRANCH_NAME = env.BRANCH_NAME || `Browser Branch ${Date.now()}`;
const SCREENSHOT_DIR = env.SCREENSHOT_DIR || '';
const CHROMIUM = env.CHROMIUM || '/usr/bin/chromium';
const STEPS = (env.BROWSER_STEPS || 'a,b,c,d,e,f,g').split(',').map((s) => s.trim()).filter(Boolean);
const [WIDTH, HEIGHT] = (env.VIEWPORT || '1280x800').split('x').map(Number);
if (!(WIDTH > 0 && HEIGHT > 0)) {
  console.error(`ui.test: VIEWPORT must be WIDTHxHEIGHT, got ${env.VIEWPORT}`);
  process.exit(2);
}
const PHONE = WIDTH < 600;
const TAG = `${WIDTH}x${HEIGHT}`;
const BANGLA = /[\u0980-\u09FF]/;

class Failure extends Error {}

let page; // the current tab, for failure reports
let signedInOnce = false;

async function fail(message) {
  let where = '';
  try {
    const h1 = await page.locator('h1').first().textContent({ timeout: 1000 });
    where = `\n  at ${page.url()} (h1: ${JSON.stringify(h1)})`;
  } catch {
    if (page) where = `\n  at ${page.url()}`;
  }
  throw new Failure(`${message}${where}`);
}

function expect(condition, message) {
  return condition ? Promise.resolve() : fail(message);
}

function url(path) {
  return `${BASE_URL}${path}`;
}

function pathOf(address) {
  return new URL(address).pathname;
}

async function screenshot(name) {
  if (!SCREENSHOT_DIR) return;
  const file = join(SCREENSHOT_DIR, `${TAG}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

/** Clicks something that submits or navigates; returns the main document's response. */
async function navigateBy(locator) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    locator.click(),
  ]);
  return response;
}

async function goto(path) {
  return page.goto(url(path), { waitUntil: 'load' });
}

async function h1() {
  const heading = page.locator('h1').first();
  if ((await heading.count()) === 0) await fail('expected an <h1> on the page');
  return (await heading.innerText()).trim();
}

async function signIn({ user, password }) {
  const r = await goto('/login');
  await expect(r && r.status() === 200, `GET /login: expected 200, got ${r && r.status()}`);
  if (!signedInOnce) await screenshot('a-login');
  signedInOnce = true;
  await page.fill('#username', user);
  await page.fill('#password', password);
  const response = await navigateBy(page.locator('form[action="/login"] button[type=submit]'));
  const status = response && response.status();
  await expect(
    pathOf(page.url()) === '/',
    `sign-in as ${user}: expected to land on /, got ${page.url()} (HTTP ${status})`,
  );
  const cookies = await page.context().cookies(BASE_URL);
  await expect(
    cookies.some((c) => c.name === '__Host-setu_session'),
    `sign-in as ${user}: the browser kept no __Host-setu_session cookie (Secure cookie refused on ${BASE_URL}?)`,
  );
  const heading = await h1();
  await expect(heading.includes('Welcome'), `after sign-in: expected an h1 with "Welcome", got ${JSON.stringify(heading)}`);
}

async function signOut() {
  const button = page.locator('nav form[action="/logout"] button');
  await expect((await button.count()) === 1, 'expected one sign-out button in the nav');
  await navigateBy(button);
  await expect(pathOf(page.url()) === '/login', `after sign-out: expected /login, got ${page.url()}`);
  const r = await goto('/');
  await expect(
    pathOf(page.url()) === '/login' || (r && r.status() === 401),
    `after sign-out, / should ask to sign in again; got ${page.url()} (HTTP ${r && r.status()})`,
  );
}

/** Opens the dashboard; whether it showed (rather than the sign-in form). */
async function signedIn() {
  await goto('/');
  return pathOf(page.url()) === '/' && (await page.locator('nav form[action="/logout"]').count()) > 0;
}

async function expectForbidden(path, shot) {
  const r = await goto(path);
  await expect(r && r.status() === 403, `GET ${path}: expected HTTP 403, got ${r && r.status()}`);
  const heading = await h1();
  await expect(heading === 'Not allowed', `GET ${path}: expected h1 "Not allowed", got ${JSON.stringify(heading)}`);
  await screenshot(shot);
}

/** The text of the table row that has a cell exactly `text`, or null. */
async function rowWith(table, text) {
  const rows = page.locator(`${table} tr`);
  const n = await rows.count();
  for (let i = 0; i < n; i++) {
    const cells = (await rows.nth(i).locator('td,th').allInnerTexts()).map((c) => c.trim());
    if (cells.includes(text)) return cells;
  }
  return null;
}

/** RFC 6238 code for a base32 secret, `ahead` 30-second steps from now (independent of the server's code). */
function totp(base32, ahead = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + ahead));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const steps = {
  a: {
    title: 'owner signs in through /login and lands on the dashboard',
    async run() {
      await signIn(OWNER);
    },
  },
  b: {
    title: 'owner adds a branch; an empty name is refused inline (422)',
    async run() {
      const link = page.locator('nav a[href="/branches"]');
      await expect((await link.count()) === 1, 'expected a nav link to /branches');
      await navigateBy(link);
      await expect(pathOf(page.url()) === '/branches', `expected /branches, got ${page.url()}`);
      const submit = page.locator('form[action="/branches"] button[type=submit]');

      await page.fill('#name', BRANCH_NAME);
      let r = await navigateBy(submit);
      await expect(r && r.status() < 400, `adding a branch: HTTP ${r && r.status()}`);
      await expect(pathOf(page.url()) === '/branches', `after adding a branch: expected /branches, got ${page.url()}`);
      await expect(
        (await rowWith('table#branches', BRANCH_NAME)) !== null,
        `expected ${JSON.stringify(BRANCH_NAME)} in table#branches`,
      );

      await page.fill('#name', '');
      r = await navigateBy(submit);
      await expect(r && r.status() === 422, `empty branch name: expected HTTP 422, got ${r && r.status()}`);
      const invalid = await page.getAttribute('#name', 'aria-invalid');
      await expect(invalid === 'true', `empty branch name: expected #name aria-invalid="true", got ${JSON.stringify(invalid)}`);
      const error = page.locator('form[action="/branches"] :is(.error, [role=alert])').first();
      await expect(
        (await error.count()) === 1 && (await error.isVisible()) && (await error.innerText()).trim() !== '',
        'empty branch name: expected a visible error text in the form',
      );
      await screenshot('b-422');
    },
  },
  c: {
    title: 'owner adds a technician on /users',
    async run() {
      const link = page.locator('nav a[href="/users"]');
      await expect((await link.count()) === 1, 'expected a nav link to /users for the owner');
      await navigateBy(link);
      await expect(pathOf(page.url()) === '/users', `expected /users, got ${page.url()}`);
      const form = page.locator('form[action="/users"]');
      await expect((await form.count()) === 1, 'expected a form posting to /users (the new-staff form)');
      await page.fill('#new-username', NEW_USER.user);
      await page.fill('#new-display-name', NEW_USER.name);
      await page.fill('#new-password', NEW_USER.password);
      await page.selectOption('#new-role', 'technician');
      const r = await navigateBy(form.locator('button[type=submit]'));
      await expect(r && r.status() < 400, `adding a staff member: HTTP ${r && r.status()}`);
      if (pathOf(page.url()) !== '/users') await goto('/users');
      const row = await rowWith('table#users', NEW_USER.user);
      await expect(row !== null, `expected ${NEW_USER.user} in table#users`);
      await expect(
        row.some((cell) => cell.toLowerCase() === 'technician'),
        `expected ${NEW_USER.user}'s row to show role technician, got ${JSON.stringify(row)}`,
      );
    },
  },
  d: {
    title: 'the new technician signs in: no Staff link, /users is 403',
    async run() {
      await signOut();
      await signIn(NEW_USER);
      await expect(
        (await page.locator('nav a[href="/users"]').count()) === 0,
        'technician: the nav should have no link to /users',
      );
      await expectForbidden('/users', 'd-403');
    },
  },
  e: {
    title: 'the collector signs in: /branches is 403',
    async run() {
      if (await signedIn()) await signOut();
      await signIn(COLLECTOR);
      await expect(
        (await page.locator('nav a[href="/branches"]').count()) === 0,
        'collector: the nav should have no link to /branches',
      );
      await expectForbidden('/branches', 'e-403');
      await goto('/');
    },
  },
  g: {
    title: 'the collector turns on two-step sign-in, then signs in with password and code',
    async run() {
      if (await signedIn()) await signOut();
      await signIn(COLLECTOR);
      await goto('/account');
      await navigateBy(page.locator('form[action="/account/second-factor/start"] button'));
      const secret = (await page.locator('#totp-secret').innerText()).trim();
      await expect(/^[A-Z2-7 ]{32,}$/.test(secret), `expected a base32 key on /account, got ${JSON.stringify(secret)}`);
      await screenshot('g-setup');
      await page.fill('#confirm-code', totp(secret));
      await navigateBy(page.locator('form[action="/account/second-factor/confirm"] button'));
      await expect(
        (await page.locator('#second-factor-status.notice').count()) === 1,
        'after confirming: expected the second factor to show as on',
      );
      await signOut();
      await goto('/login');
      await page.fill('#username', COLLECTOR.user);
      await page.fill('#password', COLLECTOR.password);
      await navigateBy(page.locator('form[action="/login"] button[type=submit]'));
      await expect(pathOf(page.url()) === '/login/code', `after the password: expected /login/code, got ${page.url()}`);
      await screenshot('g-code');
      await page.fill('#code', totp(secret, 1));
      await navigateBy(page.locator('form[action="/login/code"] button[type=submit]'));
      await expect(pathOf(page.url()) === '/', `after the code: expected the dashboard, got ${page.url()}`);
      const heading = await h1();
      await expect(heading.includes('Welcome'), `after the code: expected "Welcome", got ${JSON.stringify(heading)}`);
    },
  },
  f: {
    title: 'the language switch turns the page to Bangla and back',
    async run() {
      if (!(await signedIn())) await signIn(OWNER);
      const before = pathOf(page.url());
      await navigateBy(page.locator('a#lang-switch'));
      let lang = await page.getAttribute('html', 'lang');
      await expect(lang === 'bn', `after the language switch: expected <html lang="bn">, got ${JSON.stringify(lang)}`);
      await expect(pathOf(page.url()) === before, `the language switch should stay on ${before}, went to ${page.url()}`);
      const heading = await h1();
      await expect(BANGLA.test(heading), `in Bangla: expected a Bangla h1, got ${JSON.stringify(heading)}`);
      await screenshot('f-bangla');
      await navigateBy(page.locator('a#lang-switch'));
      lang = await page.getAttribute('html', 'lang');
      await expect(lang === 'en', `after switching back: expected <html lang="en">, got ${JSON.stringify(lang)}`);
      const back = await h1();
      await expect(!BANGLA.test(back), `back in English: the h1 is still Bangla: ${JSON.stringify(back)}`);
    },
  },
};

async function main() {
  for (const s of STEPS) {
    if (!steps[s]) {
      console.error(`ui.test: unknown step ${JSON.stringify(s)} in BROWSER_STEPS (known: ${Object.keys(steps).join(',')})`);
      process.exit(2);
    }
  }
  if (SCREENSHOT_DIR) mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'setu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: WIDTH, height: HEIGHT },
    isMobile: PHONE,
    hasTouch: PHONE,
    locale: 'en-GB',
    timezoneId: 'Asia/Dhaka',
  });
  const problems = [];
  let passed = 0;
  try {
    page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
    // Worth seeing, not failing: a missing favicon, say. Expected 4xx pages are navigations.
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.request().isNavigationRequest()) {
        console.log(`  (note: HTTP ${r.status()} for ${pathOf(r.url())}, loaded by ${pathOf(page.url())})`);
      }
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        console.log(`  (browser console on ${pathOf(page.url())}: ${m.text()})`);
      }
    });
    console.log(`ui.test: ${BASE_URL}, viewport ${TAG}${PHONE ? ' (phone)' : ''}, steps ${STEPS.join(',')}`);
    for (const s of STEPS) {
      const started = Date.now();
      try {
        await steps[s].run();
      } catch (e) {
        await screenshot(`${s}-failed`).catch(() => {});
        const detail = e instanceof Failure ? e.message : e.stack || String(e);
        console.error(`FAIL ${s}: ${steps[s].title}\n  ${detail}`);
        console.log(`ui.test: ${passed} of ${STEPS.length} steps passed; stopped at ${s}`);
        return 1;
      }
      if (problems.length) {
        console.error(`FAIL ${s}: ${steps[s].title}\n  ${problems.join('\n  ')}`);
        return 1;
      }
      await screenshot(s);
      passed += 1;
      console.log(`ok ${s}: ${steps[s].title} (${Date.now() - started} ms)`);
    }
    console.log(`ui.test: all ${passed} steps passed`);
    return 0;
  } finally {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

// A wedged browser must not hang CI.
const watchdog = setTimeout(() => {
  console.error('ui.test: gave up after 180 s');
  process.exit(1);
}, 180_000);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`ui.test: ${e.stack || e}`);
    process.exit(1);
  },
);
