// The TLS matrix's findings and the capture filter, from records (the handshakes themselves
// are in test/tls-matrix.lab.test.ts against real TLS servers).
import { describe, expect, it } from 'vitest';
import { captureFilter } from '../../payload/probe/pcap.js';
import { matrixLine, portFindings, runtimeTls } from '../../payload/probe/tls-matrix.js';
import type { MatrixPort, MatrixVersion, RuntimeTls } from '../../payload/schema/tls-matrix.js';
import { TLS_VERSIONS } from '../../payload/schema/tls-matrix.js';

const RT: RuntimeTls = { ...runtimeTls(), default_offer: ['TLSv1.2', 'TLSv1.3'], can_offer: [...TLS_VERSIONS] };

function port(status: Partial<Record<MatrixVersion['version'], MatrixVersion['status']>>, authorized = true): MatrixPort {
  return {
    ip: '192.0.2.1',
    port: 587,
    mode: 'starttls',
    versions: TLS_VERSIONS.map((version) => ({ version, status: status[version] ?? 'refused', ciphers: [], ciphers_complete: true, error: null, handshakes: 1 })),
    verification: { name: 'smtp.example.com', authorized, verify_error: authorized ? null : 'ERR_TLS_CERT_ALTNAME_INVALID', reason: authorized ? null : 'name mismatch' },
    findings: [],
    ms: 1,
  };
}

describe('TLS matrix findings', () => {
  it('a server that allows only what the runtime does not offer by default is a version mismatch', () => {
    const f = portFindings(port({ TLSv1: 'accepted', 'TLSv1.1': 'accepted' }), RT);
    expect(f.map((x) => x.id)).toEqual(['tls-version-mismatch']);
    expect(f[0]!.text).toContain('accepts only TLSv1, TLSv1.1');
  });

  it('versions this runtime could not even offer are not counted as refused by the server', () => {
    const f = portFindings(port({ TLSv1: 'runtime-cannot-offer', 'TLSv1.1': 'runtime-cannot-offer' }), { ...RT, can_offer: ['TLSv1.2', 'TLSv1.3'] });
    expect(f.map((x) => x.id)).toEqual(['tls-runtime-cannot-offer']);
    expect(f[0]!.text).toContain('whether the server speaks them is unknown');
  });

  it('old versions next to usable ones are a warning, not an error; a failed name check is an error', () => {
    expect(portFindings(port({ TLSv1: 'accepted', 'TLSv1.2': 'accepted' }), RT).map((x) => [x.id, x.severity])).toEqual([['tls-legacy-versions', 'warning']]);
    expect(portFindings(port({ 'TLSv1.3': 'accepted' }, false), RT).map((x) => x.id)).toEqual(['tls-verification']);
    expect(portFindings(port({ 'TLSv1.2': 'accepted', 'TLSv1.3': 'accepted' }), RT)).toEqual([]);
  });

  it('one stdout line: accepted versions per port and the worst finding', () => {
    const p = { ...port({ TLSv1: 'accepted' }) };
    p.findings = portFindings(p, RT);
    expect(matrixLine({ runtime: RT, ports: [p], limits: { max_handshakes_per_port: 1, budget_ms_per_port: 1, concurrency: 1 }, skipped: null })).toBe('587: TLSv1 (this runtime offers TLSv1.2 TLSv1.3); tls-version-mismatch');
  });
});

describe('capture filter', () => {
  it('one clause per address and port, IPv4 and IPv6, names left out', () => {
    expect(captureFilter([{ address: '192.0.2.1', port: 587 }, { address: '2001:db8::1', port: 465 }, { address: '192.0.2.1', port: 587 }, { address: 'proxy.example', port: 3128 }])).toBe('(host 192.0.2.1 and tcp port 587) or (host 2001:db8::1 and tcp port 465)');
    expect(captureFilter([])).toBe('');
  });
});
