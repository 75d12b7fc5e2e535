; fx-executor installer (NSIS 3, 64-bit).
;
; Built by installer/build.py, which passes these with -D:
;   VERSION         project version, e.g. 0.1.0
;   VERSION4        the same as four numbers, e.g. 0.1.0.0 (VIProductVersion wants four)
;   BUNDLE_DIR      PyInstaller's one-folder bundle (dist/fx-executor)
;   ASSETS_DIR      the repo's assets/ (app.ico, installer-wizard.bmp)
;   OUTFILE         path of the setup .exe to write
;   UNINSTALL_LIST  an .nsh with the Delete/RMDir lines for exactly the bundle's top-level entries
;   NO_COMPRESSION (optional) store the payload uncompressed, for quick test builds
;   SIGN_COMMAND   (optional) a command signing %1; run on the uninstaller and on the setup .exe
;
; Command line (silent use, also what tests/installer/ drives under wine):
;   setup.exe /S [/CurrentUser | /AllUsers] [/AUTOSTART] [/D=C:\path\without\quotes]
;   uninstall.exe /S [/CurrentUser | /AllUsers] [/DELETEDATA]
; The install mode defaults to per user (no administrator rights needed).

Unicode true
Target amd64-unicode
ManifestDPIAware true
!ifdef NO_COMPRESSION
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!ifdef SIGN_COMMAND
  ; The uninstaller is written inside the installer, so it is signed while makensis builds.
  !uninstfinalize `${SIGN_COMMAND}`
  !finalize `${SIGN_COMMAND}`
!endif

!define APP "fx-executor"
!define PUBLISHER "fx-bridge"
!define EXE "${APP}.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define SETTINGS_KEY "Software\${APP}"

; --- per user or per machine (MultiUser.nsh) ---------------------------------------------
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_DEFAULT_CURRENTUSER
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP}"
; Reinstalling or upgrading finds the folder used last time in this mode.
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${SETTINGS_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"
!include MultiUser.nsh
!include MUI2.nsh
!include FileFunc.nsh
!include LogicLib.nsh
!include Sections.nsh

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
BrandingText "${APP} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP} ${VERSION} setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Proprietary"

; --- pages ---------------------------------------------------------------------------------
!define MUI_ICON "${ASSETS_DIR}\app.ico"
!define MUI_UNICON "${ASSETS_DIR}\app.ico"
!define MUI_WELCOMEFINISHPAGE_BITMAP "${ASSETS_DIR}\installer-wizard.bmp"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP} now"
!define MUI_FINISHPAGE_RUN_FUNCTION StartUnelevated

!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_PAGE_HEADER_TEXT "Uninstall ${APP}"
!define MUI_PAGE_HEADER_SUBTEXT "Your settings, journal and logs are kept unless you tick the box."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; --- install -------------------------------------------------------------------------------
Section "${APP} (required)" SecApp
  SectionIn RO
  ; An upgrade must not mix libraries of two versions: the bundle's library folder is ours alone.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE_DIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  WriteRegStr SHCTX "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${APP}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  ; The mode goes on the uninstaller's command line so it cleans the same hive it was put in.
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S /$MultiUser.InstallMode'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

; HKCU's Run key in both modes: the tray app's own "Start with Windows" checkbox
; (executor_app/gui/autostart.py) switches this same value, so the two always agree.
Section /o "Start with Windows" SecAutostart
  WriteRegStr HKCU "${RUN_KEY}" "${APP}" '"$INSTDIR\${EXE}"'
SectionEnd

Function .onInit
  !insertmacro MULTIUSER_INIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/AUTOSTART" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecAutostart}
  ${EndIf}
FunctionEnd

Function StartUnelevated
  ; Through Explorer, so that after a per-machine (elevated) install the tray app runs as
  ; the signed-in user, not as administrator.
  Exec '"$WINDIR\explorer.exe" "$INSTDIR\${EXE}"'
FunctionEnd

; --- uninstall -----------------------------------------------------------------------------
Section "un.${APP}" SecUnApp
  SectionIn RO
  Delete "$SMPROGRAMS\${APP}.lnk"
  DeleteRegValue HKCU "${RUN_KEY}" "${APP}"
  ; Only what the installer put there, never RMDir /r on $INSTDIR: a user may have chosen a
  ; folder that holds other things.
  !include "${UNINSTALL_LIST}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
  DeleteRegKey SHCTX "${SETTINGS_KEY}"
SectionEnd

Section /o "un.Also delete my settings, command journal and logs" SecUnData
  ; The executor keeps them per user (platformdirs, app "fx-executor", no author folder), even
  ; after a per-machine install, so look in the uninstalling user's profile.
  SetShellVarContext current
  RMDir /r "$LOCALAPPDATA\${APP}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
  ${EndIf}
SectionEnd

Function un.onInit
  !insertmacro MULTIUSER_UNINIT
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DELETEDATA" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${SecUnData}
  ${EndIf}
FunctionEnd
