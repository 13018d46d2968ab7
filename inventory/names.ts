// Names the user typed that match nothing, said with the closest known one. Apart from
// load.ts so that selecting hosts (which the store's schemas reach) does not load the YAML
// parser: `smtp-fleet history` and the report never read an inventory file.
/** `unknown host "rnr-01" (did you mean "runner-01"?)`, the suggestion only when one is close. */
export function unknownName(what: string, name: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  const close = best !== null && bestD <= Math.max(2, Math.floor(name.length / 3));
  return `unknown ${what} "${name}"${close ? ` (did you mean "${best}"?)` : known.length ? ` (known: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''})` : ''}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
