// Real clients, real texts: every client of lab/mail-clients.ts against every fault of
// test/client-text-scenarios.ts, and `explain` (the command's own function) must give the
// expected class and quote a load-bearing line of what the client printed.
// HARVEST_WRITE=1 rewrites test/fixtures/client-texts.json with the texts of this run (a run
// filtered with -t replaces only the ones it ran).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LabPki } from '../lab/ca.js';
import { startDns, type LabDns } from '../lab/dns-server.js';
import { closeSmtp, startGmailLike } from '../lab/gmail-like.js';
import { MAIL_CLIENTS, prepareClients, runClient, type ClientKit, type MailClient } from '../lab/mail-clients.js';
import { explainText } from '../payload/explain.js';
import { CLIENT_TEXTS_FILE, CLIENT_TEXTS_VERSION, ClientTextsFileSchema, readClientTexts, type ClientText } from './client-text-fixtures.js';
import { CLIENT_TEXT_SCENARIOS, type ClientTextScenario, type ExtraServers } from './client-text-scenarios.js';
import { ROOT } from './helpers.js';

const lab = inject('lab');
/** The lab's DNS on port 53, for clients whose resolv.conf cannot name another port. */
const RESOLVER = '127.0.0.153';
const MISMATCH_HOST = '127.0.0.11';

let kit: ClientKit;
let extra: ExtraServers;
let dns: LabDns;
const servers: SMTPServer[] = [];
const versions = new Map<string, string>();
const harvested: ClientText[] = [];

function pki(cert: string): LabPki {
  const f = (n: string) => readFileSync(join(lab.dir, n), 'utf8');
  return { dir: lab.dir, caCert: lab.caFile, serverCert: join(lab.dir, `${cert}.crt`), serverKey: join(lab.dir, `${cert}.key`), caPem: f('ca.crt'), certPem: f(`${cert}.crt`), keyPem: f(`${cert}.key`) };
}

async function starttlsServer(cert: string, host = '127.0.0.1', extra: Parameters<typeof startGmailLike>[0]['extra'] = {}): Promise<number> {
  // No AUTH needed: a client that gets past TLS sends, so a TLS check it skips shows as success.
  const s = await startGmailLike({ host, port: 0, pki: pki(cert), implicit: false, extra: { authOptional: true, ...extra } });
  servers.push(s);
  return (s.server.address() as { port: number }).port;
}

beforeAll(async () => {
  dns = await startDns({}, RESOLVER, 53);
  const [k, expiredStarttls, tls10Starttls, mismatch, stripped] = await Promise.all([
    prepareClients({ caFile: lab.caFile, dir: lab.dir, cacheDir: join(ROOT, '.cache/client-texts'), resolver: RESOLVER }),
    starttlsServer('expired'),
    starttlsServer('server', '127.0.0.1', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    starttlsServer('server', MISMATCH_HOST),
    starttlsServer('server', '127.0.0.1', { hideSTARTTLS: true, disabledCommands: ['STARTTLS'] }),
  ]);
  kit = k;
  extra = { expiredStarttls, tls10Starttls, mismatch: { host: MISMATCH_HOST, port: mismatch }, stripped };
  await Promise.all(MAIL_CLIENTS.map(async (c) => versions.set(c.id, await c.version(kit))));
}, 120_000);

afterAll(async () => {
  await Promise.all([...servers.map(closeSmtp), dns?.close()]);
  if (!process.env.HARVEST_WRITE) return;
  const order = (t: ClientText) => MAIL_CLIENTS.findIndex((c) => c.id === t.client) * 100 + CLIENT_TEXT_SCENARIOS.findIndex((s) => s.id === t.scenario);
  // A run filtered with -t replaces only the texts it captured.
  const key = (t: ClientText) => `${t.client} ${t.scenario}`;
  const fresh = new Set(harvested.map(key));
  const kept = existsSync(CLIENT_TEXTS_FILE) ? readClientTexts().texts.filter((t) => !fresh.has(key(t))) : [];
  const file = ClientTextsFileSchema.parse({ version: CLIENT_TEXTS_VERSION, texts: [...kept, ...harvested].sort((a, b) => order(a) - order(b)) });
  writeFileSync(CLIENT_TEXTS_FILE, JSON.stringify(file, null, 2) + '\n');
});

type Expected = { skip: string } | { succeeds: string } | { class: ClientText['class']; evidence: RegExp };

function expectation(c: MailClient, s: ClientTextScenario): Expected {
  const own = s.clients?.[c.id];
  if (own && ('skip' in own || 'succeeds' in own)) return own;
  const t = s.target(lab, { expiredStarttls: 0, tls10Starttls: 0, mismatch: { host: '', port: 0 }, stripped: 0 });
  if (!c.modes.includes(t.mode)) return { skip: `${c.id} cannot speak ${t.mode}` };
  if (s.sends && !c.sends) return { skip: `${c.id} does not log in or send` };
  return { class: own?.class ?? s.class, evidence: own?.evidence ?? s.evidence };
}

describe.concurrent('real client texts, read by explain', () => {
  for (const c of MAIL_CLIENTS) {
    for (const s of CLIENT_TEXT_SCENARIOS) {
      const e = expectation(c, s);
      if ('skip' in e) {
        it.skip(`${c.id}: ${s.id} (${e.skip})`, () => {});
        continue;
      }
      if ('succeeds' in e) {
        it(`${c.id}: ${s.id} goes through (${e.succeeds})`, async () => {
          const r = await runClient(c, s.target(lab, extra), kit, 45_000);
          expect(r.code, r.text).toBe(0);
        }, 60_000);
        continue;
      }
      it(`${c.id}: ${s.id}`, async () => {
        const r = await runClient(c, s.target(lab, extra), kit, 45_000);
        const text = r.text.trim();
        const out = explainText(text);
        if (text) harvested.push({ client: c.id, client_version: versions.get(c.id)!, scenario: s.id, text, class: e.class, evidence: out.evidence_line ?? '-', captured: new Date().toISOString().slice(0, 10) });
        const shown = `${c.id} printed (exit ${r.code}):\n${text}`;
        expect(r.code, shown).not.toBe(0);
        expect(out.class, shown).toBe(e.class);
        expect(out.evidence_line, shown).toBeTruthy();
        // The quoted line is one the client printed, and the one that carries the cause.
        expect(text, shown).toContain(out.evidence_line!);
        expect(out.evidence_line, shown).toMatch(e.evidence);
      }, 60_000);
    }
  }
});
