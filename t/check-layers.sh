#!/usr/bin/env bash
# t/check-layers.sh [LIBDIR]: no #include in lib/ climbs a layer.
#
# The layers and what each may use are read from LIBDIR/CMakeLists.txt
# (default: lib/ beside this script), the one place they are declared:
#
#	ticketd_layer(NAME ticketd_LOWER … OTHER_LIBS …)
#
# A file in LIBDIR/NAME/ may include its own folder's headers and those of
# the layers NAME links, directly or through them.  Fails (exit 1, one
# line per problem) on an include of a higher or unrelated layer, on a
# header that no layer holds or that two hold, on a folder of LIBDIR that
# declares no layer, and on a source file lying in LIBDIR itself.
set -u

lib=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib" && pwd)}
cmake=$lib/CMakeLists.txt
if [ ! -f "$cmake" ]; then
	echo "check-layers: no '$cmake'" >&2
	exit 2
fi

# "NAME DEP DEP …" per layer (DEP without its ticketd_ prefix), comments
# stripped, a call may span lines.
layers=$(sed -e 's/#.*//' "$cmake" | tr '\n' ' ' |
	grep -o 'ticketd_layer([^)]*)' |
	sed -e 's/^ticketd_layer(//' -e 's/)$//' |
	awk '{ line = $1; for (i = 2; i <= NF; i++) if ($i ~ /^ticketd_/) { sub(/^ticketd_/, "", $i); line = line " " $i } print line }')
if [ -z "$layers" ]; then
	echo "check-layers: $cmake declares no ticketd_layer()" >&2
	exit 2
fi

declare -A deps allowed
for name in $(printf '%s\n' "$layers" | awk '{ print $1 }'); do
	deps[$name]=$(printf '%s\n' "$layers" | awk -v n="$name" '$1 == n { $1 = ""; print }')
done

# allowed[NAME]: " NAME DEP … " with every layer reachable through the links.
closure () {
	local todo=$1 seen=" " l d
	while [ -n "$todo" ]; do
		set -- $todo
		l=$1
		shift
		todo=$*
		case $seen in *" $l "*) continue ;; esac
		seen="$seen$l "
		for d in ${deps[$l]:-}; do
			todo="$todo $d"
		done
	done
	printf '%s' "$seen"
}
for name in "${!deps[@]}"; do
	allowed[$name]=$(closure "$name")
done

bad=0
problem () {
	echo "check-layers: $*"
	bad=1
}

for f in "$lib"/*.c "$lib"/*.h; do
	[ -e "$f" ] && problem "${f#"$lib"/}: lies outside every layer"
done
for d in "$lib"/*/; do
	name=$(basename "$d")
	[ -n "${deps[$name]+x}" ] || problem "$name/: a folder that declares no layer in CMakeLists.txt"
done

# The layer that holds header h ("" none, "a b" several).
owner () {
	local found= l
	for l in "${!deps[@]}"; do
		[ -f "$lib/$l/$1" ] && found="$found${found:+ }$l"
	done
	printf '%s' "$found"
}

for name in "${!deps[@]}"; do
	for f in "$lib/$name"/*.c "$lib/$name"/*.h; do
		[ -e "$f" ] || continue
		rel=${f#"$lib"/}
		while IFS=: read -r lineno inc; do
			h=$(printf '%s' "$inc" | sed -e 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"//' -e 's/".*//')
			[ -f "$lib/$name/$h" ] && continue
			o=$(owner "$h")
			case $o in
			"") problem "$rel:$lineno: includes \"$h\", which no layer holds" ;;
			*" "*) problem "$rel:$lineno: includes \"$h\", held by several layers ($o)" ;;
			*)
				case ${allowed[$name]} in
				*" $o "*) ;;
				*) problem "$rel:$lineno: includes \"$h\" of layer $o, which $name may not use (it uses:${allowed[$name]% })" ;;
				esac ;;
			esac
		done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	done
done
exit $bad
