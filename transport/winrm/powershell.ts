// Every line of PowerShell the WinRM transport sends lives here, so it can be read and
// reviewed as scripts. Windows PowerShell 5.1 only: no ternaries, no ?? or ::new() idioms
// beyond what 5.1 has. Each script starts with a "# smtp-probe/NAME" line and takes its
// parameters as plain assignments right below it, which also lets the test endpoint
// recognise our own scripts (see test/lab/winrm-standin.ts).

/** cmd.exe refuses command lines past 8191 characters; keep a margin for the executable name. */
export const MAX_COMMAND_LINE = 8000;

/** Quotes a value as a PowerShell single-quoted string (typographic quotes count as quotes too). */
export function psQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

// Keeps progress bars (rendered as CLIXML on stderr) out of command output.
export const PRELUDE = "$ProgressPreference = 'SilentlyContinue'\n";

/** The powershell.exe arguments that run `script`, or null when they would pass cmd.exe's limit. */
export function encodedArgs(script: string): string | null {
  const args = `-NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${Buffer.from(PRELUDE + script, 'utf16le').toString('base64')}`;
  return args.length + 'powershell.exe '.length > MAX_COMMAND_LINE ? null : args;
}

export const POWERSHELL = 'powershell.exe';

/**
 * Runs a script too long for a command line: stdin's first line is the script (base64 of
 * UTF-8), read byte by byte from the raw stream so that nothing after it is buffered away:
 * the rest of stdin (a password line) is left for the script.
 */
export const STDIN_SCRIPT = `# smtp-probe/stdin-script v2: runs the script on stdin's first line (base64 of UTF-8); the rest of stdin is its input
$in = [Console]::OpenStandardInput()
$line = New-Object IO.MemoryStream
while (($b = $in.ReadByte()) -ge 0 -and $b -ne 10) { $line.WriteByte($b) }
$text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Text.Encoding]::ASCII.GetString($line.ToArray()).Trim()))
& ([ScriptBlock]::Create($text))
`;

/**
 * Receives a file as base64 lines on stdin ending with a "." line, into a temp name next
 * to Dest; checks sha256, then moves it into place. Prints "ok BYTES SHA256".
 */
export function uploadScript(dest: string, sha256: string): string {
  return `# smtp-probe/upload v1: base64 lines on stdin -> temp file -> sha256 check -> rename
$Dest = ${psQuote(dest)}
$Sha256 = ${psQuote(sha256.toLowerCase())}
$ErrorActionPreference = 'Stop'
[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($Dest))
$tmp = $Dest + '.part-' + [Guid]::NewGuid().ToString('N')
$out = [IO.File]::Create($tmp)
$hash = [Security.Cryptography.SHA256]::Create()
$n = 0
try {
  while ($true) {
    $line = [Console]::In.ReadLine()
    if ($line -eq $null -or $line -eq '.') { break }
    $bytes = [Convert]::FromBase64String($line)
    $out.Write($bytes, 0, $bytes.Length)
    [void]$hash.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
    $n += $bytes.Length
  }
  $out.Close()
  if ($line -ne '.') { throw 'upload: stdin ended before the end marker' }
  [void]$hash.TransformFinalBlock([byte[]]@(), 0, 0)
  $got = -join ($hash.Hash | ForEach-Object { $_.ToString('x2') })
  if ($got -ne $Sha256) { throw "upload: sha256 mismatch: expected $Sha256, got $got" }
  if (Test-Path -LiteralPath $Dest) { [IO.File]::Replace($tmp, $Dest, [NullString]::Value) } else { [IO.File]::Move($tmp, $Dest) }
  "ok $n $got"
} catch {
  $out.Dispose()
  Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
  [Console]::Error.WriteLine($_.Exception.Message)
  exit 1
}
`;
}

/** Exit code of the download script when the file is larger than allowed. */
export const DOWNLOAD_TOO_LARGE = 3;

/** Prints "BYTES SHA256", then the file as base64 lines; refuses files over MaxBytes. */
export function downloadScript(path: string, maxBytes: number): string {
  return `# smtp-probe/download v1: "BYTES SHA256" line, then the file as base64 lines
$Path = ${psQuote(path)}
$MaxBytes = ${Math.floor(maxBytes)}
try { $in = [IO.File]::OpenRead($Path) } catch { [Console]::Error.WriteLine("download: $($_.Exception.Message)"); exit 2 }
if ($in.Length -gt $MaxBytes) { [Console]::Error.WriteLine("too-large $($in.Length)"); exit ${DOWNLOAD_TOO_LARGE} }
$sum = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($in) | ForEach-Object { $_.ToString('x2') })
[void]$in.Seek(0, 'Begin')
[Console]::Out.WriteLine("$($in.Length) $sum")
$buf = New-Object byte[] 49152
while (($n = $in.Read($buf, 0, $buf.Length)) -gt 0) { [Console]::Out.WriteLine([Convert]::ToBase64String($buf, 0, $n)) }
$in.Close()
`;
}

/**
 * The naive way, kept only as the benchmark's baseline: one powershell.exe per chunk,
 * appending the base64 chunk it reads from stdin.
 */
export function appendChunkScript(path: string): string {
  return `# smtp-probe/append-chunk v1: appends the base64 chunk on stdin to Path (benchmark baseline)
$Path = ${psQuote(path)}
$bytes = [Convert]::FromBase64String([Console]::In.ReadToEnd())
$f = [IO.File]::Open($Path, 'Append')
$f.Write($bytes, 0, $bytes.Length)
$f.Close()
`;
}

/**
 * powershell.exe writes errors to a redirected stderr as CLIXML ("#< CLIXML" then <Objs>);
 * this turns that into the plain lines a user expects, and leaves other text alone.
 */
export function readableStderr(text: string): string {
  if (!text.startsWith('#< CLIXML')) return text;
  const lines = [...text.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((m) =>
    m[1]!
      .replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
  return lines.join('');
}
