#!/usr/bin/env bash
# Installs everything docgen needs on a fresh Debian 12 machine (as root), into .venv/.
#   scripts/setup.sh          the tool: Debian's LibreOffice and fonts, then docgen itself
#   scripts/setup.sh --test   the same, plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

# python3-uno drives a LibreOffice kept running; its Python script provider lets docgen convert
# each document inside LibreOffice in one call (docgen/convert/in_office.py).
packages=(python3 python3-venv python3-pip libreoffice-writer-nogui fonts-liberation2
          fonts-crosextra-carlito poppler-utils python3-uno libreoffice-script-provider-python)
command -v npm >/dev/null || packages+=(npm)  # a Node.js installed otherwise brings its own npm
# The browser tests drive Debian's Chromium (never a browser Playwright downloads).
[ "${1:-}" = "--test" ] && packages+=(chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "docgen needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 2; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
# An editable install leaves docgen's own modules uncompiled; where Python may not write
# __pycache__ (PYTHONDONTWRITEBYTECODE, a read-only checkout) every command would compile them.
.venv/bin/python -m compileall -q docgen >/dev/null
# The web workspace's look: GOV.UK Frontend from its npm package, kept outside git in .venv/
# (docgen.serve.web.assets_folder; DOCGEN_WEB_ASSETS overrides). axe-core checks pages in tests.
web=.venv/share/docgen-web
mkdir -p "$web"
web_packages=(govuk-frontend@6.6.0)
[ "${1:-}" = "--test" ] && web_packages+=(axe-core@4.14.1)
npm install --prefix "$web" --no-save --no-audit --no-fund --silent "${web_packages[@]}"
echo "docgen is ready: .venv/bin/docgen --help"
