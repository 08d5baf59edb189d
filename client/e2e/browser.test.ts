// End to end in a real browser: the built client (client/dist, served by each API instance) in
// Debian's chromium driven by playwright-core, against two API instances sharing Redis and MongoDB.
// The admin's page is on instance A; the user's page goes through a loopback load balancer that
// forwards to B (and fails over to A when B stops). Every wait is on a DOM condition.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEMO_SERVER_CONFIG } from '../../api/src/embedded/seed';
import { call, startGroup, tokenFor, type ApiGroup } from '../../api/test/support/instances';
import { startBalancer, type Balancer } from './support/balancer';

const ROOT = join(__dirname, '..', '..');
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const CHROMIUM = process.env['STRATA_CHROMIUM'] ?? '/usr/bin/chromium';
/** The bound for a change made anywhere to show on another instance's page. */
const LIVE_MS = 2_000;
const USER = 'uma';

describe('the browser client on two instances (Redis + MongoDB)', () => {
  let group: ApiGroup;
  let balancer: Balancer;
  let browser: Browser;
  let adminPage: Page;
  let userPage: Page;
  let a: string;
  let adminToken: string;
  const accessibility: Array<{ page: string; violations: unknown[] }> = [];

  /** axe-core in the page: no serious or critical violation. */
  async function checkAccessibility(page: Page, what: string): Promise<void> {
    const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await page.addScriptTag({ content: source });
    // Runs in the page (a string: this file is compiled without the DOM library).
    const violations = await page.evaluate<
      Array<{ id: string; impact: string; targets: string[] }>
    >(`axe.run(document).then((result) => result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((node) => node.target.join(' ')),
    })))`);
    // Collected per page and asserted in the last test, so one page's finding does not hide another's.
    accessibility.push({
      page: what,
      violations: violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical'),
    });
  }

  const server = (page: Page, name: string) => page.locator(`[data-testid="server-${name}"]`);

  async function adminAction(name: string, item: string): Promise<void> {
    await adminPage.getByRole('button', { name: `Actions for ${name}` }).click();
    await adminPage.getByRole('menuitem', { name: item, exact: true }).click();
  }

  beforeAll(async () => {
    // What `npm start` serves: the built client.
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'],
      {
        cwd: join(ROOT, 'client'),
        stdio: 'inherit',
      },
    );
    group = await startGroup(2, { redis: 'standalone' });
    a = group.apis[0]!.url;
    balancer = await startBalancer([group.apis[1]!.url, a]);
    adminToken = await tokenFor('root', 'admin');
    // The shipped stdio MCP server, shared with everyone (what the demo seed does).
    const demo = await call(`${a}/api/admin/servers`, {
      method: 'POST',
      token: adminToken,
      body: { name: 'demo', config: DEMO_SERVER_CONFIG, access: { everyone: true } },
    });
    expect(demo.status).toBe(201);
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const viewport = { width: 1280, height: 800 };
    adminPage = await (await browser.newContext({ viewport })).newPage();
    userPage = await (await browser.newContext({ viewport })).newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await balancer?.close();
    await group?.close();
  });

  it('each instance serves the client at / and for client routes, while unknown /api routes stay problem documents', async () => {
    for (const path of ['/', '/admin']) {
      const page = await call(`${a}${path}`);
      expect({ path, status: page.status, type: page.type }).toEqual({
        path,
        status: 200,
        type: expect.stringContaining('text/html'),
      });
      expect(String(page.body)).toContain('<div id="root">');
    }
    const missing = await call(`${a}/api/no-such-route`, { token: adminToken });
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
  });

  it('signs in: the user with the dev sign-in through the balancer (to B), the admin with a pasted token on A', async () => {
    await userPage.goto(balancer.url);
    await userPage.getByLabel('Username (dev sign-in)').waitFor();
    await checkAccessibility(userPage, 'sign-in');
    await userPage.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await userPage.getByLabel('Username (dev sign-in)').fill(USER);
    await userPage.getByRole('button', { name: 'Dev sign-in' }).click();
    await userPage.getByRole('heading', { name: 'My servers' }).waitFor();
    await server(userPage, 'demo').waitFor();
    await userPage.getByTestId('stream-status').getByText('live').waitFor();

    await adminPage.goto(`${a}/#/admin`);
    await adminPage.getByLabel('Bearer token').fill(adminToken);
    await adminPage.getByRole('button', { name: 'Use token' }).click();
    await adminPage.getByRole('heading', { name: 'Admin' }).waitFor();
    await adminPage.getByTestId('admin-server-demo').waitFor();
    await adminPage.getByTestId('stream-status').getByText('live').waitFor();
  }, 60_000);

  it('an invalid URL in the create form shows the field error and creates nothing; a valid one creates the server', async () => {
    await adminPage.getByRole('button', { name: 'New server' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'New server' });
    await dialog.getByLabel('Name').fill('bad-url');
    await dialog.getByLabel('URL').fill('not a url');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const url = dialog.getByLabel('URL');
    await dialog.locator('input[aria-invalid="true"]').first().waitFor();
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    const errorId = (await url.getAttribute('aria-describedby'))?.split(' ').find((id) => id.endsWith('-error'));
    expect(errorId).toBeDefined();
    const message = await adminPage.locator(`[id="${errorId}"]`).innerText();
    expect(message.length).toBeGreaterThan(0);
    await checkAccessibility(adminPage, 'create form with a field error');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-create-error.png') });
    const stored = await call(`${a}/api/admin/servers/bad-url`, { token: adminToken });
    expect(stored.status).toBe(404);

    await dialog.getByLabel('Name').fill('team-notes');
    await url.fill('https://notes.example/mcp');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    await adminPage.getByTestId('admin-server-team-notes').waitFor();
    expect((await call(`${a}/api/admin/servers/team-notes`, { token: adminToken })).status).toBe(200);
  }, 60_000);

  it('share on A → the server appears on the user page (B) within 2 s; revoke → it disappears within 2 s', async () => {
    expect(await server(userPage, 'team-notes').count()).toBe(0);
    await adminAction('team-notes', 'Share');
    const dialog = adminPage.getByRole('dialog', { name: 'Share team-notes' });
    await dialog.getByLabel('User id').fill(USER);
    await dialog.getByRole('button', { name: 'Add grant' }).click();
    await dialog.getByRole('cell', { name: `user ${USER}`, exact: true }).waitFor();
    await checkAccessibility(adminPage, 'share dialog');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-share.png') });
    await dialog.getByRole('button', { name: 'Save access' }).click();
    await dialog.waitFor({ state: 'detached' });
    await server(userPage, 'team-notes').waitFor({ timeout: LIVE_MS });
    expect(await server(userPage, 'team-notes').getByTestId('tier').textContent()).toBe('private');

    await adminAction('team-notes', 'Share');
    const again = adminPage.getByRole('dialog', { name: 'Share team-notes' });
    await again.getByRole('button', { name: `Remove user ${USER}` }).click();
    await again.getByRole('button', { name: 'Save access' }).click();
    await again.waitFor({ state: 'detached' });
    await server(userPage, 'team-notes').waitFor({ state: 'detached', timeout: LIVE_MS });
  }, 60_000);

  it('promote and demote are seen live on the user page, the server never shown twice', async () => {
    // Count every rendering of the server on the user page from here on.
    await userPage.evaluate(`(() => {
      window.maxShown = 0;
      const count = () => {
        window.maxShown = Math.max(window.maxShown, document.querySelectorAll('[data-testid="server-team-notes"]').length);
      };
      count();
      new MutationObserver(count).observe(document.body, { childList: true, subtree: true });
    })()`);
    await adminAction('team-notes', 'Promote to shared');
    await server(userPage, 'team-notes').getByTestId('tier').getByText('shared').waitFor({ timeout: LIVE_MS });
    await adminPage.getByTestId('admin-server-team-notes').getByText('shared').waitFor();

    await adminAction('team-notes', 'Demote to private');
    const dialog = adminPage.getByRole('dialog', { name: 'Demote team-notes to private' });
    await dialog.getByLabel('Keep it for these users').fill(USER);
    await dialog.getByRole('button', { name: 'Demote' }).click();
    await server(userPage, 'team-notes').getByTestId('tier').getByText('private').waitFor({ timeout: LIVE_MS });
    expect(await userPage.evaluate('window.maxShown')).toBe(1);
    expect(await server(userPage, 'team-notes').count()).toBe(1);
  }, 60_000);

  it('a tool call from the user page to the shipped stdio MCP server returns its result', async () => {
    await userPage.screenshot({ path: join(SCREENSHOTS, 'my-servers.png') });
    await server(userPage, 'demo').getByRole('button').first().click();
    const tool = userPage.getByTestId('tool-add');
    await tool.waitFor({ timeout: 30_000 });
    await tool.getByLabel('Arguments for add (JSON)').fill('{"a": 2, "b": 3}');
    await tool.getByRole('button', { name: 'Call add' }).click();
    const result = tool.getByTestId('tool-result');
    await result.waitFor({ timeout: 30_000 });
    expect(JSON.parse(await result.innerText())).toMatchObject({ structuredContent: { sum: 5 } });
    await checkAccessibility(userPage, 'my servers');
    await userPage.screenshot({ path: join(SCREENSHOTS, 'my-servers-tool-call.png') });
  }, 60_000);

  it("the user's stream is cut (B stopped) → the page reconnects to A and shows what happened meanwhile", async () => {
    // The balancer has no healthy instance for a moment, so the change below certainly happens while
    // the page is disconnected; then it fails over to A.
    balancer.setUpstreams([]);
    await group.apis[1]!.close();
    await userPage.getByTestId('stream-status').getByText('reconnecting').waitFor({ timeout: 10_000 });
    const created = await call(`${a}/api/admin/servers`, {
      method: 'POST',
      token: adminToken,
      body: {
        name: 'while-away',
        config: { type: 'sse', url: 'https://away.example/sse' },
        access: { userIds: [USER] },
      },
    });
    expect(created.status).toBe(201);
    // The admin page (on A) has the change from the shared event log before the user reconnects.
    await adminPage.getByRole('tab', { name: 'Events' }).click();
    await adminPage.getByTestId('event-log').getByText(`access changed for ${USER}`).first().waitFor();
    expect(await server(userPage, 'while-away').count()).toBe(0);
    balancer.setUpstreams([a]);
    await server(userPage, 'while-away').waitFor({ timeout: 10_000 });
    await userPage.getByTestId('stream-status').getByText('live').waitFor();
    await userPage.getByTestId('reconnect-note').waitFor();
    expect(await userPage.getByTestId('reconnect-note').innerText()).toMatch(/[1-9]\d* missed events? replayed/);
    await userPage.getByTestId('event-log').getByText('replayed').first().waitFor();
    // Close the demo server's tools so the screenshot shows the note and the list.
    await server(userPage, 'demo').getByRole('button').first().click();
    await userPage.getByTestId('tool-add').waitFor({ state: 'detached' });
    await userPage.evaluate('window.scrollTo(0, 0)');
    await userPage.screenshot({ path: join(SCREENSHOTS, 'my-servers-reconnected.png') });
    await checkAccessibility(adminPage, 'admin events');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-events.png') });
  }, 60_000);

  it('admin servers, import preview and instances pages pass axe; narrow window', async () => {
    await adminPage.getByRole('tab', { name: 'Servers' }).click();
    await adminPage.getByTestId('admin-server-while-away').waitFor();
    await checkAccessibility(adminPage, 'admin servers');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-servers.png') });

    await adminPage.getByRole('tab', { name: 'Import' }).click();
    await adminPage
      .getByLabel('File content')
      .fill(
        'mcpServers:\n  imported-wiki:\n    type: sse\n    url: https://wiki.example/sse\n  imported-docs:\n    type: streamable-http\n    url: https://docs.example/mcp\n',
      );
    await adminPage.getByRole('button', { name: 'Preview' }).click();
    const preview = adminPage.getByTestId('import-preview');
    await preview.getByRole('cell', { name: 'imported-wiki', exact: true }).waitFor();
    await preview.getByText('Would create 2').waitFor();
    expect((await call(`${a}/api/admin/servers/imported-wiki`, { token: adminToken })).status).toBe(404);
    await checkAccessibility(adminPage, 'admin import preview');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-import.png') });

    await adminPage.getByRole('tab', { name: 'Instances' }).click();
    await adminPage.getByRole('table', { name: 'Instances' }).waitFor();
    await checkAccessibility(adminPage, 'admin instances');
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'admin-instances.png') });

    await userPage.setViewportSize({ width: 390, height: 800 });
    await userPage.getByRole('button', { name: 'Toggle navigation' }).waitFor();
    await checkAccessibility(userPage, 'my servers, narrow');
    await userPage.screenshot({ path: join(SCREENSHOTS, 'my-servers-narrow.png') });
  }, 60_000);

  it('axe-core finds no serious or critical violation on any page checked above', () => {
    expect(accessibility.map((entry) => entry.page)).toEqual([
      'sign-in',
      'create form with a field error',
      'share dialog',
      'my servers',
      'admin events',
      'admin servers',
      'admin import preview',
      'admin instances',
      'my servers, narrow',
    ]);
    expect(accessibility.filter((entry) => entry.violations.length > 0)).toEqual([]);
  });
});
