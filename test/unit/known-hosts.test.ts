// known_hosts matching as ssh(1) does it; the real-file cases (hashed by ssh-keygen, written
// by --accept-new and read back by ssh-keygen -F) are in test/ssh.lab.test.ts.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostFieldMatches, judgeHostKey, knownHostsLine, parseKnownHosts } from '../../transport/known-hosts.js';

function key(type: string, body: string): Buffer {
  const t = Buffer.from(type);
  const b = Buffer.from(body);
  const len = (n: number) => Buffer.from([0, 0, 0, n]);
  return Buffer.concat([len(t.length), t, len(b.length), b]);
}

const K1 = key('ssh-ed25519', 'one');
const K2 = key('ssh-ed25519', 'two');
const b64 = (k: Buffer) => k.toString('base64');

describe('known_hosts', () => {
  it('names a host the way ssh(1) does: bare on port 22, [host]:port otherwise', () => {
    expect(hostFieldMatches('10.0.0.5', '10.0.0.5', 22)).toBe(true);
    expect(hostFieldMatches('10.0.0.5', '10.0.0.5', 2222)).toBe(false);
    expect(hostFieldMatches('[10.0.0.5]:2222', '10.0.0.5', 2222)).toBe(true);
    expect(hostFieldMatches('[10.0.0.5]:2222', '10.0.0.5', 22)).toBe(false);
    expect(knownHostsLine('10.0.0.5', 22, K1)).toBe(`10.0.0.5 ssh-ed25519 ${b64(K1)}`);
  });

  it('reads comma lists, wildcards and negations, case-insensitively', () => {
    expect(hostFieldMatches('runner1,RUNNER2,10.0.0.9', 'runner2', 22)).toBe(true);
    expect(hostFieldMatches('runner?.corp', 'runner7.corp', 22)).toBe(true);
    expect(hostFieldMatches('*.corp,!bad.corp', 'bad.corp', 22)).toBe(false);
    expect(hostFieldMatches('*.corp,!bad.corp', 'good.corp', 22)).toBe(true);
    expect(hostFieldMatches('runner.corp', 'runnerxcorp', 22)).toBe(false);
  });

  it('matches hashed names by HMAC-SHA1 of the looked-up name', () => {
    const salt = Buffer.from('0123456789abcdef0123');
    const hash = createHmac('sha1', salt).update('[10.1.1.1]:2200').digest('base64');
    const field = `|1|${salt.toString('base64')}|${hash}`;
    expect(hostFieldMatches(field, '10.1.1.1', 2200)).toBe(true);
    expect(hostFieldMatches(field, '10.1.1.1', 22)).toBe(false);
  });

  it('matches a hashed name whatever the case of the address, as ssh(1) does', () => {
    const salt = Buffer.from('fedcba98765432100123');
    const field = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[localhost]:2222').digest('base64')}`;
    expect(hostFieldMatches(field, 'LOCALHOST', 2222)).toBe(true);
    expect(hostFieldMatches(field, 'LocalHost', 2222)).toBe(true);
    expect(hostFieldMatches(field, 'localhost', 2222)).toBe(true);
  });

  it('skips comments and @cert-authority lines, keeps line numbers, and judges keys', () => {
    const text = [
      '# fleet hosts',
      `@cert-authority *.corp ssh-ed25519 ${b64(K2)}`,
      '',
      `[h1]:2222 ssh-ed25519 ${b64(K1)}`,
      `@revoked * ssh-ed25519 ${b64(K2)}`,
    ].join('\n');
    const lines = parseKnownHosts(text);
    expect(lines.map((l) => [l.line, l.revoked])).toEqual([
      [4, false],
      [5, true],
    ]);
    expect(judgeHostKey(lines, 'h1', 2222, K1)).toEqual({ kind: 'known', line: 4 });
    expect(judgeHostKey(lines, 'h2', 2222, K1)).toEqual({ kind: 'unknown' });
    // A CA line is no reason to trust anything: h9.corp is unknown, not known.
    expect(judgeHostKey(parseKnownHosts(`@cert-authority *.corp ssh-ed25519 ${b64(K1)}`), 'h9.corp', 22, K1)).toEqual({ kind: 'unknown' });
    expect(judgeHostKey(lines, 'h2', 22, K2)).toEqual({ kind: 'revoked', line: 5 });
    expect(judgeHostKey(lines, 'h1', 2222, key('ssh-ed25519', 'three'))).toEqual({ kind: 'mismatch', lines: [4], knownFingerprints: [fingerprint(K1)] });
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    const expected = 'SHA256:' + createHash('sha256').update(K1).digest('base64').replace(/=+$/, '');
    expect(fingerprint(K1)).toBe(expected);
    expect(fingerprint(K1)).not.toContain('=');
  });
});
