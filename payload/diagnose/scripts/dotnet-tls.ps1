# smtp-probe/dotnet-tls v1
# What: the .NET Framework registry switches that decide which TLS versions a .NET bot
#   (System.Net.Mail.SmtpClient, ServicePointManager) offers: SchUseStrongCrypto and
#   SystemDefaultTlsVersions under HKLM\SOFTWARE\Microsoft\.NETFramework\<version> and its
#   32-bit (WOW6432Node) twin, for v4.0.30319 (.NET Framework 4.x) and v2.0.50727 (2.0-3.5).
# Parameters: none.
# Output: one JSON object: platform ("windows" or "not-windows"), message, and values
#   (key, name, value; value null when the switch is not set, which means its default).
# Exit codes: 0, also when not on Windows (platform "not-windows", no values).
$ProgressPreference = 'SilentlyContinue'
$ErrorActionPreference = 'Stop'
# $IsWindows exists only from PowerShell 6; Windows PowerShell 5.1 runs on Windows alone.
$onWindows = ($PSVersionTable.PSEdition -eq 'Desktop') -or ((Test-Path variable:IsWindows) -and $IsWindows)
if (-not $onWindows) {
  [pscustomobject]@{ platform = 'not-windows'; message = 'not Windows: the .NET Framework registry switches exist only there'; values = @() } | ConvertTo-Json -Compress
  exit 0
}
$values = New-Object System.Collections.ArrayList
foreach ($root in @('HKLM:\SOFTWARE\Microsoft\.NETFramework', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\.NETFramework')) {
  foreach ($version in @('v4.0.30319', 'v2.0.50727')) {
    $key = Join-Path $root $version
    $props = $null
    if (Test-Path -LiteralPath $key) { $props = Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue }
    foreach ($name in @('SchUseStrongCrypto', 'SystemDefaultTlsVersions')) {
      $v = $null
      if ($props -and ($props.PSObject.Properties.Name -contains $name)) { $v = [string]$props.$name }
      [void]$values.Add([pscustomobject]@{ key = ($key -replace '^HKLM:\\', 'HKLM\'); name = $name; value = $v })
    }
  }
}
[pscustomobject]@{ platform = 'windows'; message = 'read'; values = @($values) } | ConvertTo-Json -Compress -Depth 4
exit 0
