// --tls-matrix: which TLS versions and suites each port accepts, next to what this runtime
// offers. The bot's failure the brief targets is a version mismatch: a server (or a
// middlebox) that allows only versions the bot's runtime no longer sends. So each version
// is pinned in its own handshake, and a ClientHello this runtime cannot even build is told
// apart from one the server refused.
import { DEFAULT_CIPHERS, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION, createSecureContext } from 'node:tls';
import type { Target } from '../schema/summary.js';
import { TLS_VERSIONS } from '../schema/constants.js';
import type { MatrixPort, MatrixVersion, RuntimeTls, TlsMatrix, TlsVersion } from '../schema/tls-matrix.js';
import { errorCode, errorMessage } from '../util/errors.js';
import { mapPool } from '../util/pool.js';
import type { PortSpec, ProbeSettings } from './options.js';
import { tcpConnect } from './tcp.js';
import { startTls, trustContext, type TlsOutcome } from './tls.js';
import { Wire } from './wire.js';

export const MATRIX_LIMITS = { max_handshakes_per_port: 60, budget_ms_per_port: 60_000, concurrency: 2 };
/** Addresses the matrix covers: Gmail answers with 2-4 per family; one behind another middlebox is what it looks for. */
export const MATRIX_MAX_ADDRESSES = 4;

/** TLS 1.3 suites OpenSSL knows; Node takes them in `ciphers` next to the TLS 1.2 names. */
const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];
/** Every suite OpenSSL has for TLS 1.2 and older, weak ones included: the matrix asks what the server accepts, not what is wise. */
const ALL_LEGACY = 'ALL:COMPLEMENTOFALL';
// Codes OpenSSL gives when it cannot build the ClientHello: nothing reached the server.
const LOCAL_REFUSALS = /NO_PROTOCOLS_AVAILABLE|NO_CIPHERS_AVAILABLE|NO_CIPHER_MATCH/i;

const rank = (v: string) => TLS_VERSIONS.indexOf(v as TlsVersion);

/** What a client on this Node/OpenSSL offers by default, and what it can offer at all. */
export function runtimeTls(): RuntimeTls {
  const openssl = process.versions.openssl ?? 'unknown';
  const openssl3 = Number(openssl.split('.')[0]) >= 3;
  const inDefault = (v: TlsVersion) => rank(v) >= rank(DEFAULT_MIN_VERSION) && rank(v) <= rank(DEFAULT_MAX_VERSION);
  // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level 1 (SHA-1 handshake signatures), whatever minVersion says.
  const default_offer = TLS_VERSIONS.filter((v) => inDefault(v) && (!openssl3 || rank(v) >= rank('TLSv1.2')));
  const can_offer = TLS_VERSIONS.filter((v) => {
    try {
      createSecureContext({ minVersion: v, maxVersion: v, ciphers: v === 'TLSv1.3' ? TLS13_SUITES.join(':') : `${ALL_LEGACY}@SECLEVEL=0` });
      return true;
    } catch {
      return false;
    }
  });
  const notes = [
    `Node ${process.version} with OpenSSL ${openssl}: defaults minVersion ${DEFAULT_MIN_VERSION}, maxVersion ${DEFAULT_MAX_VERSION}${openssl3 ? '; TLS 1.0/1.1 only with ciphers DEFAULT@SECLEVEL=0 and minVersion TLSv1 (--tls-min-v1.0 alone is not enough on OpenSSL 3)' : ''}`,
    'A bot on another runtime (Automation Anywhere\'s Java, .NET on SCHANNEL) offers what its own settings allow: on Windows, `smtp-probe diagnose` records the SCHANNEL Protocols registry keys and .NET Framework\'s SchUseStrongCrypto / SystemDefaultTlsVersions (os-tls collector, dotnet-tls.ps1).',
  ];
  return { node: process.version, openssl, default_min_version: DEFAULT_MIN_VERSION, default_max_version: DEFAULT_MAX_VERSION, default_offer, can_offer, default_ciphers: DEFAULT_CIPHERS, notes };
}

interface Hello {
  status: 'accepted' | 'refused' | 'runtime-cannot-offer' | 'unreachable';
  outcome: TlsOutcome | null;
  error: string | null;
}

/** One connection: TCP, the STARTTLS dialogue when the port needs it, one pinned handshake, then close. */
async function hello(s: ProbeSettings, ip: string, spec: PortSpec, version: TlsVersion, ciphers: string): Promise<Hello> {
  const tcp = await tcpConnect(ip, spec.port, s.timeouts.connect);
  if (!tcp.socket) return { status: 'unreachable', outcome: null, error: `connect: ${tcp.error?.kind ?? 'failed'}` };
  const sock = tcp.socket;
  try {
    if (spec.mode === 'starttls') {
      const wire = new Wire(() => {});
      wire.attach(sock);
      const banner = await wire.read(s.timeouts.smtp, 'the banner');
      wire.write(`EHLO ${s.ehloName}`);
      const ehlo = await wire.read(s.timeouts.smtp, 'EHLO');
      wire.write('STARTTLS');
      const go = await wire.read(s.timeouts.smtp, 'STARTTLS');
      wire.detach();
      if (banner.code !== 220 || ehlo.code !== 250 || go.code !== 220) return { status: 'unreachable', outcome: null, error: `STARTTLS not possible: ${go.lines[0] ?? ehlo.lines[0] ?? banner.lines[0]}` };
    }
    const verifyName = s.sni ?? s.host;
    const outcome = await startTls(sock, {
      sni: s.sni,
      verifyName,
      trust: undefined,
      timeoutMs: s.timeouts.tls,
      after: spec.mode === 'starttls' ? 'starttls' : 'connect',
      ticketWaitMs: 0,
      offer: { minVersion: version, maxVersion: version, ciphers, ...(s.ca.length ? { secureContext: trustContext(s.ca, { minVersion: version, maxVersion: version, ciphers }) } : {}) },
    });
    outcome.socket?.destroy();
    const err = outcome.result.error;
    if (!err) return { status: 'accepted', outcome, error: null };
    const local = LOCAL_REFUSALS.test(err.code ?? '') && !/alert/i.test(err.message);
    return { status: local ? 'runtime-cannot-offer' : 'refused', outcome, error: `${err.code ?? err.kind}: ${err.message}` };
  } catch (e) {
    const code = errorCode(e);
    if (code && LOCAL_REFUSALS.test(code)) return { status: 'runtime-cannot-offer', outcome: null, error: `${code}: ${errorMessage(e)}` };
    return { status: 'unreachable', outcome: null, error: errorMessage(e) };
  } finally {
    sock.destroy();
  }
}

function offerFor(version: TlsVersion, found: readonly string[]): string {
  if (version === 'TLSv1.3') return TLS13_SUITES.filter((c) => !found.includes(c)).join(':');
  return [ALL_LEGACY, ...found.map((c) => `!${c}`)].join(':') + '@SECLEVEL=0';
}

/**
 * One version on one port. Suites are found the way testssl.sh does: offer everything,
 * note what the server picked, offer everything but that, until the server refuses.
 * That costs one handshake per accepted suite plus one, never one per known suite.
 */
async function probeVersion(s: ProbeSettings, ip: string, spec: PortSpec, version: TlsVersion, budget: { handshakes: number; until: number }, port: MatrixPort): Promise<MatrixVersion> {
  const row: MatrixVersion = { version, status: 'not-tried', ciphers: [], ciphers_complete: false, error: null, handshakes: 0 };
  const found: string[] = [];
  for (;;) {
    if (budget.handshakes <= 0 || Date.now() > budget.until) return row;
    const offer = offerFor(version, found);
    if (!offer || (version === 'TLSv1.3' && found.length === TLS13_SUITES.length)) return { ...row, ciphers_complete: true };
    budget.handshakes--;
    row.handshakes++;
    const h = await hello(s, ip, spec, version, offer);
    if (h.status !== 'accepted') {
      // The first refusal says what the version does; a later one ends the enumeration.
      if (!found.length) return { ...row, status: h.status, error: h.error };
      return { ...row, ciphers_complete: h.status === 'refused' };
    }
    const r = h.outcome!.result;
    if (!port.verification) port.verification = { name: s.sni ?? s.host, authorized: r.authorized, verify_error: r.verify_error, reason: r.verify_reason };
    row.status = 'accepted';
    // A server that answers with a suite outside the offer would loop forever otherwise.
    if (!r.cipher || found.includes(r.cipher) || r.protocol !== version) return { ...row, ciphers_complete: false, error: r.protocol !== version ? `server answered ${r.protocol}` : null };
    found.push(r.cipher);
    row.ciphers.push({ name: r.cipher, standard_name: r.cipher_standard_name });
  }
}

/** The handshake results a finding rests on: "TLSv1 accepted (ECDHE-RSA-AES256-SHA); TLSv1.2 refused: alert protocol version". */
function versionEvidence(port: MatrixPort): string {
  return port.versions
    .filter((v) => v.status !== 'not-tried')
    .map((v) => (v.status === 'accepted' ? `${v.version} accepted (${v.ciphers.slice(0, 3).map((c) => c.name).join(', ')}${v.ciphers.length > 3 ? ', ...' : ''})` : `${v.version} ${v.status}${v.error ? `: ${v.error.slice(0, 120)}` : ''}`))
    .join('; ');
}

/** What a person must know: the mismatch first, then old versions, then the names check. */
export function portFindings(port: MatrixPort, rt: RuntimeTls): MatrixPort['findings'] {
  const where = `${port.ip}:${port.port} (${port.mode})`;
  const accepted = port.versions.filter((v) => v.status === 'accepted').map((v) => v.version);
  const cannot = port.versions.filter((v) => v.status === 'runtime-cannot-offer').map((v) => v.version);
  const out: MatrixPort['findings'] = [];
  const usable = accepted.filter((v) => rt.default_offer.includes(v));
  const evidence = versionEvidence(port);
  if (accepted.length && !usable.length) {
    out.push({
      id: 'tls-version-mismatch',
      severity: 'error',
      text: `${where} accepts only ${accepted.join(', ')}; this runtime (Node ${rt.node}, OpenSSL ${rt.openssl}) offers ${rt.default_offer.join(', ')} by default (minimum ${rt.default_min_version}), so it cannot negotiate TLS with this server, and neither can a bot whose runtime has the same minimum (.NET on a Windows build with TLS 1.0/1.1 off, Java 8u291 and later): the server, or a middlebox in front of it, allows only what the bot cannot do`,
      next_step: 'Enable TLS 1.2 (and 1.3) on the server or the middlebox. Re-enabling TLS 1.0/1.1 on the bot (SECLEVEL=0, SCHANNEL Protocols\\TLS 1.0\\Client Enabled=1) is only a stopgap.',
      evidence,
    });
  } else if (!accepted.length && cannot.length && port.versions.every((v) => v.status !== 'unreachable')) {
    out.push({
      id: 'tls-runtime-cannot-offer',
      severity: 'error',
      text: `${where} accepted no version this runtime could offer; ${cannot.join(', ')} could not even be offered here, so whether the server speaks them is unknown`,
      next_step: 'Check the server with a client that still speaks those versions (openssl s_client -tls1 -cipher DEFAULT@SECLEVEL=0); a bot on this runtime cannot connect either way.',
      evidence,
    });
  } else if (!accepted.length && port.versions.some((v) => v.status === 'refused')) {
    out.push({ id: 'tls-no-version', severity: 'error', text: `${where} refused every TLS version from 1.0 to 1.3`, next_step: 'The port may not speak TLS, or only SSLv3: check what listens there.', evidence });
  }
  const old = accepted.filter((v) => rank(v) < rank('TLSv1.2'));
  if (old.length && usable.length) out.push({ id: 'tls-legacy-versions', severity: 'warning', text: `${where} still accepts ${old.join(', ')} (deprecated by RFC 8996)`, next_step: 'Not the bot\'s problem; tell the server\'s owner.', evidence });
  if (port.verification && !port.verification.authorized) out.push({ id: 'tls-verification', severity: 'error', text: `${where}: certificate not valid for ${port.verification.name}: ${port.verification.reason ?? port.verification.verify_error}`, next_step: 'See the TLS stage of the attempts for the chain; a bot that verifies certificates fails here too.' });
  return out;
}

async function probePort(s: ProbeSettings, ip: string, spec: PortSpec, rt: RuntimeTls): Promise<MatrixPort> {
  const t0 = Date.now();
  const port: MatrixPort = { ip, port: spec.port, mode: spec.mode === 'implicit' ? 'implicit' : 'starttls', versions: [], verification: null, findings: [], ms: 0 };
  const budget = { handshakes: MATRIX_LIMITS.max_handshakes_per_port, until: t0 + MATRIX_LIMITS.budget_ms_per_port };
  for (const v of TLS_VERSIONS) {
    if (!rt.can_offer.includes(v)) {
      port.versions.push({ version: v, status: 'runtime-cannot-offer', ciphers: [], ciphers_complete: false, error: 'this runtime has no way to send that version', handshakes: 0 });
      continue;
    }
    port.versions.push(await probeVersion(s, ip, spec, v, budget, port));
  }
  port.findings = portFindings(port, rt);
  port.ms = Date.now() - t0;
  return port;
}

/** Ports whose addresses accept different versions: one address is behind another terminator. */
export function crossAddressFindings(ports: readonly MatrixPort[]): NonNullable<TlsMatrix['findings']> {
  const out: NonNullable<TlsMatrix['findings']> = [];
  for (const key of [...new Set(ports.map((p) => `${p.port}/${p.mode}`))]) {
    // Only addresses that answered TLS at all: one that is unreachable is a connection problem, not another configuration.
    const same = ports.filter((p) => `${p.port}/${p.mode}` === key && p.versions.some((v) => v.status === 'accepted' || v.status === 'refused'));
    const sets = new Map<string, string[]>();
    for (const p of same) {
      const acc = p.versions.filter((v) => v.status === 'accepted').map((v) => v.version).join(' ') || 'none';
      sets.set(acc, [...(sets.get(acc) ?? []), p.ip]);
    }
    if (sets.size < 2) continue;
    const evidence = [...sets].map(([acc, ips]) => `${ips.join(', ')}: ${acc}`).join('; ');
    out.push({ id: 'tls-addresses-differ', severity: 'error', where: String(same[0]!.port), text: `port ${key}: the server's addresses accept different TLS versions (${evidence}); a bot connects to whichever address DNS hands it, so it fails only sometimes`, next_step: 'One address is behind another TLS terminator or middlebox: report it (with this table) to the network team or the server\'s owner.', evidence });
  }
  return out;
}

/**
 * Each TLS port on each resolved address, up to MATRIX_MAX_ADDRESSES (the matrix is the
 * server's configuration, but one address of a pool can sit behind another middlebox).
 * Address x port pairs run MATRIX_LIMITS.concurrency at a time, each within its own budget.
 */
export async function runTlsMatrix(s: ProbeSettings, targets: readonly Target[]): Promise<TlsMatrix> {
  const runtime = runtimeTls();
  const base = { runtime, limits: MATRIX_LIMITS };
  if (s.proxy?.mode === 'explicit') return { ...base, ports: [], skipped: 'not made through a proxy: the matrix connects directly, and this run goes only through --proxy' };
  const resolved = [...new Set(targets.filter((t) => t.family !== null).map((t) => t.address))];
  const specs = s.ports.filter((p) => p.mode !== 'plain');
  if (!resolved.length) return { ...base, ports: [], skipped: 'no address resolved' };
  if (!specs.length) return { ...base, ports: [], skipped: 'no TLS port (every port is plain)' };
  const probed = resolved.slice(0, MATRIX_MAX_ADDRESSES);
  const jobs = probed.flatMap((ip) => specs.map((spec) => ({ ip, spec })));
  const ports = await mapPool(jobs, MATRIX_LIMITS.concurrency, (j) => probePort(s, j.ip, j.spec, runtime));
  return { ...base, ports, skipped: null, addresses: { resolved, probed, cap: MATRIX_MAX_ADDRESSES }, findings: crossAddressFindings(ports) };
}

/** One line for stdout: accepted versions per port, and the worst finding. */
export function matrixLine(m: TlsMatrix): string {
  if (m.skipped) return `not made: ${m.skipped}`;
  const ports = m.ports.map((p) => `${m.ports.length > new Set(m.ports.map((x) => x.port)).size ? `${p.ip}:` : ''}${p.port}: ${p.versions.filter((v) => v.status === 'accepted').map((v) => v.version).join(' ') || 'none'}`).join('; ');
  const worst = [...(m.findings ?? []), ...m.ports.flatMap((p) => p.findings)].find((f) => f.severity === 'error');
  return `${ports} (this runtime offers ${m.runtime.default_offer.join(' ')})${worst ? `; ${worst.id}` : ''}`;
}
