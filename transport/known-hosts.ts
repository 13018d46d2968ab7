// OpenSSH known_hosts, read the way ssh(1) reads it: plain names, [host]:port, comma lists,
// negations, wildcards and hashed |1|salt|hash names. @cert-authority lines are skipped (we
// do not do host certificates) and @revoked keys are refused outright. Hand-written: the
// format is small and the npm parsers we looked at skip hashed names or markers.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostLine {
  /** 1-based line number, for messages that send the operator to the right line. */
  line: number;
  revoked: boolean;
  /** The host field as written (comma list, possibly hashed). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'known'; line: number }
  | { kind: 'unknown' }
  | { kind: 'revoked'; line: number }
  | { kind: 'mismatch'; lines: number[]; knownFingerprints: string[] };

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let revoked = false;
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') revoked = true;
      else return; // @cert-authority and anything newer
      fields.shift();
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) return;
    out.push({ line: i + 1, revoked, hosts, keyType, key: Buffer.from(b64, 'base64') });
  });
  return out;
}

/** The name ssh(1) looks up and writes: the bare host on port 22, `[host]:port` otherwise. */
export function hostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** Does one host field (comma list, `!` negations, `*`/`?` wildcards, hashed) name this host? */
export function hostFieldMatches(field: string, address: string, port: number): boolean {
  const name = hostName(address, port);
  // ssh(1) hashes the lowercased name, as it compares plain names without case.
  if (field.startsWith('|1|')) return hashedMatches(field, name.toLowerCase());
  let hit = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (!globMatches(p.toLowerCase(), name.toLowerCase())) continue;
    if (negated) return false;
    hit = true;
  }
  return hit;
}

function hashedMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (!salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

function globMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** SHA256:base64 without padding, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type inside an SSH wire-format public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

/** The entries that name this host, in file order. */
export function linesFor(lines: KnownHostLine[], address: string, port: number): KnownHostLine[] {
  return lines.filter((l) => hostFieldMatches(l.hosts, address, port));
}

/**
 * Judges a presented host key. A revoked key is refused wherever it appears; a host with
 * entries none of which is this key is a mismatch, whatever the key type (the caller
 * prefers the known types, so a different type here is as suspicious as a different key).
 */
export function judgeHostKey(lines: KnownHostLine[], address: string, port: number, key: Buffer): HostKeyVerdict {
  const revoked = lines.find((l) => l.revoked && l.key.equals(key));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const mine = linesFor(lines, address, port).filter((l) => !l.revoked);
  const same = mine.find((l) => l.key.equals(key));
  if (same) return { kind: 'known', line: same.line };
  if (mine.length === 0) return { kind: 'unknown' };
  return { kind: 'mismatch', lines: mine.map((l) => l.line), knownFingerprints: mine.map((l) => fingerprint(l.key)) };
}

export function readKnownHosts(path: string): KnownHostLine[] {
  return existsSync(path) ? parseKnownHosts(readFileSync(path, 'utf8')) : [];
}

/** The line --accept-new appends: plain (not hashed) so an operator can read and prune it. */
export function knownHostsLine(address: string, port: number, key: Buffer): string {
  return `${hostName(address, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}

/**
 * Appends one line in a single O_APPEND write, so workers accepting different hosts at
 * once do not interleave; starts a new line if the file does not end with one.
 */
export function appendKnownHost(path: string, address: string, port: number, key: Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  appendFileSync(path, `${sep}${knownHostsLine(address, port, key)}\n`, { mode: 0o600 });
}
