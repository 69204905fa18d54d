; Inno Setup script of the LayerLoom Windows installer; packaging/build.py runs it with
;   iscc /DAppVersion=... /DBundleDir=dist\LayerLoom /DOutputDir=dist /DIconFile=build\icons\layerloom.ico
; Start-menu entry, .llproj association (double-click opens the project), uninstaller.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\LayerLoom"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
AppId={{6C1E5A3B-2F4D-4B8E-9A51-7D0C3E2B9F10}
AppName=LayerLoom
AppVersion={#AppVersion}
AppPublisher=LayerLoom developers
DefaultDirName={autopf}\LayerLoom
DefaultGroupName=LayerLoom
DisableProgramGroupPage=yes
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=LayerLoom-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
LZMANumBlockThreads=4
ChangesAssociations=yes
UninstallDisplayIcon={app}\LayerLoom.exe
#ifdef IconFile
SetupIconFile={#IconFile}
#endif
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\LayerLoom"; Filename: "{app}\LayerLoom.exe"
Name: "{group}\Uninstall LayerLoom"; Filename: "{uninstallexe}"
Name: "{autodesktop}\LayerLoom"; Filename: "{app}\LayerLoom.exe"; Tasks: desktopicon

[Registry]
Root: HKA; Subkey: "Software\Classes\.llproj"; ValueType: string; ValueName: ""; ValueData: "LayerLoom.Project"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\LayerLoom.Project"; ValueType: string; ValueName: ""; ValueData: "LayerLoom project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\LayerLoom.Project\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\LayerLoom.exe,0"
Root: HKA; Subkey: "Software\Classes\LayerLoom.Project\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\LayerLoom.exe"" ""%1"""

[Run]
Filename: "{app}\LayerLoom.exe"; Description: "{cm:LaunchProgram,LayerLoom}"; Flags: nowait postinstall skipifsilent
