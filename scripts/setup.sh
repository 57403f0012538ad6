#!/usr/bin/env bash
# Set up everything gptanim needs, checking before installing so a second run takes seconds.
#
#   scripts/setup.sh          install what is missing (Debian packages when root, the venv, reveal.js)
#   scripts/setup.sh --check  only report what is missing; change nothing (exit 1 if anything is)
#
# GPTANIM_APT_PACKAGES overrides the Debian package list (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

# The presenter (Qt for Python, in the venv) needs Qt's X11 (xcb), OpenGL and sound libraries; the tests
# run it under Xvfb, press keys with xdotool and read the handout with pdftotext (poppler-utils).
# tesseract-ocr reads the words on rendered frames back (bench/screen_words.py).
QT_PACKAGES="libegl1 libgl1 libfontconfig1 libglib2.0-0 libdbus-1-3 libpulse0 libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 libxrandr2"
APT_PACKAGES=${GPTANIM_APT_PACKAGES:-"libcairo2-dev libpango1.0-dev pkg-config texlive-latex-base texlive-latex-extra dvisvgm fonts-wqy-microhei fonts-symbola chromium $QT_PACKAGES xvfb xdotool poppler-utils tesseract-ocr"}
PYTHON=${PYTHON:-python3}
VENV=.venv
REVEAL_VERSION=6.0.1
REVEAL_DIR=third_party/reveal.js
STAMP=$VENV/.gptanim-installed
missing=0

say() { printf 'setup: %s\n' "$*"; }

# 1. Debian packages ------------------------------------------------------------
need_apt=()
for pkg in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    line="apt-get install -y --no-install-recommends ${need_apt[*]}"
    if [ "$CHECK" = 1 ]; then
        say "missing Debian packages: ${need_apt[*]} (install with: $line)"
        missing=1
    elif [ "$(id -u)" = 0 ]; then
        say "installing Debian packages: ${need_apt[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive $line
    else
        say "missing Debian packages: ${need_apt[*]}"
        say "run as root:  sudo apt-get update && sudo $line"
        exit 1
    fi
else
    say "Debian packages: ok"
fi

# 2. Python environment -------------------------------------------------------------
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    say "Python environment $VENV: ok"
elif [ "$CHECK" = 1 ]; then
    say "Python environment $VENV: missing or out of date (run scripts/setup.sh)"
    missing=1
else
    "$PYTHON" -c 'import sys; assert sys.version_info[:2] in ((3, 11), (3, 12)), sys.version' 2>/dev/null || {
        say "gptanim needs Python 3.11 or 3.12 as $PYTHON"; exit 1; }
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    say "installing Python packages into $VENV (pinned in constraints.txt)"
    # torch first and alone, exactly pinned, so that nothing can pull a CUDA build.
    "$VENV/bin/pip" install -q --disable-pip-version-check "torch==$(grep '^torch==' constraints.txt | cut -d= -f3)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -c constraints.txt -e ".[dev,voice]"
    echo "$want" > "$STAMP"
fi

# 3. reveal.js for offline slide decks ---------------------------------------------
if [ -f "$REVEAL_DIR/dist/reveal.js" ]; then
    say "reveal.js $REVEAL_VERSION: ok"
elif [ "$CHECK" = 1 ]; then
    say "reveal.js: missing (slides will need it; run scripts/setup.sh)"
    missing=1
else
    say "fetching reveal.js $REVEAL_VERSION from the npm registry"
    tmp=$(mktemp -d)
    if (cd "$tmp" && npm pack -q "reveal.js@$REVEAL_VERSION" >/dev/null 2>&1); then
        mkdir -p "$REVEAL_DIR"
        tar -xzf "$tmp"/reveal.js-*.tgz -C "$REVEAL_DIR" --strip-components=1
    else
        say "warning: could not fetch reveal.js (offline?); slide decks will not work offline"
    fi
    rm -rf "$tmp"
fi

# 4. the presenter: Qt's X11 platform plugin must find every library it links to ---------------
qxcb=$(ls "$VENV"/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so 2>/dev/null | head -n1 || true)
if [ -z "$qxcb" ]; then
    if [ -x "$VENV/bin/python" ]; then
        say "presenter: Qt for Python is missing from $VENV (run scripts/setup.sh)"
        missing=1
    fi
else
    unresolved=$(ldd "$qxcb" "$(dirname "$qxcb")"/../../lib/libQt6XcbQpa.so.6 2>/dev/null | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
    if [ -n "$unresolved" ]; then
        say "presenter: Qt cannot open a window, libraries not found: $unresolved(see QT_PACKAGES in scripts/setup.sh)"
        missing=1
    else
        say "presenter (Qt): ok"
    fi
fi

if [ "$missing" = 1 ]; then
    exit 1
fi
say "ready"
