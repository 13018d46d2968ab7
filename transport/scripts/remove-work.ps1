# smtp-probe/remove-work v2
# What: removes one job's work folder under the per-user cache; a missing folder is fine.
# Parameters: Job, the work folder's name (a plain name the caller has checked).
# Exit codes: 0 removed or absent; 1 the folder could not be removed.
param([Parameter(Mandatory = $true)][string]$Job)
$w = [IO.Path]::Combine((Join-Path $env:LOCALAPPDATA 'smtp-probe'), 'work', $Job)
try {
  if (Test-Path -LiteralPath $w) { Remove-Item -LiteralPath $w -Recurse -Force -ErrorAction Stop }
} catch {
  [Console]::Error.WriteLine("remove-work: $($_.Exception.Message)")
  exit 1
}
exit 0
