#!/usr/bin/env bash
# The whole test suite. The container tests need Podman from Debian's packages, the dashboard tests Debian's
# Chromium, the shell completion tests zsh and fish, the JavaScript client's pack check npm; they are installed
# here when missing (as root, as CI runs). The C# whitespace is checked against .editorconfig first, and the
# JavaScript client (Node.js 20 and npm) is packed. Extra arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"
need=()
for tool in podman runc podman-compose debootstrap chromium zsh fish npm; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} for the container, dashboard and shell completion tests (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
# The house style (.editorconfig): C# whitespace as dotnet format would write it.
dotnet restore Chainlab.sln --verbosity quiet
dotnet format whitespace Chainlab.sln --verify-no-changes --no-restore \
  || { echo "whitespace differs from .editorconfig: run 'dotnet format whitespace Chainlab.sln'" >&2; exit 1; }
# The JavaScript client packs as it is (no build step, no dependencies, offline): the tarball holds exactly its
# modules, types, package.json and README, and none of its tests.
pack=$(mktemp -d)
(cd clients/js && npm pack --offline --silent --pack-destination "$pack" >/dev/null)
tar -tzf "$pack"/chainlab-client-*.tgz | sed 's|^package/||' | sort >"$pack/got"
(cd clients/js && ls package.json README.md index.js index.d.ts src/*.js) | sort >"$pack/want"
diff -u "$pack/want" "$pack/got" || { echo "npm pack of clients/js holds other files than expected" >&2; rm -rf "$pack"; exit 1; }
rm -rf "$pack"
exec dotnet test Chainlab.sln "$@"
