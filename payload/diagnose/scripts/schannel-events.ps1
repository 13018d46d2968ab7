# smtp-probe/schannel-events v1
# What: the Schannel (TLS) events of the System log since a point in time, as JSON, for
#   diagnose on runners where wevtutil's text form is not available.
# Parameters: Since (ISO 8601 time, UTC), MaxEvents (most recent events kept).
# Output: ConvertTo-Json of TimeCreated, Id, LevelDisplayName, ProviderName, Message.
# Exit codes: 0, also when there are no events (nothing is printed then).
param(
  [Parameter(Mandatory = $true)][string]$Since,
  [int]$MaxEvents = 200
)
$ProgressPreference = 'SilentlyContinue'
$start = [datetime]::Parse($Since, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal)
Get-WinEvent -FilterHashtable @{ LogName = 'System'; ProviderName = 'Schannel'; StartTime = $start } -MaxEvents $MaxEvents -ErrorAction SilentlyContinue |
  Select-Object TimeCreated, Id, LevelDisplayName, ProviderName, Message |
  ConvertTo-Json
exit 0
