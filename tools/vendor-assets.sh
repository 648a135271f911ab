#!/usr/bin/env bash
# vendor-assets.sh refreshes ketacare's vendored front-end files.
#
# It installs pinned versions of the front-end packages from the npm registry
# into a temporary directory (never into the repository), checks each
# tarball's integrity against the value pinned below, and copies only the
# built files ketacare serves into the repository:
#
#   internal/web/static/vendor/                  embedded into the binary
#     nhsuk-frontend/  nhsuk-frontend.min.css, nhsuk-frontend.min.js,
#                      assets/images/*.svg (only those the CSS references), LICENSE
#     uplot/           uPlot.iife.min.js, uPlot.min.css, LICENSE
#     htmx/            htmx.min.js, LICENSE
#     VERSIONS         package, version, integrity, licence and every file copied
#   internal/browsertest/testdata/axe-core/      used only by browser tests
#     axe.min.js, LICENSE, LICENSE-3RD-PARTY.txt
#
# Changes made to the upstream files, all checked so that a new upstream
# layout fails loudly instead of shipping something unexpected:
#
#   - nhsuk-frontend.min.css: the @font-face rules that load the licensed
#     Frutiger font from assets.nhs.uk are removed (the font is not in the
#     package and nothing may be loaded from another site at run time); text
#     falls back to the stack's next fonts (Arial, then sans-serif). Root
#     asset URLs "/assets/..." are made relative ("assets/...") so the icons
#     resolve beside the stylesheet wherever it is served from.
#   - Every copied .js and .css file: the trailing sourceMappingURL comment is
#     removed, since the source maps are not copied.
#   - The NHS logo, favicons and app icons in the package are never copied:
#     ketacare is not an NHS service.
#   - After copying, no stylesheet may reference a URL with a scheme, a
#     protocol-relative URL or a root path.
#
# To update a package: change its version below, set its integrity to the
# output of `npm view PACKAGE@VERSION dist.integrity`, run this script and
# review the diff (including VERSIONS).
#
# Usage: tools/vendor-assets.sh          write the files into the tree
#        tools/vendor-assets.sh --check  rebuild into a temporary directory
#                                        and fail if the tree differs
set -euo pipefail

NHSUK_FRONTEND_VERSION=10.6.1
NHSUK_FRONTEND_INTEGRITY=sha512-PZorqQZjZx/A26yJoskCL9z0ib6AtkAyF0o4K/RHr8zRrJyXrUOCnMbjy0VNXsGO4tfTNMwqlkwATKs4a0xayw==
UPLOT_VERSION=1.6.32
UPLOT_INTEGRITY=sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
HTMX_VERSION=4.0.1
HTMX_INTEGRITY=sha512-oF7JgXhDW9UXCy/k1ZYFUQgzu/rm19ORWPSPNL91vPluB2PB9+MV55tyQdH/w7o2EAbTYUG5SDW1R60mdkdqGg==
AXE_CORE_VERSION=4.14.1
AXE_CORE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

mode=write
case "${1:-}" in
"") ;;
--check) mode=check ;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac

die() {
	echo "vendor-assets: $*" >&2
	exit 1
}

command -v node >/dev/null || die "node is required"
command -v npm >/dev/null || die "npm is required"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor_rel=internal/web/static/vendor
axe_rel=internal/browsertest/testdata/axe-core

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ketacare-vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# ---------------------------------------------------------------------------
# Install into the temporary directory and verify what was installed.

mkdir -p "$tmp/npm"
printf '{ "name": "ketacare-vendor", "private": true }\n' >"$tmp/npm/package.json"
(
	cd "$tmp/npm"
	npm install --save-exact --ignore-scripts --no-audit --no-fund --loglevel=error \
		"nhsuk-frontend@$NHSUK_FRONTEND_VERSION" \
		"uplot@$UPLOT_VERSION" \
		"htmx.org@$HTMX_VERSION" \
		"axe-core@$AXE_CORE_VERSION" >/dev/null
)
nm="$tmp/npm/node_modules"

node - "$tmp/npm/package-lock.json" \
	"nhsuk-frontend" "$NHSUK_FRONTEND_VERSION" "$NHSUK_FRONTEND_INTEGRITY" \
	"uplot" "$UPLOT_VERSION" "$UPLOT_INTEGRITY" \
	"htmx.org" "$HTMX_VERSION" "$HTMX_INTEGRITY" \
	"axe-core" "$AXE_CORE_VERSION" "$AXE_CORE_INTEGRITY" <<'EOF'
const fs = require("node:fs");
const [lockPath, ...pins] = process.argv.slice(2);
const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
let bad = false;
for (let i = 0; i < pins.length; i += 3) {
  const [name, version, integrity] = pins.slice(i, i + 3);
  const got = lock.packages[`node_modules/${name}`];
  if (!got) {
    console.error(`vendor-assets: ${name} was not installed`);
    bad = true;
  } else if (got.version !== version) {
    console.error(`vendor-assets: ${name}: installed ${got.version}, pinned ${version}`);
    bad = true;
  } else if (got.integrity !== integrity) {
    console.error(`vendor-assets: ${name}@${version}: integrity ${got.integrity} does not match the pinned ${integrity}`);
    bad = true;
  }
}
process.exit(bad ? 1 : 0);
EOF

# ---------------------------------------------------------------------------
# A small Node program copies files, applies the changes described above,
# checks stylesheets and records each file for VERSIONS.

cat >"$tmp/copy.js" <<'EOF'
// usage: node copy.js MANIFEST SRC DST KIND
// KIND is "plain" (byte copy), "asset" (JS or CSS: drop the source map
// comment and check stylesheet URLs) or "nhsuk-css" (asset, plus removal of
// the remote font faces and relative asset paths).
// Prints the relative URLs a stylesheet references, one per line.
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");

const [manifest, src, dst, kind] = process.argv.slice(2);
const fail = (msg) => {
  console.error(`vendor-assets: ${src}: ${msg}`);
  process.exit(1);
};

let data = fs.readFileSync(src);
const notes = [];
const urls = [];

if (kind === "asset" || kind === "nhsuk-css") {
  let text = data.toString("utf8");
  const before = text.length;
  text = text
    .replace(/\/\/# sourceMappingURL=\S+\s*$/, "")
    .replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, "");
  if (text.length !== before) notes.push("source map comment removed");
  text = text.replace(/\s*$/, "\n");

  if (kind === "nhsuk-css") {
    const faces = text.match(/@font-face\{[^}]*\}/g) || [];
    if (faces.length === 0) fail("no @font-face rules found: the stylesheet layout changed, review this script");
    for (const face of faces) {
      if (!face.includes("https://assets.nhs.uk/fonts/")) fail(`unexpected @font-face rule: ${face}`);
    }
    text = text.replace(/@font-face\{[^}]*\}/g, "");
    notes.push(`${faces.length} remote @font-face rules removed`);
    const n = (text.match(/url\((["']?)\/assets\//g) || []).length;
    text = text.replace(/url\((["']?)\/assets\//g, "url($1assets/");
    if (n > 0) notes.push(`${n} root /assets/ URLs made relative`);
  }

  if (dst.endsWith(".css")) {
    for (const m of text.matchAll(/url\(\s*(["']?)([^"')]*)\1\s*\)/g)) {
      const u = m[2];
      if (u.startsWith("data:")) continue;
      if (/^[a-z][a-z0-9+.-]*:/i.test(u) || u.startsWith("//") || u.startsWith("/")) {
        fail(`stylesheet references a non-relative URL: ${u}`);
      }
      urls.push(u.replace(/[?#].*$/, ""));
    }
    if (/@import/.test(text)) fail("stylesheet uses @import");
  }
  data = Buffer.from(text, "utf8");
}

fs.mkdirSync(path.dirname(dst), { recursive: true });
fs.writeFileSync(dst, data);
const sha = crypto.createHash("sha256").update(data).digest("hex");
fs.appendFileSync(manifest, `${sha} ${String(data.length).padStart(8)}  ${process.env.DST_REL}  <- ${process.env.SRC_REL}${notes.length ? "  (" + notes.join("; ") + ")" : ""}\n`);
for (const u of [...new Set(urls)].sort()) console.log(u);
EOF

stage="$tmp/stage"
mkdir -p "$stage/$vendor_rel" "$stage/$axe_rel"
manifest="$tmp/manifest"

# copy PACKAGE SRC DST_REL [KIND]: copy PACKAGE's file SRC (relative to the
# package) to DST_REL (relative to the repository root) in the staging tree.
copy() {
	local pkg=$1 src=$2 dst=$3 kind=${4:-plain}
	[[ -f "$nm/$pkg/$src" ]] || die "$pkg@$(pkg_version "$pkg") has no $src"
	SRC_REL="$src" DST_REL="$dst" node "$tmp/copy.js" "$manifest" "$nm/$pkg/$src" "$stage/$dst" "$kind"
}

pkg_version() {
	node -p 'require(process.argv[1]).version' "$nm/$1/package.json"
}

# The MIT licence of nhsuk-frontend, as published in the LICENSE file of its
# source repository (github.com/nhsuk/nhsuk-frontend); the npm package does
# not include a licence file.
nhsuk_frontend_licence() {
	cat <<'EOF'
MIT License

Copyright (c) 2019 NHS.UK

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF
}

# licence PACKAGE DIR_REL: copy the package's licence file(s) into DIR_REL.
licence() {
	local pkg=$1 dir=$2 found=0 f
	for f in LICENSE LICENSE.md LICENSE.txt LICENCE LICENCE.md LICENSE-3RD-PARTY.txt; do
		if [[ -f "$nm/$pkg/$f" ]]; then
			local name=$f
			[[ $f == LICENSE-3RD-PARTY.txt ]] || name=LICENSE
			copy "$pkg" "$f" "$dir/$name"
			[[ $f == LICENSE-3RD-PARTY.txt ]] || found=1
		fi
	done
	if [[ $found == 0 ]]; then
		[[ $pkg == nhsuk-frontend ]] || die "$pkg has no licence file"
		nhsuk_frontend_licence >"$tmp/nhsuk-frontend-LICENSE"
		SRC_REL="LICENSE of github.com/nhsuk/nhsuk-frontend (not in the npm package)" DST_REL="$dir/LICENSE" \
			node "$tmp/copy.js" "$manifest" "$tmp/nhsuk-frontend-LICENSE" "$stage/$dir/LICENSE" plain
	fi
}

# package_header PACKAGE: the VERSIONS block header for PACKAGE.
package_header() {
	local pkg=$1 integrity=$2
	node -e '
		const p = require(process.argv[1]);
		const repo = typeof p.repository === "string" ? p.repository : (p.repository || {}).url || "";
		console.log(`\n${p.name} ${p.version}`);
		console.log(`  licence:   ${p.license}`);
		console.log(`  integrity: ${process.argv[2]}`);
		console.log(`  source:    ${repo.replace(/^git\+/, "")}`);
		console.log(`  files:     sha256, bytes, path <- file in the package`);
	' "$nm/$pkg/package.json" "$integrity" >>"$manifest"
}

# nhsuk-frontend: compiled CSS and JS (an ES module exporting initAll) and
# the icons the CSS references.
package_header nhsuk-frontend "$NHSUK_FRONTEND_INTEGRITY"
dir=$vendor_rel/nhsuk-frontend
copy nhsuk-frontend dist/nhsuk/nhsuk-frontend.min.css "$dir/nhsuk-frontend.min.css" nhsuk-css >"$tmp/nhsuk-urls"
while IFS= read -r url; do
	case $url in
	assets/images/*.svg) copy nhsuk-frontend "dist/nhsuk/$url" "$dir/$url" >/dev/null ;;
	*) die "nhsuk-frontend.min.css references $url, which this script does not know how to vendor" ;;
	esac
done <"$tmp/nhsuk-urls"
copy nhsuk-frontend dist/nhsuk/nhsuk-frontend.min.js "$dir/nhsuk-frontend.min.js" asset >/dev/null
licence nhsuk-frontend "$dir"

# uPlot: the IIFE build (global uPlot) and its stylesheet.
package_header uplot "$UPLOT_INTEGRITY"
dir=$vendor_rel/uplot
copy uplot dist/uPlot.iife.min.js "$dir/uPlot.iife.min.js" asset >/dev/null
[[ -z "$(copy uplot dist/uPlot.min.css "$dir/uPlot.min.css" asset)" ]] ||
	die "uPlot.min.css references files this script does not vendor"
licence uplot "$dir"

# htmx: the classic script build (global htmx).
package_header htmx.org "$HTMX_INTEGRITY"
dir=$vendor_rel/htmx
copy htmx.org dist/htmx.min.js "$dir/htmx.min.js" asset >/dev/null
licence htmx.org "$dir"

# axe-core: used only by browser tests, never served by ketacare.
package_header axe-core "$AXE_CORE_INTEGRITY"
copy axe-core axe.min.js "$axe_rel/axe.min.js" >/dev/null
licence axe-core "$axe_rel"

{
	cat <<'EOF'
Vendored front-end files, written by tools/vendor-assets.sh; do not edit by hand.
To refresh or update, change the pinned versions in that script and run it.

Changes made to upstream files (see the script for the checks):
- nhsuk-frontend.min.css: the @font-face rules loading Frutiger from
  assets.nhs.uk are removed (text uses Arial, then sans-serif); root
  "/assets/" URLs are made relative, and the icons they name are copied
  beside the stylesheet under assets/images/.
- .js and .css files: the trailing sourceMappingURL comment is removed.
- The NHS logo, favicons and app icons are not copied: ketacare is not an
  NHS service and must not use the NHS logo or name.
- axe-core is for browser tests only and lives in
  internal/browsertest/testdata/axe-core/.
EOF
	cat "$manifest"
} >"$stage/$vendor_rel/VERSIONS"

# ---------------------------------------------------------------------------
# Write into the tree, or compare with it.

if [[ $mode == check ]]; then
	status=0
	for rel in "$vendor_rel" "$axe_rel"; do
		diff -r "$stage/$rel" "$root/$rel" || status=1
	done
	[[ $status == 0 ]] || die "vendored files differ from what this script produces"
	echo "vendor-assets: vendored files are up to date"
	exit 0
fi

for rel in "$vendor_rel" "$axe_rel"; do
	rm -rf "${root:?}/$rel"
	mkdir -p "$(dirname "$root/$rel")"
	cp -R "$stage/$rel" "$root/$rel"
done
echo "vendor-assets: wrote $vendor_rel and $axe_rel"
