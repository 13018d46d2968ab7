// Schannel events from the System log, in the two shapes Windows gives them:
// `wevtutil qe System /f:text` ("Event[0]:" blocks of "  Label: value" lines, the message
// after "Description:") and PowerShell's `Get-WinEvent ... | ConvertTo-Json` (Windows
// PowerShell 5.1 writes dates as "\/Date(ms)\/").
import type { TlsEvent } from '../../schema/diagnose.js';

/** The XPath wevtutil takes: Schannel events newer than `sinceMs` milliseconds ago. */
export function schannelQuery(sinceMs: number): string {
  return `*[System[Provider[@Name='Schannel'] and TimeCreated[timediff(@SystemTime) <= ${Math.max(1, Math.round(sinceMs))}]]]`;
}

export function parseWevtutilText(text: string): TlsEvent[] {
  const out: TlsEvent[] = [];
  for (const block of text.split(/^Event\[\d+\]:\s*$/m).slice(1)) {
    const field = (label: string) => new RegExp(`^\\s*${label}:[ \\t]*(.*)$`, 'm').exec(block)?.[1]?.trim() || null;
    const desc = /^\s*Description:\s*\r?\n?([\s\S]*)$/m.exec(block)?.[1] ?? '';
    const id = field('Event ID');
    const date = field('Date');
    out.push({
      time: date ? normaliseDate(date) : null,
      id: id && /^\d+$/.test(id) ? Number(id) : null,
      level: field('Level'),
      source: field('Source'),
      message: desc.trim().replace(/\r?\n\s*\r?\n/g, '\n').replace(/\r/g, ''),
    });
  }
  return out;
}

/** wevtutil prints local time without a zone on older Windows, UTC with Z on newer. */
function normaliseDate(d: string): string {
  return d.replace(/(\.\d{3})\d*/, '$1');
}

export function parseGetWinEventJson(text: string): TlsEvent[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const data = JSON.parse(trimmed) as unknown;
  const list = (Array.isArray(data) ? data : [data]) as Array<Record<string, unknown>>;
  return list.map((e) => {
    const t = e.TimeCreated;
    let time: string | null = null;
    const ms = typeof t === 'string' ? /\/Date\((-?\d+)\)\//.exec(t)?.[1] : undefined;
    if (ms) time = new Date(Number(ms)).toISOString();
    else if (typeof t === 'string') time = t;
    else if (t && typeof t === 'object' && 'DateTime' in t) time = String((t as { DateTime: unknown }).DateTime);
    return {
      time,
      id: typeof e.Id === 'number' ? e.Id : null,
      level: typeof e.LevelDisplayName === 'string' ? e.LevelDisplayName : null,
      source: typeof e.ProviderName === 'string' ? e.ProviderName : null,
      message: typeof e.Message === 'string' ? e.Message.replace(/\r/g, '').trim() : '',
    };
  });
}

/** What the common Schannel event ids mean for a mail client. */
export const SCHANNEL_IDS: Record<number, string> = {
  36874: 'an incoming connection offered no TLS version or cipher the server allows',
  36871: 'a fatal error creating TLS client credentials (often a disabled protocol or a broken key store)',
  36882: 'the certificate received from the server was not valid (name mismatch or untrusted)',
  36885: 'the list of trusted roots sent to clients is too long',
  36887: 'a fatal alert was received from the peer (the alert code says which: 40 handshake failure, 46 certificate unknown, 70 protocol version, 80 internal error)',
  36888: 'this machine generated a fatal alert and ended the handshake',
};
