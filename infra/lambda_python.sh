#!/bin/bash
# The Lambda runtime's interpreter (CPython 3.13) for the package's tests and bench only: never in
# the zip. This Debian 12 has no 3.13 and only Debian/PyPI/npm registries are reachable, so it
# takes Debian 13 (trixie)'s python3.13 .debs with apt's ordinary client (a private source list and
# cache: the machine's apt setup is not touched), unpacks them with dpkg -x and runs them through
# trixie's own libc loader (its python3.13 needs glibc >= 2.38; the host has 2.36).
#
#   infra/lambda_python.sh [DIR]      # default .local/python3.13; prints DIR/bin/python3.13
#
# The wrapper passes -S: no site-packages at all (the host's /usr/lib/python3/dist-packages holds
# 3.11 packages), like a Lambda function that sees only /var/task and the runtime's boto3.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(realpath -m "${1:-$here/.local/python3.13}")"
python="$dir/bin/python3.13"
if [ -x "$python" ] && "$python" -c 'import ssl, sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
    echo "$python"
    exit 0
fi

packages=(python3.13-minimal libpython3.13-minimal libpython3.13-stdlib libc6 libssl3t64 libexpat1 zlib1g
          libbz2-1.0 libffi8 liblzma5 libuuid1 libzstd1)
work="$dir.download"
rm -rf "$dir" "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$work/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian trixie main
deb [signed-by=$keyring] http://deb.debian.org/debian-security trixie-security main
EOF
apt_options=(-o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=/nonexistent
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::State::status=/dev/null
             -o APT::Architecture=amd64 -o APT::Sandbox::User=root -qq)
apt-get "${apt_options[@]}" update >/dev/null
(cd "$work/debs" && apt-get "${apt_options[@]}" download "${packages[@]}" >/dev/null)
mkdir -p "$dir/root" "$dir/bin"
for deb in "$work"/debs/*.deb; do
    dpkg -x "$deb" "$dir/root"
done
ls "$work"/debs/*.deb | xargs -n1 basename > "$dir/PACKAGES"
rm -rf "$work"

cat > "$python" <<'EOF'
#!/bin/sh
# CPython 3.13 from Debian trixie's .debs, run by trixie's own glibc (infra/lambda_python.sh).
root="$(cd "$(dirname "$0")/../root" && pwd)"
libs="$root/usr/lib/x86_64-linux-gnu"
exec "$libs/ld-linux-x86-64.so.2" --library-path "$libs" "$root/usr/bin/python3.13" -S "$@"
EOF
chmod +x "$python"
# The Lambda runtime's standard library comes compiled; Debian compiles it at install time.
"$python" -m compileall -q -x '/(test|idlelib|tkinter|turtledemo)/' "$dir/root/usr/lib/python3.13" >/dev/null || true
"$python" -c 'import ssl, sys; assert sys.version_info[:2] == (3, 13), sys.version' >&2
echo "$python"
