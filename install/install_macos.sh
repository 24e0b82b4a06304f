#!/bin/bash
# ims-xl installer for macOS: the "GST IMS" Excel ribbon for the current user.
#
#   bash install/install_macos.sh               install, or repair (safe to run again)
#   bash install/install_macos.sh --uninstall   remove what this script installed
#
# What it does (every step checks first):
#   1. finds Python 3.11+ (python.org, Homebrew or PATH);
#   2. creates a virtual environment in ~/Library/Application Support/ims-xl/venv;
#   3. installs ims-xl from this folder's parent (the repository) with xlwings==0.37.8;
#   4. runs "xlwings addin install" (the xlwings add-in and its RunPython AppleScript);
#   5. copies ims_xl.xlam (the GST IMS ribbon) into Excel's start-up folder;
#   6. writes INTERPRETER_MAC into Excel's sandboxed xlwings.conf
#      (~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf; other lines are kept);
#   7. copies a blank review workbook to ~/Documents/IMS Review.xlsx if there is none yet.
# --uninstall removes the virtual environment, ims_xl.xlam, the xlwings add-in and AppleScript
# (only if this script put them there) and the INTERPRETER_MAC line it wrote.
# It never deletes workbooks.
#
# Written for the bash 3.2 that ships with macOS.
set -euo pipefail

# Must equal the pin in pyproject.toml: the xlwings add-in's VBA names its own version's AppleScript.
XLWINGS_VERSION="0.37.8"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DATA_DIR="$HOME/Library/Application Support/ims-xl"
VENV="$DATA_DIR/venv"
VENV_PY="$VENV/bin/python"
MANIFEST="$DATA_DIR/installed-by-ims-xl.txt"
STARTUP="$HOME/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
ADDIN_NAME="ims_xl.xlam"
ADDIN_TARGET="$STARTUP/$ADDIN_NAME"
XLWINGS_ADDIN_TARGET="$STARTUP/xlwings.xlam"
SCRIPTS_DIR="$HOME/Library/Application Scripts/com.microsoft.Excel"
APPLESCRIPT_TARGET="$SCRIPTS_DIR/xlwings-$XLWINGS_VERSION.applescript"
CONF_DIR="$HOME/Library/Containers/com.microsoft.Excel/Data"
CONF_FILE="$CONF_DIR/xlwings.conf"
CONF_KEY="INTERPRETER_MAC"
WORKBOOK="$HOME/Documents/IMS Review.xlsx"
TEMPLATE_XLSX="$REPO/workbook/dist/ims_review_template.xlsx"
SHIPPED_ADDIN="$REPO/workbook/dist/$ADDIN_NAME"

say() { printf 'ims-xl: %s\n' "$*"; }
fail() { printf 'ims-xl: ERROR: %s\n' "$*" >&2; exit 1; }

assert_excel_closed() {
    if pgrep -x "Microsoft Excel" >/dev/null 2>&1; then
        fail "Excel is running. Save your work, quit Excel (Cmd-Q), then run this script again."
    fi
}

# The manifest lists shared files this script created, so --uninstall removes only those.
manifest_has() { [ -f "$MANIFEST" ] && grep -Fxq -- "$1" "$MANIFEST"; }
manifest_add() { manifest_has "$1" || printf '%s\n' "$1" >> "$MANIFEST"; }

find_python() {
    local c
    for c in python3.13 python3.12 python3.11 \
             /Library/Frameworks/Python.framework/Versions/3.13/bin/python3 \
             /Library/Frameworks/Python.framework/Versions/3.12/bin/python3 \
             /Library/Frameworks/Python.framework/Versions/3.11/bin/python3 \
             /opt/homebrew/bin/python3 /usr/local/bin/python3 python3; do
        if command -v "$c" >/dev/null 2>&1 \
           && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

# xlwings.conf lines are "KEY","VALUE" (VBA Write #). Keep every line but ours.
conf_without_our_line() {
    [ -f "$CONF_FILE" ] || return 0
    grep -v -i -E "^[[:space:]]*\"$CONF_KEY\"[[:space:]]*," "$CONF_FILE" || true
}

install() {
    assert_excel_closed
    mkdir -p "$DATA_DIR"

    # 1-2. virtual environment
    if [ -x "$VENV_PY" ]; then
        say "virtual environment already there: $VENV"
    else
        local python
        python="$(find_python)" || fail "Python 3.11 or newer was not found. Install it from https://www.python.org/downloads/macos/ and run this script again."
        say "creating the virtual environment $VENV (Python: $python)"
        "$python" -m venv "$VENV"
    fi

    # 3. ims-xl with the pinned xlwings (plus the add-in builder, used only if no built add-in ships)
    say "installing ims-xl from $REPO with xlwings==$XLWINGS_VERSION"
    "$VENV_PY" -m pip install --disable-pip-version-check --quiet "${REPO}[build]" "xlwings==$XLWINGS_VERSION"

    # 4. the xlwings add-in and RunPython's AppleScript. "xlwings addin install" asks Excel for
    # its start-up folder; it prints rather than fails when Excel is missing, so the result is
    # checked and, if needed, the files are copied directly.
    local had_addin=0 had_script=0
    [ -f "$XLWINGS_ADDIN_TARGET" ] && had_addin=1
    [ -f "$APPLESCRIPT_TARGET" ] && had_script=1
    say "running: xlwings addin install (it asks Excel for its start-up folder; if it prints an error, this script copies the files itself)"
    "$VENV/bin/xlwings" addin install || say "xlwings addin install reported a problem; copying the files directly"
    mkdir -p "$STARTUP" "$SCRIPTS_DIR"
    local xlwings_dir
    xlwings_dir="$("$VENV_PY" -c 'import os, xlwings; print(os.path.dirname(xlwings.__file__))')"
    [ -f "$XLWINGS_ADDIN_TARGET" ] || cp "$xlwings_dir/addin/xlwings.xlam" "$XLWINGS_ADDIN_TARGET"
    [ -f "$APPLESCRIPT_TARGET" ] || cp "$xlwings_dir/xlwings-$XLWINGS_VERSION.applescript" "$APPLESCRIPT_TARGET"
    [ "$had_addin" = 1 ] || manifest_add "$XLWINGS_ADDIN_TARGET"
    [ "$had_script" = 1 ] || manifest_add "$APPLESCRIPT_TARGET"

    # 5. the GST IMS ribbon add-in
    local addin="$SHIPPED_ADDIN"
    if [ ! -f "$addin" ]; then
        addin="$DATA_DIR/$ADDIN_NAME"
        say "building $ADDIN_NAME (workbook/dist has none)"
        "$VENV_PY" "$REPO/workbook/build_addin.py" --out "$addin"
    fi
    say "copying $ADDIN_NAME into $STARTUP"
    cp -f "$addin" "$ADDIN_TARGET"
    # A file from a downloaded zip is quarantined; Office then blocks its macros.
    xattr -d com.apple.quarantine "$ADDIN_TARGET" "$XLWINGS_ADDIN_TARGET" 2>/dev/null || true

    # 6. xlwings.conf (Excel is sandboxed: the add-in reads it from Excel's container)
    mkdir -p "$CONF_DIR"
    local tmp
    tmp="$(mktemp)"
    conf_without_our_line > "$tmp"
    printf '"%s","%s"\n' "$CONF_KEY" "$VENV_PY" >> "$tmp"
    mv -f "$tmp" "$CONF_FILE"
    say "wrote $CONF_KEY=$VENV_PY into $CONF_FILE"

    # 7. a blank review workbook, never overwriting the user's
    if [ -e "$WORKBOOK" ]; then
        say "kept your existing workbook: $WORKBOOK"
    elif [ -f "$TEMPLATE_XLSX" ]; then
        mkdir -p "$(dirname "$WORKBOOK")"
        cp -n "$TEMPLATE_XLSX" "$WORKBOOK"
        xattr -d com.apple.quarantine "$WORKBOOK" 2>/dev/null || true
        say "copied a blank review workbook to $WORKBOOK"
    else
        say "no blank workbook to copy ($TEMPLATE_XLSX is missing; run: python workbook/build_all.py)"
    fi

    say "checking the installation: ims-xl doctor"
    "$VENV_PY" -m ims_xl.excel.doctor || true
    say "done. Start Excel, open \"IMS Review.xlsx\" and look for the GST IMS tab."
}

uninstall() {
    assert_excel_closed
    if [ -f "$ADDIN_TARGET" ]; then
        rm -f "$ADDIN_TARGET"
        say "removed $ADDIN_TARGET"
    fi
    local f
    for f in "$XLWINGS_ADDIN_TARGET" "$APPLESCRIPT_TARGET"; do
        if manifest_has "$f" && [ -f "$f" ]; then
            rm -f "$f"
            say "removed $f (installed by ims-xl)"
        fi
    done
    # Only our interpreter line goes, and only if it still points into our venv.
    if [ -f "$CONF_FILE" ]; then
        local tmp
        tmp="$(mktemp)"
        grep -v -F "\"$CONF_KEY\",\"$VENV_PY\"" "$CONF_FILE" > "$tmp" || true
        if [ -s "$tmp" ]; then
            mv -f "$tmp" "$CONF_FILE"
            say "removed the ims-xl $CONF_KEY line from $CONF_FILE"
        else
            rm -f "$tmp" "$CONF_FILE"
            say "removed $CONF_FILE"
        fi
    fi
    if [ -d "$DATA_DIR" ]; then
        rm -rf "$DATA_DIR"
        say "removed $DATA_DIR (virtual environment)"
    fi
    say "done. Your workbooks (for example $WORKBOOK) were not touched."
}

case "${1:-}" in
    --uninstall) uninstall ;;
    "") install ;;
    -h|--help) sed -n '2,20p' "$0" ;;
    *) fail "unknown option: $1 (use --uninstall or no option)" ;;
esac
