// JUnit XML, the shape Jenkins' junit step and GitLab's `artifacts:reports:junit` read:
// testsuites > testsuite > (properties, testcase*, system-out), testcase > failure | error |
// skipped, system-out. Shared by `smtp-probe probe --junit` and `smtp-fleet sweep --junit`.
import { xmlAttrs, xmlText } from './xml.js';

export interface JunitOutcome {
  /** failure: the thing tested is broken; error: it could not be tested; skipped: not run. */
  kind: 'failure' | 'error' | 'skipped';
  type: string;
  message: string;
  body: string;
}

export interface JunitCase {
  classname: string;
  name: string;
  seconds: number;
  outcome: JunitOutcome | null;
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  /** Written in UTC without a zone, as Ant's formatter does (and the common XSDs' pattern wants). */
  timestamp: Date;
  hostname: string;
  seconds: number;
  properties: Array<[string, string]>;
  cases: JunitCase[];
  systemOut?: string;
}

/** Seconds with millisecond precision: the Surefire/Ant time format. */
export const junitSeconds = (seconds: number): string => Math.max(0, seconds).toFixed(3);

const junitTimestamp = (d: Date): string => d.toISOString().slice(0, 19);

function tally(cases: JunitCase[]) {
  const n = (kind: JunitOutcome['kind']) => cases.filter((c) => c.outcome?.kind === kind).length;
  return { tests: cases.length, failures: n('failure'), errors: n('error'), skipped: n('skipped') };
}

function renderCase(c: JunitCase): string {
  const head = `    <testcase${xmlAttrs({ classname: c.classname, name: c.name, time: junitSeconds(c.seconds) })}`;
  const parts: string[] = [];
  if (c.outcome) parts.push(`      <${c.outcome.kind}${xmlAttrs({ type: c.outcome.type, message: c.outcome.message })}>${xmlText(c.outcome.body)}</${c.outcome.kind}>`);
  if (c.systemOut) parts.push(`      <system-out>${xmlText(c.systemOut)}</system-out>`);
  return parts.length ? `${head}>\n${parts.join('\n')}\n    </testcase>` : `${head}/>`;
}

function renderSuite(s: JunitSuite, id: number): string {
  const t = tally(s.cases);
  const lines = [
    `  <testsuite${xmlAttrs({ name: s.name, tests: t.tests, failures: t.failures, errors: t.errors, skipped: t.skipped, time: junitSeconds(s.seconds), timestamp: junitTimestamp(s.timestamp), hostname: s.hostname || 'localhost', id })}>`,
  ];
  if (s.properties.length) {
    lines.push('    <properties>', ...s.properties.map(([name, value]) => `      <property${xmlAttrs({ name, value })}/>`), '    </properties>');
  }
  lines.push(...s.cases.map(renderCase));
  if (s.systemOut) lines.push(`    <system-out>${xmlText(s.systemOut)}</system-out>`);
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function renderJunit(name: string, suites: JunitSuite[]): string {
  const all = suites.flatMap((s) => s.cases);
  const t = tally(all);
  const seconds = suites.reduce((sum, s) => sum + s.seconds, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttrs({ name, tests: t.tests, failures: t.failures, errors: t.errors, time: junitSeconds(seconds) })}>`,
    ...suites.map(renderSuite),
    '</testsuites>',
    '',
  ].join('\n');
}
