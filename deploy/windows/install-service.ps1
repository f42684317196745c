<#
.SYNOPSIS
    Installs, upgrades or removes a CardAp host (cardap-edge or cardap-hub) as a Windows service.
    Windows サービスとして CardAp（cardap-edge / cardap-hub）を登録・更新・削除します。

.DESCRIPTION
    Use install-edge.ps1 or install-hub.ps1, which call this with their defaults. Run as
    Administrator in Windows PowerShell 5.1 or PowerShell 7. docs/operations.md has the steps
    around it (settings, enrolment, backups).

    Install (no service yet):
      - copies the published program from -SourceDir to -InstallDir (Program Files\CardAp\<Edge|Hub>);
      - creates the data folder -DataDir (ProgramData\CardAp\<Edge|Hub>) with logs\, readable only by
        SYSTEM, Administrators and the service's own virtual account (NT SERVICE\<name>);
      - registers the service: "<exe>" --contentRoot "<DataDir>" --Logging:Directory="<DataDir>\logs",
        so settings, enrolment and relative data paths live in the data folder, not in Program Files
        (the host makes the content root its working directory, instead of System32);
      - delayed automatic start, the virtual account, the dependencies (-DependsOn), and recovery:
        restart after 5 s, 10 s, then 60 s; the failure count resets after a day; a stop with an
        error exit code counts as a failure too.
    Upgrade (-SourceDir while the service exists): stops the service (it drains and checkpoints),
      copies the data folder to <DataDir>.pre-<yyyyMMdd-HHmmss>, keeps the old program as
      <InstallDir>.previous, copies the new one. Migrations run when the service starts next.
      The data folder itself is never deleted or replaced.
    -Uninstall: stops and deletes the service; the program and data folders stay.

    Written for Windows and not run there by CardAp's tests (they run on Linux): try it on a test
    machine before a rollout.

.EXAMPLE
    .\install-edge.ps1 -SourceDir D:\release\cardap-edge-win-x64 -Start
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [ValidateSet('cardap-edge', 'cardap-hub')]
    [string] $Name,

    # The published program (dotnet publish -r win-x64 --self-contained): install or upgrade from here.
    [string] $SourceDir,

    [string] $InstallDir,

    [string] $DataDir,

    # Services that must run first, e.g. SCardSvr (Smart Card) for the edge.
    [string[]] $DependsOn = @(),

    [string] $DisplayName,

    [string] $Description,

    # Start (or restart) the service at the end.
    [switch] $Start,

    [switch] $Uninstall
)

Set-StrictMode -Version 3
$ErrorActionPreference = 'Stop'

function Fail([string] $english, [string] $japanese) {
    Write-Host $english -ForegroundColor Red
    Write-Host $japanese -ForegroundColor Red
    exit 1
}

function Invoke-Sc([string[]] $arguments) {
    $output = & sc.exe @arguments 2>&1
    if ($LASTEXITCODE -ne 0) {
        Fail "sc.exe $($arguments -join ' ') failed ($LASTEXITCODE): $output" "sc.exe $($arguments -join ' ') が失敗しました（$LASTEXITCODE）: $output"
    }
}

if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) {
    Fail 'This script installs a Windows service; on Linux use deploy/systemd (docs/operations.md).' 'このスクリプトは Windows 用です。Linux では deploy/systemd を使用してください（docs/operations.md）。'
}
$principal = New-Object System.Security.Principal.WindowsPrincipal([System.Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail 'Run this script as Administrator.' '管理者として実行してください。'
}

$product = if ($Name -eq 'cardap-edge') { 'Edge' } else { 'Hub' }
if (-not $InstallDir) { $InstallDir = Join-Path $env:ProgramFiles "CardAp\$product" }
if (-not $DataDir) { $DataDir = Join-Path $env:ProgramData "CardAp\$product" }
if (-not $DisplayName) { $DisplayName = "CardAp $product ($Name)" }
if (-not $Description) { $Description = "CardAp $product. Data: $DataDir. Logs: $DataDir\logs." }
$account = "NT SERVICE\$Name"
$exe = Join-Path $InstallDir "$Name.exe"
$service = Get-Service -Name $Name -ErrorAction SilentlyContinue

if ($Uninstall) {
    if (-not $service) {
        Fail "There is no service $Name." "サービス $Name は登録されていません。"
    }
    if ($service.Status -ne 'Stopped') {
        # Stop-Service waits while the host drains and checkpoints.
        Stop-Service -Name $Name
    }
    Invoke-Sc @('delete', $Name)
    Write-Host "Service $Name deleted. The program ($InstallDir) and the data ($DataDir) are still there."
    Write-Host "サービス $Name を削除しました。プログラム（$InstallDir）とデータ（$DataDir）は残っています。"
    exit 0
}

if ($service -and $SourceDir) {
    # Upgrade: the data folder holds the database with records not yet at the hub (the outbox).
    if ($service.Status -ne 'Stopped') {
        Stop-Service -Name $Name
    }
    $stamp = Get-Date -Format 'yyyyMMdd-HHmmss'
    if (Test-Path $DataDir) {
        $copy = "$DataDir.pre-$stamp"
        Copy-Item -Path $DataDir -Destination $copy -Recurse
        # A new folder in ProgramData inherits read access for every user: the copy holds personal data.
        & icacls.exe $copy /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null
        if ($LASTEXITCODE -ne 0) {
            Fail "icacls could not restrict $copy ($LASTEXITCODE); remove or protect it by hand." "icacls で $copy のアクセス権を制限できませんでした（$LASTEXITCODE）。手動で削除または保護してください。"
        }
        Write-Host "Copied the data folder to $copy before the upgrade."
        Write-Host "更新前にデータフォルダを $copy にコピーしました。"
    }
    if (Test-Path $InstallDir) {
        $previous = "$InstallDir.previous"
        if (Test-Path $previous) { Remove-Item -Path $previous -Recurse -Force }
        Move-Item -Path $InstallDir -Destination $previous
        Write-Host "The previous program is kept in $previous (for a rollback)."
        Write-Host "以前のプログラムを $previous に残しました（切り戻し用）。"
    }
}

if ($SourceDir) {
    if (-not (Test-Path (Join-Path $SourceDir "$Name.exe"))) {
        Fail "$SourceDir holds no $Name.exe: give the folder dotnet publish -r win-x64 wrote." "$SourceDir に $Name.exe がありません。dotnet publish -r win-x64 の出力フォルダを指定してください。"
    }
    New-Item -ItemType Directory -Path $InstallDir -Force | Out-Null
    Copy-Item -Path (Join-Path $SourceDir '*') -Destination $InstallDir -Recurse -Force
}
if (-not (Test-Path $exe)) {
    Fail "$exe does not exist: pass -SourceDir with the published program." "$exe がありません。-SourceDir で発行済みプログラムのフォルダを指定してください。"
}

New-Item -ItemType Directory -Path (Join-Path $DataDir 'logs') -Force | Out-Null

# Quoted for folders with spaces; --contentRoot: settings and data in the data folder.
$binaryPath = "`"$exe`" --contentRoot `"$DataDir`" --Logging:Directory=`"$DataDir\logs`""
if (-not $service) {
    New-Service -Name $Name -BinaryPathName $binaryPath -DisplayName $DisplayName -Description $Description -StartupType Automatic | Out-Null
} else {
    # Through the SCM's API, not sc.exe: Windows PowerShell 5.1 passes the embedded quotes of a
    # command line to native programs unescaped.
    $cim = Get-CimInstance -ClassName Win32_Service -Filter "Name='$Name'"
    $changed = Invoke-CimMethod -InputObject $cim -MethodName Change -Arguments @{ PathName = $binaryPath; DisplayName = $DisplayName }
    if ($changed.ReturnValue -ne 0) {
        Fail "Could not change the command line of $Name (Win32_Service.Change returned $($changed.ReturnValue))." "$Name のコマンドラインを変更できませんでした（Win32_Service.Change の戻り値 $($changed.ReturnValue)）。"
    }
    Invoke-Sc @('description', $Name, $Description)
}
# Delayed: the terminal's network and the Smart Card service are up first; Windows PowerShell 5.1's
# New-Service cannot set it.
Invoke-Sc @('config', $Name, 'start=', 'delayed-auto')
# A virtual account: no password, rights only where granted below.
Invoke-Sc @('config', $Name, 'obj=', $account)
# An empty list ('/') removes dependencies an earlier install set.
$DependsOn = @($DependsOn | Where-Object { $_ })
$dependencies = if ($DependsOn.Count -gt 0) { $DependsOn -join '/' } else { '/' }
Invoke-Sc @('config', $Name, 'depend=', $dependencies)
Invoke-Sc @('failure', $Name, 'reset=', '86400', 'actions=', 'restart/5000/restart/10000/restart/60000')
Invoke-Sc @('failureflag', $Name, '1')

# The data folder holds personal data: no inherited access from ProgramData (Users may read there).
# SIDs, not names, so it works on a Japanese Windows as well: SYSTEM, Administrators.
& icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' "${account}:(OI)(CI)M" | Out-Null
if ($LASTEXITCODE -ne 0) {
    Fail "icacls could not set the permissions of $DataDir ($LASTEXITCODE)." "icacls で $DataDir のアクセス権を設定できませんでした（$LASTEXITCODE）。"
}

Write-Host "Service $Name is installed: $binaryPath"
Write-Host "サービス $Name を登録しました: $binaryPath"
if ($Start) {
    if ((Get-Service -Name $Name).Status -eq 'Running') {
        Restart-Service -Name $Name
    } else {
        Start-Service -Name $Name
    }
    Write-Host "Started. Logs: $DataDir\logs"
    Write-Host "起動しました。ログ: $DataDir\logs"
} else {
    Write-Host "Next: put appsettings.json in $DataDir (docs/operations.md), then Start-Service $Name."
    Write-Host "次に $DataDir に appsettings.json を置き（docs/operations.md）、Start-Service $Name を実行してください。"
}
exit 0
