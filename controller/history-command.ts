// `smtp-fleet history [HOST]`, kept apart from commands.ts: it needs the store and the
// history index, not BullMQ and the transports, so it starts in a fraction of the time.
import { HostNameSchema } from '../inventory/schema.js';
import { parseSince } from '../payload/diagnose/options.js';
import { errorMessage } from '../payload/util/errors.js';
import { FleetError } from '../queue/errors.js';
import { Store } from '../store/store.js';
import type { Globals } from './commands.js';
import { FLEET_EXIT } from './exit-codes.js';
import { jsonText } from '../payload/report/json-text.js';

export interface HistoryFlags {
  since: string;
  json?: boolean;
  reindex?: boolean;
}

/** `smtp-fleet history [HOST]`: read from the history index, synced with the store's files first. */
export async function historyCommand(g: Globals, host: string | undefined, f: HistoryFlags): Promise<number> {
  if (host !== undefined) {
    const r = HostNameSchema.safeParse(host);
    if (!r.success) throw new FleetError('usage', `invalid host name ${JSON.stringify(host)}: ${r.error.issues[0]!.message}`);
  }
  let sinceT: number;
  try {
    sinceT = parseSince(f.since).getTime();
  } catch (err) {
    throw new FleetError('usage', errorMessage(err));
  }
  const store = await Store.open(g.store);
  // Loaded here: the native SQLite module is this command's alone.
  const { HistoryIndex } = await import('../store/history-index.js');
  const { fleetHistory, hostHistory } = await import('../store/history.js');
  const { fleetHistoryText, hostHistoryText } = await import('./history-text.js');
  if (f.reindex) HistoryIndex.remove(store.root);
  const ix = HistoryIndex.open(store.root);
  try {
    ix.sync();
    if (host === undefined) {
      const h = fleetHistory(ix, sinceT);
      process.stdout.write(f.json ? jsonText(h) : fleetHistoryText(h));
      return FLEET_EXIT.ok;
    }
    const h = hostHistory(ix, host, sinceT);
    if (!h) throw new FleetError('not-found', `no result of host ${host} in the store ${store.root}`);
    process.stdout.write(f.json ? jsonText(h) : hostHistoryText(h));
    return FLEET_EXIT.ok;
  } finally {
    ix.close();
  }
}
