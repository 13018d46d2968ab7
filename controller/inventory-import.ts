// `smtp-fleet inventory import --aa-devices FILE`: the Control Room's device list into the
// inventory. Loaded on its own (no Redis, no BullMQ): it only reads two files and writes one.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { MAX_AA_DEVICES_BYTES, AaDevicesError, parseAaDevices } from '../inventory/aa-devices.js';
import { DISCONNECTED_TAG, mergeDevices, type ImportPlan } from '../inventory/aa-import.js';
import { parseInventory, readInventoryText } from '../inventory/load.js';
import { errorCode, errorMessage } from '../payload/util/errors.js';
import { FLEET_EXIT } from './exit-codes.js';
import { jsonText } from '../payload/report/json-text.js';

export interface ImportFlags {
  aaDevices: string;
  dryRun?: boolean;
  json?: boolean;
  includeCreators?: boolean;
}

export async function inventoryImportCommand(inventory: string, f: ImportFlags): Promise<number> {
  const devices = parseAaDevices(await readDevices(f.aaDevices), f.aaDevices);
  const existing = existsSync(inventory) ? { text: await readInventoryText(inventory), file: inventory } : null;
  const { plan, text, changed } = mergeDevices(existing, devices.devices, { includeCreators: Boolean(f.includeCreators) });
  if (!existing && devices.devices.length === 0) throw new AaDevicesError(`${f.aaDevices}: lists no device, and ${inventory} does not exist: nothing to write`);

  const write = changed || !existing;
  if (write && !f.dryRun) await writeAtomically(inventory, text);
  if (f.json) process.stdout.write(jsonText({ inventory, format: devices.format, devices: devices.devices.length, dry_run: Boolean(f.dryRun), written: write && !f.dryRun, ...plan }));
  else process.stdout.write(planLines(plan, { inventory, dryRun: Boolean(f.dryRun), written: write && !f.dryRun, created: !existing, devices: devices.devices.length }).join('\n') + '\n');

  // The import may add hosts the inventory cannot resolve yet (no user or auth in defaults):
  // said now, rather than by the next sweep.
  try {
    parseInventory(text, inventory);
  } catch (err) {
    process.stderr.write(`smtp-fleet: note: ${f.dryRun ? 'the inventory would not load' : 'the inventory does not load'} until it is completed: ${errorMessage(err)}\n`);
  }
  return FLEET_EXIT.ok;
}

async function readDevices(path: string): Promise<string> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw Object.assign(new Error(), { code: 'not a file' });
    if (st.size > MAX_AA_DEVICES_BYTES) throw Object.assign(new Error(), { code: `larger than ${MAX_AA_DEVICES_BYTES} bytes` });
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new AaDevicesError(`${path}: cannot read the device list: ${errorCode(err) ?? 'unreadable'}`);
  }
}

/** Write beside, then rename: a crash or a full disk never leaves half an inventory. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const mode = existsSync(path) ? (await stat(path)).mode & 0o777 : 0o644;
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new AaDevicesError(`${path}: cannot write the inventory: ${errorCode(err) ?? errorMessage(err)}`);
  }
}

export function planLines(plan: ImportPlan, o: { inventory: string; dryRun: boolean; written: boolean; created: boolean; devices: number }): string[] {
  const L: string[] = [];
  for (const a of plan.added) {
    const how = [a.os ? `${a.os}${a.os_assumed ? ' (assumed: the export gives no OS)' : ''}` : 'os from defaults', a.transport ?? 'transport from defaults'].join(', ');
    L.push(`+ ${a.name}  ${a.address}  ${how}  ${a.status}`);
  }
  for (const u of plan.updated) L.push(`~ ${u.name}  ${u.changes.join('; ')}`);
  for (const d of plan.disconnected) L.push(`! ${d.name}  ${d.status} in the Control Room (tag ${DISCONNECTED_TAG})`);
  for (const m of plan.missing) L.push(`? ${m}  not in the Control Room export (kept)`);
  for (const s of plan.skipped) L.push(`- ${s}  matched but not edited (written as a YAML alias)`);
  for (const c of plan.creators) L.push(`- ${c}  a Bot Creator device: not added (--include-creators adds it)`);
  L.push(
    `${plan.added.length} added, ${plan.updated.length} updated, ${plan.disconnected.length} disconnected, ${plan.missing.length} missing from the Control Room, ${plan.unchanged.length} unchanged (${o.devices} devices read)`,
  );
  if (o.dryRun) L.push(`dry run: ${o.inventory} not ${o.created ? 'created' : 'written'}`);
  else L.push(o.written ? `${o.created ? 'created' : 'updated'} ${o.inventory}` : `${o.inventory} already up to date`);
  return L;
}
