#!/bin/sh
# Install Contact360 for the current user (no root needed).
#
#   ./install.sh            installs into ~/.local (PREFIX=~/.local)
#   PREFIX=/some/dir ./install.sh
#
# Layout: $PREFIX/lib/contact360/        the application (replaced on upgrade)
#         $PREFIX/bin/contact360          a link to it
#         $PREFIX/share/applications/contact360.desktop, $PREFIX/share/icons/hicolor/*/apps/contact360.*
# Your data (~/.local/share/contact360) and settings (~/.config/contact360) are not touched.
# Remove with $PREFIX/lib/contact360/uninstall.sh.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-"$HOME/.local"}
APPDIR="$PREFIX/lib/contact360"
BINDIR="$PREFIX/bin"
SHAREDIR="$PREFIX/share"
MANIFEST="$APPDIR/.install-manifest"

die() { echo "install.sh: $*" >&2; exit 1; }

[ -x "$HERE/contact360/contact360" ] || die "run me from the unpacked contact360 archive ($HERE/contact360/contact360 is missing)"
case "$APPDIR" in
    *'"'* | *'`'* | *'$'* | *'\'* ) die "PREFIX must not contain quotes, backquotes, \$ or backslashes: $PREFIX" ;;
esac

# Refuse to overwrite something that is not a previous Contact360 install.
if [ -e "$APPDIR" ] && [ ! -f "$MANIFEST" ] && [ ! -x "$APPDIR/contact360" ]; then
    die "$APPDIR exists and is not a Contact360 installation; move it away first"
fi

mkdir -p "$PREFIX/lib" "$BINDIR" "$SHAREDIR/applications"

# Copy next to the target, then swap: a failed copy leaves the old version in place.
STAGE="$PREFIX/lib/.contact360.new.$$"
trap 'rm -rf "$STAGE"' EXIT INT TERM
rm -rf "$STAGE"
cp -R "$HERE/contact360" "$STAGE"
cp "$HERE/uninstall.sh" "$STAGE/uninstall.sh"
chmod 755 "$STAGE/uninstall.sh"
if [ -e "$APPDIR" ]; then
    rm -rf "$APPDIR.old"
    mv "$APPDIR" "$APPDIR.old"
fi
mv "$STAGE" "$APPDIR"
rm -rf "$APPDIR.old"
trap - EXIT INT TERM

: > "$MANIFEST"
record() { printf '%s\n' "$1" >> "$MANIFEST"; }

# Command-line launcher.
ln -sfn "$APPDIR/contact360" "$BINDIR/contact360"
record "$BINDIR/contact360"

# Icons.
for icon in "$HERE"/share/icons/hicolor/*/apps/contact360.*; do
    [ -f "$icon" ] || continue
    rel=${icon#"$HERE/share/"}
    mkdir -p "$SHAREDIR/$(dirname "$rel")"
    cp "$icon" "$SHAREDIR/$rel"
    record "$SHAREDIR/$rel"
done

# Desktop entry: Exec is quoted (the path may hold spaces), % doubled as the spec requires.
exec_path=$(printf '%s' "$APPDIR/contact360" | sed 's/%/%%/g')
sed -e "s|@EXEC@|\"$exec_path\"|" -e "s|@TRYEXEC@|$APPDIR/contact360|" \
    "$HERE/share/applications/contact360.desktop.in" > "$SHAREDIR/applications/contact360.desktop"
chmod 644 "$SHAREDIR/applications/contact360.desktop"
record "$SHAREDIR/applications/contact360.desktop"

# Let menus pick up the entry and icons now (optional tools; harmless when missing).
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$SHAREDIR/applications" 2>/dev/null || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$SHAREDIR/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$SHAREDIR/icons/hicolor" 2>/dev/null || true
fi

echo "Contact360 installed in $APPDIR"
case ":${PATH:-}:" in
    *":$BINDIR:"*) echo "Start it from your applications menu or with: contact360" ;;
    *) echo "Start it from your applications menu or with: $BINDIR/contact360 ($BINDIR is not on your PATH)" ;;
esac
echo "Check the installation with: $BINDIR/contact360 --selftest"
