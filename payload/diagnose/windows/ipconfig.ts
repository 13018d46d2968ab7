// `ipconfig /all` as Windows prints it (English UI): a global block, then one block per
// adapter. Fields are "Label . . . . : value"; a value that continues on the next lines
// (DNS servers, search list, gateways) is indented there with no label.

export interface IpconfigAdapter {
  name: string;
  description: string | null;
  mediaDisconnected: boolean;
  mac: string | null;
  dnsSuffix: string | null;
  ipv4: Array<{ address: string; mask: string | null }>;
  ipv6: string[];
  gateways: string[];
  dnsServers: string[];
  dhcp: boolean | null;
}

export interface Ipconfig {
  hostName: string | null;
  primaryDnsSuffix: string | null;
  searchList: string[];
  adapters: IpconfigAdapter[];
}

/** "fe80::1%12(Preferred)" -> "fe80::1"; "10.0.0.5(Preferred)" -> "10.0.0.5". */
function cleanAddress(v: string): string {
  return v.replace(/\((Preferred|Deprecated|Tentative|Duplicate)\)/i, '').replace(/%\d+$/, '').trim();
}

export function parseIpconfig(text: string): Ipconfig {
  const out: Ipconfig = { hostName: null, primaryDnsSuffix: null, searchList: [], adapters: [] };
  let adapter: IpconfigAdapter | null = null;
  let field: string | null = null;
  const values = (key: string): string[] | null => {
    if (!adapter) return key === 'dns suffix search list' ? out.searchList : null;
    if (key === 'dns servers') return adapter.dnsServers;
    if (key === 'default gateway') return adapter.gateways;
    return null;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    if (!line.trim()) continue;
    const head = /^(\S.*?) adapter (.+):$/.exec(line);
    if (head) {
      adapter = { name: head[2]!, description: null, mediaDisconnected: false, mac: null, dnsSuffix: null, ipv4: [], ipv6: [], gateways: [], dnsServers: [], dhcp: null };
      out.adapters.push(adapter);
      field = null;
      continue;
    }
    if (/^Windows IP Configuration/i.test(line)) continue;
    const kv = /^\s+([^.:][^:]*?)[\s.]*:\s?(.*)$/.exec(line);
    if (kv && / \. |\.\s*$|\.{2}/.test(line.slice(0, line.indexOf(':') + 1))) {
      field = kv[1]!.trim().toLowerCase();
      const v = kv[2]!.trim();
      apply(field, v);
      continue;
    }
    // A continuation line: only a value, deep indented under the previous field.
    if (field && /^\s{20,}\S/.test(line)) {
      const list = values(field);
      if (list) list.push(cleanAddress(line.trim()));
    }
  }
  return out;

  function apply(key: string, v: string): void {
    if (!adapter) {
      if (key === 'host name') out.hostName = v || null;
      else if (key === 'primary dns suffix') out.primaryDnsSuffix = v || null;
      else if (key === 'dns suffix search list' && v) out.searchList.push(v);
      return;
    }
    const a = adapter;
    switch (key) {
      case 'media state':
        a.mediaDisconnected = /disconnected/i.test(v);
        break;
      case 'description':
        a.description = v || null;
        break;
      case 'physical address':
        a.mac = v || null;
        break;
      case 'connection-specific dns suffix':
        a.dnsSuffix = v || null;
        break;
      case 'dhcp enabled':
        a.dhcp = /^yes/i.test(v);
        break;
      case 'ipv4 address':
      case 'autoconfiguration ipv4 address':
        if (v) a.ipv4.push({ address: cleanAddress(v), mask: null });
        break;
      case 'subnet mask':
        if (a.ipv4.length) a.ipv4[a.ipv4.length - 1]!.mask = v;
        break;
      case 'ipv6 address':
      case 'temporary ipv6 address':
      case 'link-local ipv6 address':
        if (v) a.ipv6.push(cleanAddress(v));
        break;
      case 'default gateway':
        if (v) a.gateways.push(cleanAddress(v));
        break;
      case 'dns servers':
        if (v) a.dnsServers.push(cleanAddress(v));
        break;
    }
  }
}
