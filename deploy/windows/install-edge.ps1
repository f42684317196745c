<#
.SYNOPSIS
    Installs, upgrades or removes cardap-edge (the terminal host) as a Windows service.
    cardap-edge（端末ホスト）を Windows サービスとして登録・更新・削除します。

.DESCRIPTION
    install-service.ps1 with the edge's defaults: program in Program Files\CardAp\Edge, data
    (settings, enrolment, edge.db, backups\, logs\) in ProgramData\CardAp\Edge, and a dependency on
    the Smart Card service (SCardSvr), which Windows otherwise starts only when a reader appears.
    -NoSmartCard drops that dependency (a terminal on the virtual reader, Edge:Readers=Virtual).
    Run as Administrator. Steps around it: docs/operations.md.

.EXAMPLE
    .\install-edge.ps1 -SourceDir D:\release\cardap-edge-win-x64
    # then: appsettings.json into C:\ProgramData\CardAp\Edge, enrolment, Start-Service cardap-edge
.EXAMPLE
    .\install-edge.ps1 -SourceDir D:\release\cardap-edge-1.1-win-x64 -Start   # upgrade
.EXAMPLE
    .\install-edge.ps1 -Uninstall
#>
[CmdletBinding()]
param(
    [string] $SourceDir,
    [string] $InstallDir,
    [string] $DataDir,
    [switch] $NoSmartCard,
    [switch] $Start,
    [switch] $Uninstall
)

$arguments = @{} + $PSBoundParameters
$arguments.Remove('NoSmartCard') | Out-Null
$dependsOn = if ($NoSmartCard) { @() } else { @('SCardSvr') }
& (Join-Path $PSScriptRoot 'install-service.ps1') -Name 'cardap-edge' -DependsOn $dependsOn `
    -DisplayName 'CardAp Edge (cardap-edge)' `
    -Description 'CardAp terminal host: card readers, terminal API, local records, sync with the hub.' @arguments
exit $LASTEXITCODE
