@echo off
rem ims-xl installer for Windows: double-click this file to install the GST IMS Excel ribbon.
rem To remove it again, run from a Command Prompt:  install_windows.bat -Uninstall
rem The execution policy is bypassed for this one script only; the machine's policy is unchanged.
setlocal
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install_windows.ps1" %*
set "IMSXL_EXIT=%ERRORLEVEL%"
echo.
if not "%IMSXL_EXIT%"=="0" (
    echo ims-xl: the installer stopped with an error ^(exit code %IMSXL_EXIT%^). See the messages above.
) else (
    echo ims-xl: finished.
)
pause
exit /b %IMSXL_EXIT%
