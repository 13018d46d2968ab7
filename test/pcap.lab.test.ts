// --pcap with the real tcpdump on loopback (the lab runs as root): the capture holds the
// probe's own connections and nothing of another port busy at the same time; without
// tcpdump on PATH the probe still finishes and says why there is no capture.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeHard, track } from '../lab/ports.js';
import { listen } from '../lab/scripted.js';
import type { ProbeSummary } from '../payload/schema/summary.js';
import { readJson, runCli, runFolder, tempDir, unzip } from './helpers.js';

const lab = inject('lab');
const HAVE_TCPDUMP = existsSync('/usr/bin/tcpdump') && process.getuid?.() === 0;

describe.skipIf(!HAVE_TCPDUMP)('--pcap (real tcpdump, as root)', () => {
  let noise: Server;
  let noisePort = 0;
  let timer: NodeJS.Timeout;
  beforeAll(async () => {
    noise = track(createServer((s) => s.end('noise\r\n')));
    noisePort = await listen(noise, '127.0.0.1');
    // Other traffic on loopback for the whole run: none of it may reach the capture.
    timer = setInterval(() => connect(noisePort, '127.0.0.1').on('error', () => {}).resume(), 20);
  });
  afterAll(async () => {
    clearInterval(timer);
    await closeHard(noise);
  });

  it('captures only the probe\'s addresses and ports, into the run folder and the ZIP', async () => {
    const out = tempDir('pcap-');
    const port = lab.gmail.starttlsPort;
    const r = await runCli(['probe', '--resolver', lab.dns.spec, '--port', `${port}:starttls`, '--ca', lab.caFile, '--pcap', '--out', out]);
    const folder = runFolder(out);
    const s = readJson<ProbeSummary>(join(folder, 'probe_summary.json'));
    expect(s.pcap).toMatchObject({ file: 'capture.pcap', tool: 'tcpdump', interface: 'lo' });
    expect(s.pcap!.filter).toContain(`tcp port ${port}`);
    expect(s.files).toContain('capture.pcap');
    expect(r.stdout).toMatch(/pcap: +tcpdump on lo: \d+ packet/);
    const lines = execFileSync('tcpdump', ['-nn', '-r', join(folder, 'capture.pcap')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    expect(lines.length).toBeGreaterThan(8);
    for (const l of lines) expect(l).toMatch(new RegExp(`\\.${port}[ :]`));
    expect(lines.some((l) => l.includes(`.${noisePort}`))).toBe(false);
    // The SYN of the first connect is there: the capture started before it.
    expect(lines.some((l) => /Flags \[S\]/.test(l))).toBe(true);
    const zip = await unzip(join(folder, 'attachments/all_files.zip'));
    expect(zip.get('capture.pcap')!.equals(readFileSync(join(folder, 'capture.pcap')))).toBe(true);
    expect(readFileSync(join(folder, 'report.md'), 'utf8')).toContain('## Packet capture');
  });

  it('without tcpdump on PATH: one clear line, no capture, the probe unharmed', async () => {
    const out = tempDir('pcap-');
    const r = await runCli(['probe', '--resolver', lab.dns.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--ca', lab.caFile, '--pcap', '--out', out], { PATH: '/nonexistent' });
    const s = readJson<ProbeSummary>(join(runFolder(out), 'probe_summary.json'));
    expect(r.code).toBe(0);
    expect(s.pcap).toMatchObject({ file: null });
    expect(s.pcap!.message).toMatch(/^no capture: tcpdump is not installed/);
    expect(s.files).not.toContain('capture.pcap');
  });

  it('is never on by default', async () => {
    const out = tempDir('pcap-');
    await runCli(['probe', '--resolver', lab.dns.spec, '--port', `${lab.gmail.starttlsPort}:starttls`, '--ca', lab.caFile, '--out', out]);
    const s = readJson<ProbeSummary>(join(runFolder(out), 'probe_summary.json'));
    expect(s.pcap).toBeUndefined();
    expect(existsSync(join(runFolder(out), 'capture.pcap'))).toBe(false);
  });
});
