// `reg query KEY [/s]` output: a key path line, then "    Name    REG_TYPE    Data" lines
// (four-space separators; the name may hold spaces, the default value is "(Default)").

export interface RegValue {
  key: string;
  name: string;
  type: string;
  data: string;
}

export function parseRegQuery(text: string): RegValue[] {
  const out: RegValue[] = [];
  let key = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (/^HKEY_/i.test(line)) {
      key = line.trim();
      continue;
    }
    const m = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line);
    if (m && key) out.push({ key, name: m[1]!, type: m[2]!, data: m[3] ?? '' });
  }
  return out;
}

/** A REG_DWORD's number: reg prints `0x1`. */
export function dword(v: RegValue | undefined): number | null {
  if (!v || v.type !== 'REG_DWORD') return null;
  const n = Number.parseInt(v.data, 16);
  return Number.isNaN(n) ? null : n;
}

/**
 * The flags of WinINET's DefaultConnectionSettings (REG_BINARY, hex): byte 8 holds
 * 0x01 direct, 0x02 manual proxy, 0x04 auto-config URL (PAC), 0x08 auto-detect (WPAD).
 */
export function connectionFlags(hex: string): { direct: boolean; proxy: boolean; pac: boolean; autoDetect: boolean } | null {
  const clean = hex.replace(/\s+/g, '');
  if (!/^[0-9a-f]+$/i.test(clean) || clean.length < 18) return null;
  const flags = Number.parseInt(clean.slice(16, 18), 16);
  return { direct: !!(flags & 1), proxy: !!(flags & 2), pac: !!(flags & 4), autoDetect: !!(flags & 8) };
}
