# shellcheck shell=bash
# Sourced by scripts/serve and scripts/test (not run on its own).
#
# venv_ensure: make sure ./.venv holds exactly what requirements-dev.txt (the
# lockfile, written by ./scripts/lock) lists, reinstalling only when that file
# changed since the last install. The stamp holds a hash of the lockfile rather
# than relying on mtimes, which a fresh `git clone` resets. The app itself is not
# installed: it runs from this checkout (manage.py, pytest's rootdir).

venv_ensure() {
    local root venv stamp lock python want have
    root=$(pwd)
    venv="$root/.venv"
    lock="$root/requirements-dev.txt"
    stamp="$venv/.paperclub-lock.sha256"

    # A venv whose interpreter no longer runs (moved checkout, Python removed or
    # upgraded) is rebuilt rather than patched.
    if [[ -e "$venv" ]] && ! "$venv/bin/python" -c "import sys" >/dev/null 2>&1; then
        echo "==> .venv is broken (its Python does not run); recreating it"
        rm -rf "$venv"
    fi

    if [[ ! -x "$venv/bin/python" ]]; then
        python=$(_venv_pick_python) || return 1
        echo "==> Creating .venv with $("$python" --version 2>&1) ($python)"
        if ! "$python" -m venv "$venv"; then
            echo "error: '$python -m venv' failed. On Debian/Ubuntu: apt-get install python3-venv" >&2
            return 1
        fi
    fi

    want=$(_venv_hash "$lock")
    have=$(cat "$stamp" 2>/dev/null || true)
    if [[ "$want" != "$have" ]]; then
        echo "==> Installing the locked dependencies into .venv (requirements-dev.txt is new or changed)"
        # Exact versions, every file checked against its hash (pip itself is in
        # the lockfile too, so the bundled one upgrades to the locked one).
        if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r "$lock"; then
            echo "error: 'pip install --require-hashes -r requirements-dev.txt' failed; see pip's message above" >&2
            return 1
        fi
        # ...and nothing else: what a lockfile change dropped leaves .venv too, so
        # an import of an undeclared package fails here as it would on CI.
        if ! "$venv/bin/pip-sync" --quiet --pip-args "--disable-pip-version-check" "$lock"; then
            echo "error: 'pip-sync requirements-dev.txt' failed; see its message above" >&2
            return 1
        fi
        echo "$want" >"$stamp"
    fi
}

# The interpreter for a new venv: $PYTHON if given, else python3.11, else python3,
# checked against pyproject.toml's requires-python (>=3.11,<3.12).
_venv_pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: Paper Club needs Python 3.11 (found: $(python3 --version 2>&1 || echo none))." >&2
    echo "       Install python3.11 or set PYTHON=/path/to/python3.11" >&2
    return 1
}

_venv_hash() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}
