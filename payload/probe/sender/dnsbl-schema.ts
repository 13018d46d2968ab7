// The schema of dnsbl-zones.json: which blocklists the egress IP is checked against and
// what each of their answers means, with the page each meaning comes from.
import { z } from 'zod';

const Answer = z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'a 127.x.y.z answer');
export const DnsblZoneSchema = z.object({
  zone: z.string().regex(/^[a-z0-9.-]+$/),
  name: z.string(),
  source: z.string().url(),
  /** Answers that mean "listed", each with its meaning; an answer not here is listed with an unknown reason. */
  codes: z.record(Answer, z.string()),
  /** Answers that mean the list refused to answer (public resolver, over quota): not a listing. */
  refused: z.record(Answer, z.string()).default({}),
});
export const DnsblZonesSchema = z.object({ schema_version: z.literal(1), zones: z.array(DnsblZoneSchema).min(1) });
export type DnsblZone = z.infer<typeof DnsblZoneSchema>;
