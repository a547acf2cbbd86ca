# Shared by the bench/*.sh scripts (source it; it defines functions and ROOT-relative paths only).
#   bench_jar [--no-build]   builds bench/target/spindle-bench-*.jar and its classpath file when a
#                            source is newer; sets BENCH_CP to the jar plus its dependencies
#   spindle_built            builds what bin/spindle runs (if stale) before anything is timed
#   measured NAME CMD...     runs CMD, then prints its wall time, its CPU time, the CPU time every
#                            other process used meanwhile and the hypervisor's steal time; returns
#                            CMD's exit status
#   spindle_jvm_opts         sets SPINDLE_JVM_OPTS to the JVM options bin/spindle uses
#   say TEXT                 prints "== TEXT"
# Needs ROOT (the repository) and OUT (a log directory) set by the caller.

say() { echo "== $*"; }

bench_jar() {
  local jar cp_file stale=1 newer entry
  jar="$(ls "$ROOT"/bench/target/spindle-bench-*.jar 2>/dev/null | head -1 || true)"
  cp_file="$ROOT/bench/target/classpath.txt"
  if [[ -n "$jar" && -f "$cp_file" ]]; then
    newer="$(find "$ROOT"/{data,layers,optim,parallel,spark-jobs,bench}/src/main "$ROOT"/pom.xml "$ROOT"/*/pom.xml \
              -newer "$jar" -type f 2>/dev/null | head -1)"
    [[ -z "$newer" ]] && stale=0
    # the classpath names the other modules' jars in their target/ dirs; a clean there means rebuild
    while IFS= read -r entry; do [[ -e "$entry" ]] || stale=1; done < <(tr ':' '\n' < "$cp_file")
  fi
  if [[ "${1:-}" == "--no-build" && -n "$jar" && -f "$cp_file" ]]; then
    say "--no-build: using $jar as it is"
  elif [[ $stale -eq 1 ]]; then
    say "building the bench jar (mvn -o -pl bench -am package, tests skipped)"
    local build=(-q -pl bench -am -Dmaven.test.skip=true package dependency:build-classpath
                 -Dmdep.outputFile=target/classpath.txt)
    # offline first (the usual case here); online only if ~/.m2 lacks something
    (cd "$ROOT" && { mvn -o "${build[@]}" || mvn "${build[@]}"; })
    jar="$(ls "$ROOT"/bench/target/spindle-bench-*.jar | head -1)"
  else
    say "bench jar is up to date: $jar"
  fi
  BENCH_JAR="$jar"
  BENCH_CP="$jar:$(cat "$cp_file")"
}

# bin/spindle rebuilds whenever a module's source is newer than the spark-jobs jar, but Maven leaves
# that jar as it is when spark-jobs itself did not change; after a change in another module every
# call would rebuild (~1.5 min) inside the timed command. Once built, the jar and the module jars its
# classpath names are current: touching it says so.
spindle_built() {
  (cd "$ROOT" && bin/spindle conformance --help > /dev/null)
  touch "$ROOT"/spark-jobs/target/spindle-spark-jobs-*-SNAPSHOT.jar
}

# CPU accounting, so a reader can tell whether other processes competed for the 2 cores:
# busy time of the whole machine (/proc/stat) minus the CPU time of this script's own children.
HZ=$(getconf CLK_TCK)
machine_busy_s() { awk -v hz="$HZ" '/^cpu /{printf "%.2f", ($2+$3+$4+$7+$8)/hz}' /proc/stat; }
# steal: time the hypervisor ran someone else while this VM wanted the CPU
machine_steal_s() { awk -v hz="$HZ" '/^cpu /{printf "%.2f", $9/hz}' /proc/stat; }
# `times` has to run in this shell, not in $(...), to count this shell's finished children
children_cpu_to() {
  times > "$OUT/.times"
  awk 'END { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.2f", t }' \
    "$OUT/.times" > "$1"
}
measured() {
  local name="$1"; shift
  local b0 b1 s0 s1 w0 w1 rc=0
  children_cpu_to "$OUT/.c0"; b0=$(machine_busy_s); s0=$(machine_steal_s); w0=$(date +%s.%N)
  "$@" || rc=$?
  children_cpu_to "$OUT/.c1"; b1=$(machine_busy_s); s1=$(machine_steal_s); w1=$(date +%s.%N)
  awk -v n="$name" -v b0="$b0" -v b1="$b1" -v c0="$(cat "$OUT/.c0")" -v c1="$(cat "$OUT/.c1")" -v w0="$w0" -v w1="$w1" \
      -v s0="$s0" -v s1="$s1" \
    'BEGIN { b = b1 - b0; c = c1 - c0; w = w1 - w0; o = b - c; if (o < 0) o = 0
             printf "== CPU %s: %.0f s wall, this run %.1f core-s, other processes %.1f core-s (%.2f cores on average), steal %.1f core-s\n", n, w, c, o, o / w, s1 - s0 }'
  return $rc
}

# The JVM options bin/spindle starts Spindle with (the --add-opens Spark and Arrow need), read from
# bin/spindle itself so that a JVM started by a benchmark runs with exactly the same ones.
spindle_jvm_opts() {
  eval "$(sed -n '/^OPENS=(/,/)$/p' "$ROOT/bin/spindle")"
  SPINDLE_JVM_OPTS=("${OPENS[@]}")
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
