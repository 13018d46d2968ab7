// The loopback lab the tests probe: a real Postfix, Gmail-like scripted servers on
// several 127.0.0.x addresses (one of which resets), a never-accepting listener, and two
// DNS servers of our own that say what smtp.gmail.com is. Nothing leaves loopback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { makePki } from './ca.js';
import { startDns, type LabDns } from './dns-server.js';
import { startBlackhole, startResetter, type Blackhole } from './faults.js';
import { closeSmtp, startGmailLike } from './gmail-like.js';
import { closeHard, freePort } from './ports.js';
import { startFaultLab, type FaultInfo, type FaultLab } from './fault-servers.js';
import { postfixAvailable, startPostfix, type LabPostfix } from './postfix.js';

export interface LabInfo {
  dir: string;
  caFile: string;
  /** Answers smtp.gmail.com with the two healthy Gmail-like addresses. */
  dns: { address: string; port: number; spec: string };
  /** Answers smtp.gmail.com with three addresses, the third of which resets every connection. */
  dnsFlaky: { address: string; port: number; spec: string };
  /** Never answers. */
  dnsSilent: { address: string; port: number; spec: string };
  gmail: { starttlsPort: number; implicitPort: number; healthy: string[]; resetting: string };
  postfix: { host: string; starttlsPort: number; implicitPort: number };
  blackhole: { host: string; port: number };
  closedPort: number;
  faults: FaultInfo;
}

export interface Lab {
  info: LabInfo;
  stop(): Promise<void>;
}

export async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host, port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`lab: nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startLab(): Promise<Lab> {
  if (!postfixAvailable()) {
    throw new Error('lab: Postfix is required (apt-get install postfix) and must be started as root; run `bash .ci/run` or see README.md');
  }
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-lab-'));
  const pki = makePki(dir);
  // Files the scenarios point at: a hosts file that pins smtp.gmail.com, and attachments.
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.7 smtp.gmail.com\n');
  writeFileSync(join(dir, 'invoice.exe'), Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2048, 0x90)]));
  writeFileSync(join(dir, 'report.pdf'), '%PDF-1.4\n% smtp-probe lab attachment\n');
  const healthy = ['127.0.0.2', '127.0.0.3'];
  const resetting = '127.0.0.4';
  const all = [...healthy, resetting];
  // The flaky proxy (127.0.0.5) and the IPv6 blackhole (::1) share the STARTTLS port number.
  const starttlsPort = await freePort([...all, '127.0.0.5', '::1']);
  const implicitPort = await freePort(all);

  const smtp: SMTPServer[] = [];
  const tcp: Server[] = [];
  for (const host of healthy) {
    smtp.push(await startGmailLike({ host, port: starttlsPort, pki, implicit: false }));
    smtp.push(await startGmailLike({ host, port: implicitPort, pki, implicit: true }));
  }
  tcp.push(await startResetter(resetting, starttlsPort), await startResetter(resetting, implicitPort));

  const dns: LabDns = await startDns({ 'smtp.gmail.com': { A: healthy, ttl: 300 } });
  const dnsFlaky: LabDns = await startDns({ 'smtp.gmail.com': { A: all, ttl: 60 } });
  const dnsSilent: LabDns = await startDns({ 'smtp.gmail.com': { drop: true } });
  const blackhole: Blackhole = await startBlackhole('127.0.0.6');
  const closedPort = await freePort(['127.0.0.7']);

  const faults: FaultLab = await startFaultLab(pki, { healthy, starttlsPort });
  const pfPorts = [await freePort(['127.0.0.1']), await freePort(['127.0.0.1'])] as const;
  const postfix: LabPostfix = await startPostfix(join(dir, 'postfix'), pki, '127.0.0.1', pfPorts[0], pfPorts[1]);
  await waitForPort('127.0.0.1', pfPorts[0]);
  await waitForPort('127.0.0.1', pfPorts[1]);

  const spec = (d: LabDns) => ({ address: d.address, port: d.port, spec: `${d.address}:${d.port}` });
  return {
    info: {
      dir,
      caFile: pki.caCert,
      dns: spec(dns),
      dnsFlaky: spec(dnsFlaky),
      dnsSilent: spec(dnsSilent),
      gmail: { starttlsPort, implicitPort, healthy, resetting },
      postfix: { host: postfix.host, starttlsPort: postfix.starttlsPort, implicitPort: postfix.implicitPort },
      blackhole: { host: blackhole.host, port: blackhole.port },
      closedPort,
      faults: faults.info,
    },
    async stop() {
      postfix.stop();
      blackhole.stop();
      await faults.stop();
      await Promise.all([...smtp.map(closeSmtp), ...tcp.map(closeHard), dns.close(), dnsFlaky.close(), dnsSilent.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
