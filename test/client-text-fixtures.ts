// The texts real mail clients printed against the lab (test/client-texts.lab.test.ts), kept
// in test/fixtures/client-texts.json so the unit suite reads them without running a client.
// This schema is the file's single source of truth; bump `version` on an incompatible change.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CLASSES } from '../payload/classify/classes.js';

export const CLIENT_TEXTS_VERSION = 1 as const;
export const CLIENT_TEXTS_FILE = new URL('./fixtures/client-texts.json', import.meta.url).pathname;

export const ClientTextSchema = z.strictObject({
  client: z.string().min(1).describe('the client as test/client-texts.lab.test.ts names it, e.g. javamail'),
  client_version: z.string().min(1).describe('the client (and runtime) version that printed the text'),
  scenario: z.string().min(1).describe('the lab scenario id (test/client-text-scenarios.ts)'),
  text: z.string().min(1).describe('stdout and stderr as the client printed them'),
  class: z.enum(CLASSES).describe('the class `smtp-probe explain` must give the text'),
  evidence: z.string().min(1).describe('the line `explain` quotes as its evidence'),
  captured: z.iso.date().describe('the day the text was captured (UTC)'),
});
export type ClientText = z.infer<typeof ClientTextSchema>;

export const ClientTextsFileSchema = z.strictObject({
  version: z.literal(CLIENT_TEXTS_VERSION),
  texts: z.array(ClientTextSchema),
});
export type ClientTextsFile = z.infer<typeof ClientTextsFileSchema>;

export function readClientTexts(path = CLIENT_TEXTS_FILE): ClientTextsFile {
  return ClientTextsFileSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}
