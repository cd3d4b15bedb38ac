#!/bin/sh
# Remove a per-user Contact360 installation made by install.sh.
#
#   ~/.local/lib/contact360/uninstall.sh           removes the application, keeps your data
#   ~/.local/lib/contact360/uninstall.sh --purge   also deletes your contacts database and settings
#
# Run from the unpacked archive instead, it removes the installation under PREFIX (default ~/.local).
set -eu

PURGE=0
for arg in "$@"; do
    case "$arg" in
        --purge) PURGE=1 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "uninstall.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -f "$HERE/.install-manifest" ]; then
    APPDIR=$HERE
else
    APPDIR="${PREFIX:-"$HOME/.local"}/lib/contact360"
fi
MANIFEST="$APPDIR/.install-manifest"
[ -f "$MANIFEST" ] || { echo "uninstall.sh: no Contact360 installation in $APPDIR" >&2; exit 1; }

# Stop here if the app (or one of its workers or its database) is still running from this folder.
for proc in /proc/[0-9]*; do
    exe=$(readlink "$proc/exe" 2>/dev/null) || continue
    case "$exe" in
        "$APPDIR"/*)
            echo "uninstall.sh: Contact360 is still running from $APPDIR (process ${proc#/proc/}); quit it first" >&2
            exit 1 ;;
    esac
done

while IFS= read -r path; do
    [ -n "$path" ] || continue
    case "$path" in
        */bin/contact360)
            # Only our link, never a file someone else put there.
            if [ -L "$path" ]; then rm -f "$path"; fi ;;
        *) rm -f "$path" ;;
    esac
done < "$MANIFEST"

SHAREDIR=$(dirname "$(dirname "$APPDIR")")/share
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$SHAREDIR/applications" 2>/dev/null || true
fi
cd /
rm -rf "$APPDIR"
echo "Contact360 removed from $APPDIR"

if [ "$PURGE" = 1 ]; then
    DATA="${XDG_DATA_HOME:-$HOME/.local/share}/contact360"
    CONFIG="${XDG_CONFIG_HOME:-$HOME/.config}/contact360"
    rm -rf "$DATA" "$CONFIG"
    echo "Removed your Contact360 data ($DATA) and settings ($CONFIG)"
else
    echo "Your data (${XDG_DATA_HOME:-$HOME/.local/share}/contact360) was kept; use --purge to delete it"
fi
