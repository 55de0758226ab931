#!/bin/bash
# Mutation testing of the packages where a wrong line costs tokens: the root
# package, storekit (the store authors' save planning and lock waits), auth,
# memory, filestore, storetest (the conformance kit) and the command's
# migrate (cmd/zohoauth/migrate.go).
#
# It runs gremlins (github.com/go-gremlins/gremlins, a Go module installed
# with `go install` when missing): for each package, gremlins applies one
# classic mutation at a time to the package's source (a flipped or negated
# comparison, + for -, ++ for --, a dropped minus sign) in a copy of the
# module, runs the package's tests, and counts the mutant KILLED when they
# fail and LIVED when they pass. Efficacy = killed / (killed + lived); the
# goal is 85% for each package. Mutants no test reaches are NOT COVERED, and
# those whose tests ran past their time TIMED OUT (both outside the
# efficacy).
#
# Too slow for every CI run: every mutant rebuilds the package's test binary
# and reruns its tests (10 to 20 s a mutant on a busy two-core machine, so
# hours for every package; the memory package alone, 39 mutants, takes about
# half a minute on an idle one).
#
# Timeouts: gremlins stops a mutant's `go test` (build and run) after the
# coverage run's time times the coefficient, and counts it TIMED OUT. The
# coverage run is the package's tests on a warm build cache; a mutant's run
# also rebuilds the package and its dependents, and on a loaded machine that
# build alone outlasted 3 times the coverage run (mutants of auth came out
# TIMED OUT). So the coefficient is 10 (COEFFICIENT=), the coverage run
# takes -count=1 so that a cached test result cannot shrink it, and the go
# command handed to gremlins (scripts/mutation-shim/go) makes the coverage
# run last at least MIN_COVERAGE seconds (default 6): a mutant gets at
# least a minute. A mutant that makes a loop endless is counted TIMED OUT
# after its time instead of hanging the run. For the root package gremlins'
# coverage run is the whole module (./...), which made that time many
# minutes: the shim turns that ./... into the root package alone.
# Run it, a package at a time, before resolving an issue that touches these
# packages, and triage each LIVED mutant: a test that kills it, or a reason
# it is equivalent.
#
#   scripts/mutation.sh                    # every package
#   scripts/mutation.sh memory auth        # some of them
#   WORKERS=2 scripts/mutation.sh filestore
#   FILES='store\.go' scripts/mutation.sh filestore  # some files of one package
#
# FILES (an extended regexp matched against the file names of the package's
# directory) keeps only the mutants of the files it matches: gremlins v0.6.0
# has no way to pick mutants by line, nor a timeout per file or per mutant
# (--timeout-coefficient is for the whole run); it excludes by file (-E) and
# by mutant type (--increment-decrement=false and so on), so a file whose
# mutants loop forever (filestore's csv.go) is best run on its own.
#
# The database suites run when their ZOHOAUTH_TEST_* variables are set (the
# defaults below are the local services of .ci/services.sh). Reports go to
# $OUT (default .mutation/): <package>.txt, the list of mutants, and
# <package>.json; the last lines of each .txt are its summary.
set -euo pipefail
cd "$(dirname "$0")/.."

GREMLINS_VERSION=v0.6.0
GREMLINS=${GREMLINS:-$(go env GOPATH)/bin/gremlins}
if [ ! -x "$GREMLINS" ]; then
  go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

export ZOHOAUTH_TEST_MYSQL_DSN=${ZOHOAUTH_TEST_MYSQL_DSN-'root@tcp(127.0.0.1:3306)/test?parseTime=true'}
export ZOHOAUTH_TEST_POSTGRES_DSN=${ZOHOAUTH_TEST_POSTGRES_DSN-'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'}
export ZOHOAUTH_TEST_REDIS_ADDR=${ZOHOAUTH_TEST_REDIS_ADDR-'127.0.0.1:6379'}

OUT=${OUT:-.mutation}
WORKERS=${WORKERS:-1}
COEFFICIENT=${COEFFICIENT:-10}
MIN_COVERAGE=${MIN_COVERAGE:-6}
GO=$(command -v go) # before the shim comes first on PATH
TIMEOUT=${TIMEOUT:-3600} # seconds per package
mkdir -p "$OUT"

packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(. storekit auth memory filestore storetest cmd/zohoauth)

status=0
for pkg in "${packages[@]}"; do
  name=${pkg//\//-}
  [ "$pkg" = . ] && name=root
  args=()
  flags="-short -count=1" # no multi-process runs: they test processes, not lines
  scan=
  mutpkg=
  case $pkg in
  .)
    args+=(-E '^[^/]+/') # the root package's files, not its subpackages
    scan=.
    ;;
  cmd/zohoauth)
    # migrate.go alone, with its tests.
    for f in cmd/zohoauth/*.go; do
      f=${f##*/}
      [ "$f" = migrate.go ] || args+=(-E "^${f//./\\.}\$")
    done
    flags="$flags -run=^(TestMigrate|TestDrawBar)"
    # A package main: gremlins would run the root package's tests for its
    # mutants (see scripts/mutation-shim/go).
    mutpkg=github.com/zohoauth/zohoauth/cmd/zohoauth
    ;;
  esac
  if [ -n "${FILES:-}" ]; then
    for f in "$pkg"/*.go; do
      f=${f##*/}
      case $f in *_test.go) continue ;; esac
      grep -qE "$FILES" <<<"$f" || args+=(-E "^${f//./\\.}\$")
    done
  fi
  echo "== $pkg"
  if ! PATH="$PWD/scripts/mutation-shim:$PATH" MUTATION_GO=$GO MUTATION_SCAN=$scan MUTATION_PKG=$mutpkg \
    MUTATION_MIN_COVERAGE=$MIN_COVERAGE \
    GOFLAGS="$flags" timeout "$TIMEOUT" "$GREMLINS" unleash \
    --workers "$WORKERS" --timeout-coefficient "$COEFFICIENT" \
    --threshold-efficacy 85 -o "$OUT/$name.json" "${args[@]}" "$pkg" >"$OUT/$name.txt" 2>&1; then
    status=1
  fi
  grep -E '^ +LIVED' "$OUT/$name.txt" || true
  tail -n 5 "$OUT/$name.txt"
done
exit $status
