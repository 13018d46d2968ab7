// `smtp-fleet dashboard`: Bull Board on the fleet's queues and the sweeps' reports from the
// store, in one small HTTP server. Hono (with @hono/node-server) is the adapter: two
// dependency-free packages on web-standard Request/Response, where Express brings ~30.
// Loopback needs no token; any other address (or --require-token) needs one on every request,
// because Bull Board's retry/clean/pause act on the fleet's queues.
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpath, stat, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, sep } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serve, type ServerType } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Queue } from 'bullmq';
import { Hono, type Context, type Next } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { FleetError } from '../queue/errors.js';
import { QUEUES } from '../queue/jobs.js';
import { openRedis, redisTargetFrom, RedisStateReporter } from '../queue/connection.js';
import { SweepIdSchema } from '../store/fleet-schema.js';
import { FLEET_REPORT_FILE, FLEET_SUMMARY_FILE, Store } from '../store/store.js';
import type { Globals } from './commands.js';
import { FLEET_EXIT } from './exit-codes.js';

export const DEFAULT_LISTEN = '127.0.0.1:8090';
export const DEFAULT_TOKEN_ENV = 'SMTP_FLEET_DASHBOARD_TOKEN';
const COOKIE = 'smtp_fleet_dashboard';
export const FLEET_REPORT_HTML = 'fleet_report.html';

/** The only files of a sweep folder the dashboard serves, and how. */
const REPORT_FILES: Record<string, string> = {
  [FLEET_REPORT_HTML]: 'text/html; charset=utf-8',
  // Shown, not downloaded: browsers save text/markdown.
  [FLEET_REPORT_FILE]: 'text/plain; charset=utf-8',
  [FLEET_SUMMARY_FILE]: 'application/json; charset=utf-8',
};

/** A report is static: no script, no fetch, no form, no framing, its own origin (sandbox). */
// fleet_report.html carries its own CSP that admits its one inline script by hash: this header
// adds 'unsafe-inline' only so the two policies together still allow exactly that script
// (both are enforced), and the sandbox keeps scripts but no same-origin access to the dashboard.
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox allow-scripts";
const INDEX_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface DashboardFlags {
  listen?: string;
  tokenEnv?: string;
  requireToken?: boolean;
}

export interface Listen {
  host: string;
  port: number;
}

export function parseListen(text: string): Listen {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new FleetError('usage', `invalid --listen "${text}": expected host:port, e.g. 127.0.0.1:8090 or [::1]:8090`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Loopback by address, not by name: only `localhost` is trusted as a name. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Equal length digests, so the comparison takes as long whatever the guess. */
export const tokenMatches = (given: string | undefined, token: string): boolean => given !== undefined && timingSafeEqual(digest(given), digest(token));

function tokenGate(token: string) {
  return async (c: Context, next: Next) => {
    const auth = c.req.header('authorization');
    const bearer = auth?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (tokenMatches(bearer, token) || tokenMatches(getCookie(c, COOKIE), token)) return next();
    const query = c.req.query('token');
    if (tokenMatches(query, token)) {
      // Once: the cookie carries it from now on, and the address bar and history lose it.
      setCookie(c, COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure: new URL(c.req.url).protocol === 'https:' });
      const url = new URL(c.req.url);
      url.searchParams.delete('token');
      return c.redirect(url.pathname + url.search, 303);
    }
    c.header('WWW-Authenticate', 'Bearer realm="smtp-fleet dashboard"');
    return c.text('401 unauthorized: give the dashboard token (Authorization: Bearer, or ?token= once)\n', 401);
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/** The sweeps, newest first, each with the reports its folder holds. */
async function indexPage(store: Store): Promise<string> {
  const rows: string[] = [];
  for (const m of await store.listSweeps()) {
    const s = await store.readFleetSummary(m.id).catch(() => null);
    const links: string[] = [];
    for (const f of [FLEET_REPORT_HTML, FLEET_REPORT_FILE, FLEET_SUMMARY_FILE]) {
      if (await isFile(join(store.sweepDir(m.id), f))) links.push(`<a href="/reports/${encodeURIComponent(m.id)}/${f}">${f}</a>`);
    }
    const counts = s ? `${s.counts.ok} ok, ${s.counts.smtp_failing} failing, ${s.counts.unreachable + s.counts.failed + s.counts.rejected} not reached` : 'running or not aggregated';
    rows.push(`<tr><td>${esc(m.id)}</td><td>${esc(m.created)}</td><td>${esc(m.kind)}</td><td>${m.hosts.length}</td><td>${esc(counts)}</td><td>${links.join(' ') || '-'}</td></tr>`);
  }
  const table = rows.length ? `<table><thead><tr><th>sweep</th><th>created</th><th>kind</th><th>hosts</th><th>result</th><th>reports</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p>no sweeps in the store yet</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>smtp-fleet sweeps</title><style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body><h1>smtp-fleet sweeps</h1><p><a href="/queues">queues (Bull Board)</a></p>${table}</body></html>`;
}

/** A report file of a sweep, only if its real path lies in that sweep's real folder. */
async function reportFile(store: Store, sweepId: string, file: string): Promise<{ body: Buffer; type: string } | null> {
  const type = REPORT_FILES[file];
  if (!type || !SweepIdSchema.safeParse(sweepId).success) return null;
  try {
    const dir = await realpath(store.sweepDir(sweepId));
    const sweeps = await realpath(join(store.root, 'sweeps'));
    if (!dir.startsWith(sweeps + sep)) return null;
    const real = await realpath(join(dir, file));
    if (real !== join(dir, file) || !(await isFile(real))) return null;
    return { body: await readFile(real), type };
  } catch {
    return null;
  }
}

/** The app, apart from the listening socket, so tests and the command build the same one. */
export function dashboardApp(store: Store, queues: Queue[], token: string | undefined): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('X-Frame-Options', 'DENY');
  });
  if (token !== undefined) app.use('*', tokenGate(token));

  // Bull Board's page asks Google Fonts for its typeface: the operator's browser would tell a
  // third party about the dashboard (and fail on an offline network). It falls back to system fonts.
  app.use('/queues/*', async (c, next) => {
    await next();
    if (!c.res.headers.get('content-type')?.startsWith('text/html')) return;
    const html = (await c.res.text()).replace(/<link[^>]*fonts\.googleapis\.com[^>]*>/g, '');
    c.res = new Response(html, { status: c.res.status, headers: c.res.headers });
  });
  const board = new HonoAdapter(serveStatic);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: board, options: { uiConfig: { boardTitle: 'smtp-fleet' } } });
  board.setBasePath('/queues');
  app.route('/queues', board.registerPlugin());

  app.get('/', async (c) => {
    c.header('Content-Security-Policy', INDEX_CSP);
    return c.html(await indexPage(store));
  });
  app.get('/reports/:sweep/:file', async (c) => {
    const f = await reportFile(store, c.req.param('sweep'), c.req.param('file'));
    if (!f) return c.text('404 not found\n', 404);
    c.header('Content-Security-Policy', REPORT_CSP);
    c.header('Cache-Control', 'no-store');
    return c.body(new Uint8Array(f.body), 200, { 'Content-Type': f.type });
  });
  // Browsers ask for one on every page; a 404 would be a console error in every tab.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.notFound((c) => c.text('404 not found\n', 404));
  return app;
}

/** The token the bind needs, if any; a missing one is a one-line usage error before anything starts. */
export function tokenFor(listen: Listen, f: DashboardFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = f.tokenEnv ?? DEFAULT_TOKEN_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new FleetError('usage', `invalid --token-env "${name}": expected an environment variable name`);
  if (isLoopback(listen.host) && !f.requireToken) return undefined;
  const token = env[name];
  const why = f.requireToken ? '--require-token' : `listening on ${listen.host}, not loopback,`;
  if (!token) throw new FleetError('usage', `${why} needs a token in $${name} (at least 16 characters); none is set`);
  if (token.length < 16) throw new FleetError('usage', `${why} needs a token of at least 16 characters in $${name}`);
  return token;
}

export async function dashboardCommand(g: Globals, f: DashboardFlags): Promise<number> {
  const listen = parseListen(f.listen ?? DEFAULT_LISTEN);
  const token = tokenFor(listen, f);
  const store = await Store.open(g.store);
  const say = (line: string) => process.stderr.write(`smtp-fleet: ${line}\n`);
  const target = redisTargetFrom(g);
  const state = new RedisStateReporter(target.url, say);
  // Checked at once (one line and exit 5 when Redis is not there), then ridden out like a worker.
  const redis = await openRedis(target, 'cli', state);
  const queues = Object.values(QUEUES).map((name) => {
    const q = new Queue(name, { connection: redis, prefix: g.prefix });
    q.on('error', (e) => state.error(e));
    return q;
  });
  const app = dashboardApp(store, queues, token);

  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: listen.host, port: listen.port }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => reject(new FleetError('usage', `cannot listen on ${f.listen ?? DEFAULT_LISTEN}: ${err.code ?? err.message}`)));
  }).catch(async (err: unknown) => {
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    throw err;
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : listen.port;
  const shown = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  // The URL only: the token is never printed.
  process.stdout.write(`dashboard on http://${shown}:${port}/ (queues: /queues)${token ? ', token required' : ''}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      say('dashboard stopping');
      // Idle keep-alive sockets would hold close() open.
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      server.close(() => resolve());
      setTimeout(() => (server as { closeAllConnections?: () => void }).closeAllConnections?.(), 2000).unref();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await Promise.all(queues.map((q) => q.close()));
  redis.disconnect();
  return FLEET_EXIT.ok;
}
