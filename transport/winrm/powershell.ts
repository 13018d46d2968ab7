// What the WinRM transport needs to know of powershell.exe beyond the scripts themselves
// (transport/scripts/): its download exit code and the CLIXML it writes to a redirected stderr.

/** Exit code of download.ps1 when the file is larger than allowed. */
export const DOWNLOAD_TOO_LARGE = 3;

/**
 * powershell.exe writes errors to a redirected stderr as CLIXML ("#< CLIXML" then <Objs>);
 * this turns that into the plain lines a user expects, and leaves other text alone.
 */
export function readableStderr(text: string): string {
  if (!text.startsWith('#< CLIXML')) return stripAnsi(text);
  const lines = [...text.matchAll(/<S S="Error">([\s\S]*?)<\/S>/g)].map((m) =>
    m[1]!
      .replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
  return stripAnsi(lines.join(''));
}

// PowerShell 7 colours its error text with ANSI sequences even when redirected.
function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
