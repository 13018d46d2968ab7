# smtp-probe/ps51-check v1 (test lab)
# What: parses PowerShell files with PowerShell's own parser and lists syntax errors and the
#   constructs Windows PowerShell 5.1 cannot run (they parse only in 6 or 7): && and ||
#   pipeline chains, the ternary ?:, ?? and ??=, ?. and ?[], and clean blocks.
# Parameters: PathList, the files to check, separated by '|' (-File passes one string).
# Output: one JSON object {file: [problems]} on stdout.
# Exit codes: 0 (the caller judges the JSON).
param([Parameter(Mandatory = $true)][string]$PathList)
$Paths = $PathList -split '\|'
$result = [ordered]@{}
foreach ($p in $Paths) {
  $tokens = $null; $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($p, [ref]$tokens, [ref]$errors)
  $problems = @($errors | ForEach-Object { "syntax: $($_.Message) (line $($_.Extent.StartLineNumber))" })
  $found = $ast.FindAll({
      param($n)
      $n -is [System.Management.Automation.Language.PipelineChainAst] -or
      $n -is [System.Management.Automation.Language.TernaryExpressionAst] -or
      ($n -is [System.Management.Automation.Language.BinaryExpressionAst] -and $n.Operator -eq 'QuestionQuestion') -or
      ($n -is [System.Management.Automation.Language.AssignmentStatementAst] -and $n.Operator -eq 'QuestionQuestionEquals') -or
      ($n -is [System.Management.Automation.Language.MemberExpressionAst] -and $n.NullConditional) -or
      ($n -is [System.Management.Automation.Language.IndexExpressionAst] -and $n.NullConditional)
    }, $true)
  $problems += @($found | ForEach-Object { "7-only: $($_.GetType().Name) '$($_.Extent.Text)' (line $($_.Extent.StartLineNumber))" })
  if ($ast.CleanBlock) { $problems += 'clean block (7.3+)' }
  $result[$p] = $problems
}
$result | ConvertTo-Json -Depth 3 -Compress
exit 0
