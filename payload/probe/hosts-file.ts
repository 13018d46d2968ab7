// Hosts-file entries for the target: the override most often forgotten on a runner.
import { readFileSync } from 'node:fs';
import { errorCode } from '../util/errors.js';
import { ipFamily } from '../util/ip-family.js';

export const DEFAULT_HOSTS_FILE = process.platform === 'win32' ? `${process.env.SystemRoot ?? 'C:\\Windows'}\\System32\\drivers\\etc\\hosts` : '/etc/hosts';

export interface HostsEntry {
  line: number;
  address: string;
  family: 4 | 6;
}

export interface HostsLookup {
  path: string;
  entries: HostsEntry[];
  error: string | null;
}

export function hostsEntries(path: string, host: string): HostsLookup {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { path, entries: [], error: errorCode(err) ?? 'unreadable' };
  }
  const want = host.toLowerCase().replace(/\.$/, '');
  const entries: HostsEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const [address, ...names] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const family = address ? ipFamily(address) : 0;
    if (family && names.some((n) => n.toLowerCase().replace(/\.$/, '') === want)) entries.push({ line: i + 1, address: address!, family: family as 4 | 6 });
  });
  return { path, entries, error: null };
}
