<#
.SYNOPSIS
    Install (or remove) ims-xl and its "GST IMS" Excel ribbon for the current Windows user.

.DESCRIPTION
    Double-click install_windows.bat, or run:
        powershell -NoProfile -ExecutionPolicy Bypass -File install\install_windows.ps1 [-Uninstall]

    What it does (safe to run again; every step checks first):
      1. finds Python 3.11+ (the "py" launcher or python.exe on PATH);
      2. creates a virtual environment in %LOCALAPPDATA%\ims-xl\venv;
      3. installs ims-xl from this folder's parent (the repository) with xlwings==0.37.8;
      4. runs "xlwings addin install" (the xlwings add-in, which the ribbon calls into);
      5. copies ims_xl.xlam (the GST IMS ribbon) into %APPDATA%\Microsoft\Excel\XLSTART;
      6. writes INTERPRETER_WIN into %USERPROFILE%\.xlwings\xlwings.conf, so Excel starts
         the virtual environment's Python (other lines of that file are kept);
      7. copies a blank review workbook to Documents\IMS Review.xlsx if there is none yet.

    -Uninstall removes the virtual environment, ims_xl.xlam, the xlwings add-in (only if this
    installer put it there) and the INTERPRETER_WIN line it wrote. It never deletes workbooks.
#>
[CmdletBinding()]
param(
    [switch]$Uninstall
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

# Must equal the pin in pyproject.toml: the xlwings add-in's VBA names its own version's DLL.
$XlwingsVersion = '0.37.8'
$MinPython = [Version]'3.11'

$Repo        = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$DataDir     = Join-Path $env:LOCALAPPDATA 'ims-xl'
$Venv        = Join-Path $DataDir 'venv'
$VenvPython  = Join-Path $Venv 'Scripts\python.exe'
$Manifest    = Join-Path $DataDir 'installed-by-ims-xl.txt'
$XlStart     = Join-Path $env:APPDATA 'Microsoft\Excel\XLSTART'
$AddinName   = 'ims_xl.xlam'
$AddinTarget = Join-Path $XlStart $AddinName
$XlwingsAddinTarget = Join-Path $XlStart 'xlwings.xlam'
$ConfDir     = Join-Path $env:USERPROFILE '.xlwings'
$ConfFile    = Join-Path $ConfDir 'xlwings.conf'
$ConfKey     = 'INTERPRETER_WIN'
$Documents   = [Environment]::GetFolderPath('MyDocuments')
$Workbook    = Join-Path $Documents 'IMS Review.xlsx'
$TemplateXlsx = Join-Path $Repo 'workbook\dist\ims_review_template.xlsx'
$ShippedAddin = Join-Path $Repo 'workbook\dist\ims_xl.xlam'

function Say([string]$Message) { Write-Host "ims-xl: $Message" }
function Fail([string]$Message) { Write-Host "ims-xl: ERROR: $Message" -ForegroundColor Red; exit 1 }

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { Fail "'$Exe $($Arguments -join ' ')' failed (exit code $LASTEXITCODE)." }
}

function Assert-ExcelClosed {
    if (Get-Process -Name 'EXCEL' -ErrorAction SilentlyContinue) {
        Fail 'Excel is running. Save your work, quit Excel, then run this installer again.'
    }
}

# --- the manifest: which shared files this installer created (so uninstall removes only those)
function Get-Manifest {
    if (Test-Path -LiteralPath $Manifest) { return @(Get-Content -LiteralPath $Manifest) }
    return @()
}
function Add-Manifest([string]$Path) {
    if ((Get-Manifest) -notcontains $Path) { Add-Content -LiteralPath $Manifest -Value $Path }
}

# --- xlwings.conf: lines are "KEY","VALUE" (VBA Write #), read by the xlwings add-in with
# VBA Input #, which expects the ANSI code page, never a UTF-8 byte-order mark.
function Get-AnsiEncoding {
    $codePage = [System.Globalization.CultureInfo]::CurrentCulture.TextInfo.ANSICodePage
    return [System.Text.Encoding]::GetEncoding($codePage)
}
function Get-ConfLines {
    if (Test-Path -LiteralPath $ConfFile) {
        return @([System.IO.File]::ReadAllLines($ConfFile, (Get-AnsiEncoding)))
    }
    return @()
}
function Set-ConfLines([string[]]$Lines) {
    New-Item -ItemType Directory -Force -Path $ConfDir | Out-Null
    [System.IO.File]::WriteAllLines($ConfFile, $Lines, (Get-AnsiEncoding))
}
function Test-IsOurKeyLine([string]$Line) {
    return $Line -match ('^\s*"' + $ConfKey + '"\s*,')
}

function Find-Python {
    $candidates = @()
    if (Get-Command py -ErrorAction SilentlyContinue) {
        foreach ($v in '3.13', '3.12', '3.11') { $candidates += , @('py', "-$v") }
    }
    if (Get-Command python -ErrorAction SilentlyContinue) { $candidates += , @('python') }
    foreach ($c in $candidates) {
        $exe = $c[0]
        $pre = @($c | Select-Object -Skip 1)
        try {
            # No double quotes inside native arguments: Windows PowerShell 5.1 mangles them.
            $out = & $exe @pre -c "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])" 2>$null
        } catch { continue }
        if ($LASTEXITCODE -ne 0 -or -not $out -or @($out).Count -lt 2) { continue }
        $path = @($out)[0].Trim()
        $ver = [Version](@($out)[1].Trim())
        if ($ver -lt $MinPython) { continue }
        if ($path -like '*\WindowsApps\*') {
            Say "skipping the Microsoft Store Python at $path (Excel cannot start it reliably)"
            continue
        }
        return $path
    }
    Fail ('Python 3.11 or newer was not found. Install it from https://www.python.org/downloads/ ' +
          '(tick "Add python.exe to PATH"), then run this installer again.')
}

function Install-ImsXl {
    Assert-ExcelClosed
    New-Item -ItemType Directory -Force -Path $DataDir | Out-Null

    # 1-2. virtual environment
    if (-not (Test-Path -LiteralPath $VenvPython)) {
        $python = Find-Python
        Say "creating the virtual environment $Venv (Python: $python)"
        Invoke-Checked $python @('-m', 'venv', $Venv)
    } else {
        Say "virtual environment already there: $Venv"
    }

    # 3. ims-xl with the pinned xlwings (plus the add-in builder, used only if no built add-in ships)
    Say "installing ims-xl from $Repo with xlwings==$XlwingsVersion"
    Invoke-Checked $VenvPython @('-m', 'pip', 'install', '--disable-pip-version-check', '--quiet',
                                 "$($Repo)[build]", "xlwings==$XlwingsVersion")

    # 4. the xlwings add-in. "xlwings addin install" asks Excel for its start-up folder and also
    # writes xlwings.conf if there is none; it prints rather than fails when Excel is missing,
    # so the result is checked and, if needed, the add-in is copied directly.
    $hadXlwingsAddin = Test-Path -LiteralPath $XlwingsAddinTarget
    $xlwingsExe = Join-Path $Venv 'Scripts\xlwings.exe'
    Say 'running: xlwings addin install (it starts Excel hidden; if it prints an error, this installer copies the add-in itself)'
    & $xlwingsExe addin install
    New-Item -ItemType Directory -Force -Path $XlStart | Out-Null
    if (-not (Test-Path -LiteralPath $XlwingsAddinTarget)) {
        $shipped = & $VenvPython -c "import os, xlwings; print(os.path.join(os.path.dirname(xlwings.__file__), 'addin', 'xlwings.xlam'))"
        Say "copying the xlwings add-in into $XlStart"
        Copy-Item -LiteralPath $shipped.Trim() -Destination $XlwingsAddinTarget -Force
    }
    if (-not $hadXlwingsAddin) { Add-Manifest $XlwingsAddinTarget }

    # 5. the GST IMS ribbon add-in
    $addin = $ShippedAddin
    if (-not (Test-Path -LiteralPath $addin)) {
        $addin = Join-Path $DataDir $AddinName
        Say "building $AddinName (workbook\dist has none)"
        Invoke-Checked $VenvPython @((Join-Path $Repo 'workbook\build_addin.py'), '--out', $addin)
    }
    Say "copying $AddinName into $XlStart"
    Copy-Item -LiteralPath $addin -Destination $AddinTarget -Force
    # A file unpacked from a downloaded zip carries the internet zone mark; Office blocks its macros.
    Unblock-File -LiteralPath $AddinTarget
    Unblock-File -LiteralPath $XlwingsAddinTarget

    # 6. xlwings.conf: our interpreter line replaces any earlier one; other lines are kept
    $lines = @(Get-ConfLines | Where-Object { -not (Test-IsOurKeyLine $_) })
    $lines += ('"' + $ConfKey + '","' + $VenvPython + '"')
    Set-ConfLines $lines
    Say "wrote $ConfKey=$VenvPython into $ConfFile"

    # 7. a blank review workbook, never overwriting the user's
    if (Test-Path -LiteralPath $Workbook) {
        Say "kept your existing workbook: $Workbook"
    } elseif (Test-Path -LiteralPath $TemplateXlsx) {
        Copy-Item -LiteralPath $TemplateXlsx -Destination $Workbook
        Unblock-File -LiteralPath $Workbook
        Say "copied a blank review workbook to $Workbook"
    } else {
        Say "no blank workbook to copy ($TemplateXlsx is missing; run: python workbook\build_all.py)"
    }

    Say 'checking the installation: ims-xl doctor'
    & $VenvPython -m ims_xl.excel.doctor
    Say 'done. Start Excel, open "IMS Review.xlsx" and look for the GST IMS tab.'
}

function Uninstall-ImsXl {
    Assert-ExcelClosed
    $manifest = Get-Manifest
    if (Test-Path -LiteralPath $AddinTarget) {
        Remove-Item -LiteralPath $AddinTarget -Force
        Say "removed $AddinTarget"
    }
    if ($manifest -contains $XlwingsAddinTarget -and (Test-Path -LiteralPath $XlwingsAddinTarget)) {
        Remove-Item -LiteralPath $XlwingsAddinTarget -Force
        Say "removed $XlwingsAddinTarget (installed by ims-xl)"
    }
    # Only the interpreter line that points into our venv goes; anything else stays.
    if (Test-Path -LiteralPath $ConfFile) {
        $kept = @(Get-ConfLines | Where-Object { -not ((Test-IsOurKeyLine $_) -and $_.Contains($Venv)) })
        if ($kept.Count -eq 0) {
            Remove-Item -LiteralPath $ConfFile -Force
            Say "removed $ConfFile"
        } else {
            Set-ConfLines $kept
            Say "removed the ims-xl $ConfKey line from $ConfFile"
        }
    }
    if (Test-Path -LiteralPath $DataDir) {
        Remove-Item -LiteralPath $DataDir -Recurse -Force
        Say "removed $DataDir (virtual environment)"
    }
    Say "done. Your workbooks (for example $Workbook) were not touched."
}

if ($Uninstall) { Uninstall-ImsXl } else { Install-ImsXl }
exit 0
