// The PowerShell scripts diagnose runs on Windows live as files in ./scripts/. From the
// compiled tree they are read beside this module; the runner bundle has them inlined by
// packaging/build-payload.ts, which replaces this module (the payload ships as one file).
import { readFileSync } from 'node:fs';

export type DiagnoseScript = 'schannel-events.ps1' | 'dotnet-tls.ps1';

export function diagnoseScript(name: DiagnoseScript): string {
  return readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8');
}
