// `netsh winhttp show proxy`: the machine-wide WinHTTP proxy that services (and bot agents
// running as services) use, independent of the user's browser settings.

export interface WinHttpProxy {
  direct: boolean;
  proxyServer: string | null;
  bypassList: string | null;
}

export function parseNetshWinhttp(text: string): WinHttpProxy {
  const server = /Proxy Server\(s\)\s*:\s*(.+)/i.exec(text)?.[1]?.trim() ?? null;
  const bypass = /Bypass List\s*:\s*(.+)/i.exec(text)?.[1]?.trim() ?? null;
  const direct = /Direct access \(no proxy server\)/i.test(text) || !server;
  if (!direct && !server) throw new Error('unrecognised netsh winhttp output');
  return { direct, proxyServer: direct ? null : server, bypassList: direct ? null : bypass && bypass !== '(none)' ? bypass : null };
}
