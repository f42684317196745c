#!/usr/bin/env pwsh
<#
.SYNOPSIS
  CardAp build script: build, test, run, bench, clean.

.DESCRIPTION
  Runs anywhere the .NET SDK runs: PowerShell comes as a local dotnet tool, so
      dotnet tool restore
      dotnet pwsh -NoProfile -File build.ps1 <target>

  Targets
    build   Build the solution (Release, warnings are errors).
    test    Install (Debian, when missing) pcscd + vpcd, PostgreSQL, chromium and a Japanese
            font; start pcscd and a throw-away PostgreSQL, run every test project, stop
            what it started, and print "N passed, N failed, N skipped".
    run     The main job on embedded defaults: the whole system in one process (cardap-demo):
            a hub on SQLite shared by two municipalities, three terminals with virtual
            readers provisioned by cardap-provision's code, a scripted day with an outage,
            and the day's report (CSV, PNG) in artifacts/demo/report. -Serve keeps it up.
    bench   Benchmarks through real pcscd + vpcd and a throw-away PostgreSQL; results go to docs/benchmarks.md.
    clean   Remove build output and test results.
#>
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'run', 'bench', 'clean')]
    [string] $Target = 'build',
    [string] $Configuration = 'Release',
    # run: stay up after the scripted day, with the hub's and terminals' addresses printed.
    [switch] $Serve
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Artifacts = Join-Path $Root 'artifacts'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Privileged([string] $File, [string[]] $Arguments) {
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
    if ($isRoot) { Invoke-Native $File $Arguments; return }
    if (Get-Command sudo -ErrorAction SilentlyContinue) { Invoke-Native 'sudo' (@($File) + $Arguments); return }
    throw "Need root (or sudo) to run: $File $($Arguments -join ' ')"
}

# Debian packages the tests need; installed only when missing, so a prepared machine pays nothing.
function Install-TestPrerequisites {
    if (-not $IsLinux) { Write-Host 'Not Linux: expecting a PC/SC service (WinSCard) to be present.'; return }
    # fonts-ipafont-gothic: Debian's chromium brings no Japanese font, and the screens' screenshots are read by people.
    $needed = @{ 'pcscd' = 'pcscd'; 'libpcsclite1' = 'libpcsclite1'; 'vsmartcard-vpcd' = 'vsmartcard-vpcd'; 'opensc' = 'opensc'; 'postgresql' = 'postgresql'; 'chromium' = 'chromium'; 'fonts-ipafont-gothic' = 'fonts-ipafont-gothic' }
    $missing = @($needed.Keys | Where-Object {
            $status = & dpkg-query -W -f='${Status}' $_ 2>$null
            $LASTEXITCODE -ne 0 -or $status -notlike '*install ok installed*'
        })
    if ($missing.Count -eq 0) { return }
    if (-not (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        throw "Missing $($missing -join ', ') and no apt-get to install them: install them by hand."
    }
    Write-Host "Installing $($missing -join ', ') ..."
    $env:DEBIAN_FRONTEND = 'noninteractive'
    Invoke-Privileged 'apt-get' @('update', '-qq')
    Invoke-Privileged 'apt-get' (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
}

function Test-PcscdRunning {
    & pgrep -x pcscd *> $null
    return $LASTEXITCODE -eq 0
}

# Starts pcscd unless one runs already; returns $true when this script owns it (and must stop it).
function Start-Pcscd {
    if (-not $IsLinux) { return $false }
    if (Test-PcscdRunning) { Write-Host 'pcscd is already running: using it.'; return $false }
    Write-Host 'Starting pcscd ...'
    Invoke-Privileged 'pcscd' @()
    for ($i = 0; $i -lt 50 -and -not (Test-Path '/run/pcscd/pcscd.comm'); $i++) { Start-Sleep -Milliseconds 100 }
    if (-not (Test-Path '/run/pcscd/pcscd.comm')) { throw 'pcscd did not create /run/pcscd/pcscd.comm within 5 s.' }
    return $true
}

function Stop-Pcscd {
    # The pid file is re-read because a test may restart pcscd (it rewrites the file).
    $pidFile = '/run/pcscd/pcscd.pid'
    if (Test-Path $pidFile) {
        # pcsc-lite writes "pid\n\0": keep the digits only.
        $pcscdPid = (Get-Content $pidFile -Raw) -replace '[^0-9]', ''
        if ($pcscdPid) { & kill $pcscdPid 2>$null }
    }
    for ($i = 0; $i -lt 50 -and (Test-PcscdRunning); $i++) { Start-Sleep -Milliseconds 100 }
    if (Test-PcscdRunning) { & pkill -x pcscd 2>$null }
    Write-Host 'Stopped pcscd.'
}

# A throw-away PostgreSQL server for the hub's tests: its own data folder and port, so a
# developer's server is never touched. Returns the folder to stop, or $null off Linux.
function Start-Postgres {
    if (-not $IsLinux) { Write-Host 'Not Linux: PostgreSQL tests need CARDAP_POSTGRES set by hand.'; return $null }
    $bin = Get-ChildItem -Path '/usr/lib/postgresql/*/bin/initdb' -ErrorAction SilentlyContinue |
        Sort-Object { [int]($_.Directory.Parent.Name) } -Descending | Select-Object -First 1
    if (-not $bin) { throw 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb).' }
    $binDir = $bin.Directory.FullName
    $folder = Join-Path ([IO.Path]::GetTempPath()) ("cardap-pg-" + [Guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $folder | Out-Null
    $port = 55433
    # The server refuses to run as root: run it as the postgres user then.
    $asUser = @()
    if ((& id -u) -eq '0') { & chown postgres $folder; $asUser = @('runuser', '-u', 'postgres', '--') }
    $initdb = $asUser + @("$binDir/initdb", '-D', "$folder/data", '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8')
    & $initdb[0] $initdb[1..($initdb.Count - 1)] *> "$folder/initdb.log"
    if ($LASTEXITCODE -ne 0) { throw "initdb failed: $(Get-Content "$folder/initdb.log" -Raw)" }
    $start = $asUser + @("$binDir/pg_ctl", '-D', "$folder/data", '-l', "$folder/server.log", '-w', '-o', "-c listen_addresses=127.0.0.1 -p $port -k $folder", 'start')
    & $start[0] $start[1..($start.Count - 1)] | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "PostgreSQL did not start: $(Get-Content "$folder/server.log" -Raw)" }
    $env:CARDAP_POSTGRES = "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
    $env:CARDAP_REQUIRE_POSTGRES = '1'
    Write-Host "Started PostgreSQL on 127.0.0.1:$port."
    return [pscustomobject] @{ Folder = $folder; Bin = $binDir; AsUser = $asUser }
}

function Stop-Postgres($server) {
    if (-not $server) { return }
    $stop = $server.AsUser + @("$($server.Bin)/pg_ctl", '-D', "$($server.Folder)/data", '-m', 'fast', 'stop')
    & $stop[0] $stop[1..($stop.Count - 1)] | Out-Null
    Remove-Item -Recurse -Force $server.Folder -ErrorAction SilentlyContinue
    Write-Host 'Stopped PostgreSQL.'
}

function Invoke-Build {
    Invoke-Native 'dotnet' @('build', (Join-Path $Root 'CardAp.sln'), '-c', $Configuration, '-warnaserror', '--nologo', '-v', 'quiet')
}

# dotnet test's own summary differs per runner; the TRX counters are the one reliable source.
function Get-TestSummary([string] $ResultsDir) {
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem -Path $ResultsDir -Filter '*.trx' -Recurse -ErrorAction SilentlyContinue) {
        [xml] $doc = Get-Content $trx.FullName -Raw
        $counters = $doc.TestRun.ResultSummary.Counters
        $passed += [int] $counters.passed
        $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        # xunit's TRX leaves notExecuted at 0 and counts a skip as total minus executed.
        $skipped += [Math]::Max([int] $counters.notExecuted, [int] $counters.total - [int] $counters.executed)
    }
    return [pscustomobject] @{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

function Invoke-Test {
    $results = Join-Path $Artifacts 'test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    Install-TestPrerequisites
    Invoke-Build
    $ownsPcscd = $false
    $postgres = $null
    $exitCode = 1
    $summary = $null
    try {
        $postgres = Start-Postgres
        $ownsPcscd = Start-Pcscd
        $env:CARDAP_REQUIRE_PCSCD = '1'
        # The screens' tests drive Debian's chromium (installed above) and must not skip.
        $env:CARDAP_REQUIRE_BROWSER = '1'
        $env:CARDAP_PCSCD_OWNED = if ($ownsPcscd) { '1' } else { '0' }
        # One test assembly at a time: pcscd's vpcd slots are shared by every project that uses them.
        & dotnet test (Join-Path $Root 'CardAp.sln') -c $Configuration --no-build --nologo -m:1 `
            --logger 'trx' --logger 'console;verbosity=normal' --results-directory $results `
            -- RunConfiguration.TestSessionTimeout=1500000 RunConfiguration.MaxCpuCount=1
        $testExit = $LASTEXITCODE
        $summary = Get-TestSummary $results
        $exitCode = if ($testExit -eq 0 -and $summary.Failed -eq 0) { 0 } else { 1 }
        if ($testExit -ne 0 -and $summary.Failed -eq 0) {
            # A crashed test host leaves no failed counter: count the crash as a failure.
            $summary.Failed = 1
        }
    }
    catch {
        # Setting up a component failed: say what, and count it as a failed run.
        Write-Host "The test run could not complete: $_"
    }
    finally {
        if ($ownsPcscd) { Stop-Pcscd }
        Stop-Postgres $postgres
    }
    if ($null -eq $summary) { $summary = [pscustomobject] @{ Passed = 0; Failed = 1; Skipped = 0 } }
    Write-Host "$($summary.Passed) passed, $($summary.Failed) failed, $($summary.Skipped) skipped"
    exit $exitCode
}

function Invoke-Run {
    $arguments = @('run', '--project', (Join-Path $Root 'demo/CardAp.Demo'), '-c', $Configuration, '--', '--output', (Join-Path $Artifacts 'demo'))
    if ($Serve) { $arguments += '--serve' }
    Invoke-Native 'dotnet' $arguments
}

function Invoke-Bench {
    Install-TestPrerequisites
    $ownsPcscd = $false
    $postgres = $null
    try {
        $postgres = Start-Postgres
        $ownsPcscd = Start-Pcscd
        Invoke-Native 'dotnet' @('run', '--project', (Join-Path $Root 'tests/CardAp.Benchmarks'), '-c', 'Release', '--',
            '--output', (Join-Path $Root 'docs/benchmarks.md'))
    }
    finally {
        if ($ownsPcscd) { Stop-Pcscd }
        Stop-Postgres $postgres
    }
}

function Invoke-Clean {
    Invoke-Native 'dotnet' @('clean', (Join-Path $Root 'CardAp.sln'), '-c', $Configuration, '--nologo', '-v', 'quiet')
    if (Test-Path $Artifacts) { Remove-Item -Recurse -Force $Artifacts }
}

switch ($Target) {
    'build' { Invoke-Build }
    'test' { Invoke-Test }
    'run' { Invoke-Run }
    'bench' { Invoke-Bench }
    'clean' { Invoke-Clean }
}
