// Automation Anywhere context: what the bot was doing (activity, run id, Control Room),
// its configured server/port/SSL mode, and its logs from the bot agent's documented folder
// or --aa-logs, limited to the time window and a total size cap, newest first.
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { AaDataSchema } from '../../schema/diagnose.js';
import type { z } from 'zod';
import { errorCode } from '../../util/errors.js';
import type { Collector } from '../collector.js';
import { expandGlob } from '../glob.js';
import { lastBotError, readingOf, type BotErrorFound } from '../bot-error.js';

type Data = z.infer<typeof AaDataSchema>;

// Leading timestamps of common log layouts: ISO (log4j, logback), with a comma or dot before millis.
const STAMP = /^\[?(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,6}))?\s*(Z|[+-]\d{2}:?\d{2})?/;

/** Lines older than `since` are dropped; a line without a timestamp follows the line before it. */
export function trimToWindow(text: string, since: Date): { text: string; dropped: number } {
  let keep = true;
  let dropped = 0;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = STAMP.exec(line);
    if (m) {
      // Without a zone, log4j writes local time, as Date.parse reads it.
      const t = Date.parse(`${m[1]}T${m[2]}${m[3] ? `.${m[3].slice(0, 3)}` : ''}${m[4] ? m[4].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : ''}`);
      if (!Number.isNaN(t)) keep = t >= since.getTime();
    }
    if (keep) out.push(line);
    else dropped++;
  }
  return { text: out.join('\n'), dropped };
}

/** How much of a log is read before the kept tail, so a line cut by the cap is redacted whole. */
export const TAIL_MARGIN = 64 * 1024;

/**
 * The newest `bytes` of a file and up to `margin` bytes before them, from the first whole line
 * (unless the read has no line break): bounded, and the line the cap will cut is read whole,
 * so redaction sees `password=...` before the cut can leave `word=...` or the bare value.
 */
export function readTail(path: string, size: number, bytes: number, margin = TAIL_MARGIN): Buffer {
  const n = Math.min(size, bytes + margin);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  if (n < size) {
    const nl = buf.indexOf(0x0a);
    if (nl >= 0 && nl < n - 1) return buf.subarray(nl + 1);
  }
  return buf;
}

export const aaCollector: Collector<Data> = {
  name: 'aa',
  file: 'aa_context.json',
  data: AaDataSchema,
  async run(ctx, rec) {
    const aa = ctx.diag.aa;
    const cfg = aa.config;
    const data: Data = {
      activity: aa.activity,
      run_id: aa.runId,
      aa_host: aa.host,
      config_file: cfg?.path ?? null,
      configured: { server: cfg?.server ?? null, port: cfg?.port ?? null, ssl_mode: cfg?.sslMode ?? null, user: cfg?.user ?? null },
      log_globs: aa.logGlobs,
      since: ctx.diag.since.toISOString(),
      logs: [],
      cap_bytes: aa.capBytes,
      bot_error: null,
    };
    if (cfg) rec.source(`file ${cfg.path} (--aa-config)`, true, null, rec.keep('raw/aa_config.txt', cfg.raw));
    if (!aa.logGlobs.length) {
      rec.note(`No documented AA log folder on ${ctx.platform}; pass --aa-logs GLOB to include the bot's logs.`);
      return data;
    }
    const found: Array<{ path: string; size: number; mtime: Date }> = [];
    for (const g of aa.logGlobs) {
      const files = expandGlob(g, ctx.platform);
      rec.source(`AA logs ${g}`, files.length > 0 || !aa.logGlobsGiven, files.length ? null : 'no file matches');
      for (const path of files) {
        if (found.some((f) => f.path === path)) continue;
        try {
          const st = statSync(path);
          found.push({ path, size: st.size, mtime: st.mtime });
        } catch (err) {
          data.logs.push({ path, file: null, size: 0, mtime: new Date(0).toISOString(), kept_bytes: 0, skipped: errorCode(err) === 'EACCES' ? 'permission denied' : 'unreadable' });
        }
      }
    }
    found.sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
    let room = aa.capBytes;
    const names = new Set<string>();
    const botErrors: BotErrorFound[] = [];
    for (const f of found) {
      const entry = { path: f.path, file: null as string | null, size: f.size, mtime: f.mtime.toISOString(), kept_bytes: 0, skipped: null as string | null };
      data.logs.push(entry);
      if (f.mtime < ctx.diag.since) {
        entry.skipped = `last written before --since (${ctx.diag.sinceText})`;
        continue;
      }
      if (room <= 0) {
        entry.skipped = `size cap reached (${aa.capBytes} bytes, --aa-logs-max)`;
        continue;
      }
      try {
        const tail = readTail(f.path, f.size, room);
        const { text, dropped } = trimToWindow(tail.toString('latin1'), ctx.diag.since);
        let name = `aa_logs/${basename(f.path).replace(/[^\w.-]/g, '_')}`;
        for (let i = 2; names.has(name); i++) name = `aa_logs/${i}_${basename(f.path).replace(/[^\w.-]/g, '_')}`;
        names.add(name);
        const kept = Buffer.from(text, 'latin1');
        // Redacted whole, then cut to the room left (at a line start).
        entry.file = rec.keep(name, kept, true, room);
        entry.kept_bytes = Math.min(kept.length, rec.files.at(-1)!.data.length);
        // The bot's own error is read from the copy as written: redacted, so nothing the
        // redactor masked can reach aa_context.json or report.md.
        const err = lastBotError(rec.files.at(-1)!.data.toString('latin1'), name, aa.activity);
        if (err) botErrors.push(err);
        const cut = tail.length < f.size || kept.length > room;
        room -= entry.kept_bytes;
        if (cut || dropped) rec.note(`${basename(f.path)}: kept the newest ${entry.kept_bytes} of ${f.size} bytes (window --since ${ctx.diag.sinceText}, caps).`);
      } catch (err) {
        entry.skipped = errorCode(err) === 'EACCES' ? 'permission denied' : `unreadable (${errorCode(err) ?? 'error'})`;
        rec.source(`file ${f.path}`, false, entry.skipped);
      }
    }
    // Files are read newest first; the latest stamped error across them wins (a stamp-less one only if no other).
    const last = botErrors.reduce<BotErrorFound | null>((best, e) => (!best || (e.at !== null && (best.at === null || e.at > best.at)) ? e : best), null);
    if (last) {
      const v = ctx.probe.summary.verdict;
      data.bot_error = { ...last, probe_class: v.class, reading: readingOf(last.class, v.class, v.hint_id) };
      rec.note(`The bot's last mail error (${last.file}${last.at ? `, ${last.at}` : ''}): ${last.class} (${last.rule ?? 'no rule'}).`);
    }
    if (!found.length && !aa.logGlobsGiven) rec.note(`No AA bot agent logs at the documented location (${aa.logGlobs.join(', ')}).`);
    return data;
  },
};
