#!/bin/sh
# Extracts the HEAD tree of a bare git directory into DEST, leaving out blobs the git directory
# does not hold (partial mirrors omit their largest files, and `git archive` stops at the first
# absent blob). Prints how many files were left out.
#
#   bench/extract-tree.sh /work/.mirror/Shopify+dawn/repo /tmp/trees/dawn
set -eu

if [ "$#" -ne 2 ]; then
    echo "usage: $0 GIT_DIR DEST" >&2
    exit 2
fi
git_dir=$1
dest=$2

listing=$(mktemp)
absent=$(mktemp)
archive=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$listing" "$absent" "$archive" "$errors"' EXIT

git --git-dir="$git_dir" ls-tree -r -z --format='%(objecttype) %(objectname) %(path)' HEAD \
    | tr '\0' '\n' | awk '$1 == "blob"' >"$listing"
cut -d' ' -f2 "$listing" | git --git-dir="$git_dir" cat-file --batch-check \
    | awk '$2 == "missing" { print $1 }' >"$absent"

set --
while IFS= read -r object; do
    path=$(awk -v o="$object" '$2 == o { sub(/^[^ ]+ [^ ]+ /, ""); print }' "$listing")
    while IFS= read -r one; do
        [ -n "$one" ] && set -- "$@" ":(exclude,literal)$one"
    done <<PATHS
$path
PATHS
done <"$absent"

# git names the absent blobs on stderr even when they are excluded; show that only on failure.
if ! git --git-dir="$git_dir" archive --format=tar -o "$archive" HEAD -- . "$@" 2>"$errors"; then
    cat "$errors" >&2
    exit 1
fi
mkdir -p "$dest"
tar -x -C "$dest" -f "$archive"
echo "$dest: $(git --git-dir="$git_dir" rev-parse HEAD), $# absent file(s) left out"
