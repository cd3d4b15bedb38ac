; Inno Setup 6 script for Contact360 Desktop on Windows (x64).
;
; Build on Windows, from the repository root, in the project's virtual environment:
;   python -m PyInstaller build.spec --noconfirm            -> dist\contact360\ (contact360.exe, contact360-cli.exe)
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\contact360.iss
;                                                         -> dist\contact360-0.1.0-windows-x64-setup.exe
; The version must be the one in pyproject.toml (scripts/build_installer prints it; or
;   python -c "import tomllib;print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])").
; Per-user install by default (no admin rights needed), like install.sh on Linux; an administrator can
; choose "install for all users" in the wizard.

#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z packaging\contact360.iss
#endif

[Setup]
AppId={{6F0C3A52-3D8E-4F0B-9C36-0C360D35C360}
AppName=Contact360
AppVersion={#AppVersion}
AppVerName=Contact360 {#AppVersion}
AppPublisher=Contact360
DefaultDirName={autopf}\Contact360
DefaultGroupName=Contact360
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=contact360-{#AppVersion}-windows-x64-setup
SetupIconFile=..\resources\contact360.ico
UninstallDisplayIcon={app}\contact360.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; The embedded PostgreSQL and the workers run from {app}: close them before upgrading.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\dist\contact360\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; A new version replaces the previous bundle completely (no stale modules).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\Contact360"; Filename: "{app}\contact360.exe"
Name: "{autodesktop}\Contact360"; Filename: "{app}\contact360.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\contact360.exe"; Description: "{cm:LaunchProgram,Contact360}"; Flags: nowait postinstall skipifsilent

; The user's data (%LOCALAPPDATA%\contact360) is kept on uninstall, as on Linux.
