<#
.SYNOPSIS
    Installs, upgrades or removes cardap-hub (the central server) as a Windows service.
    cardap-hub（中央サーバ）を Windows サービスとして登録・更新・削除します。

.DESCRIPTION
    install-service.ps1 with the hub's defaults: program in Program Files\CardAp\Hub, data
    (appsettings.json, TLS files, hub.db when the database is SQLite, logs\) in ProgramData\CardAp\Hub.
    -DependsOn names a database service on the same machine (e.g. MSSQLSERVER) so the hub starts
    after it. Run as Administrator. Steps around it: docs/operations.md.

.EXAMPLE
    .\install-hub.ps1 -SourceDir D:\release\cardap-hub-win-x64 -DependsOn MSSQLSERVER
#>
[CmdletBinding()]
param(
    [string] $SourceDir,
    [string] $InstallDir,
    [string] $DataDir,
    [string[]] $DependsOn = @(),
    [switch] $Start,
    [switch] $Uninstall
)

$arguments = @{} + $PSBoundParameters
$arguments.Remove('DependsOn') | Out-Null
& (Join-Path $PSScriptRoot 'install-service.ps1') -Name 'cardap-hub' -DependsOn $DependsOn `
    -DisplayName 'CardAp Hub (cardap-hub)' `
    -Description 'CardAp central server: administration, reports and sync for terminals, over mutual TLS.' @arguments
exit $LASTEXITCODE
