#!/usr/bin/env bash
# Writes the `spindle-java` Jupyter kernelspec: the rapaio Java kernel (JShell, from Maven Central)
# started with Spindle and Spark on its classpath, so notebook cells call Spindle's API directly.
#
#   notebooks/install-kernel.sh [JUPYTER_DATA_DIR]      (default: notebooks/target/jupyter)
#   JUPYTER_PATH=notebooks/target/jupyter /usr/bin/jupyter notebook notebooks/
#
# The kernelspec lands in JUPYTER_DATA_DIR/kernels/spindle-java; give ~/.local/share/jupyter to
# install it for the user. It points at the jars in the build's target/ directories, so a rebuild
# (bin/spindle does one when sources changed) is picked up by the next kernel start.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${1:-$ROOT/notebooks/target/jupyter}"
SPINDLE_JAR="$ROOT/spark-jobs/target/spindle-spark-jobs-0.1.0-SNAPSHOT.jar"
CLASSPATH_FILE="$ROOT/spark-jobs/target/classpath.txt"
KERNEL_JAR="$ROOT/it/target/jupyter/rapaio-jupyter-kernel.jar"

# bin/spindle builds Spindle when it is missing or older than its sources.
"$ROOT/bin/spindle" --version >/dev/null
if [ ! -f "$KERNEL_JAR" ]; then
  echo "install-kernel: fetching the rapaio Jupyter kernel (the it module's pom names its version)..." >&2
  (cd "$ROOT" && mvn -B -q -pl it dependency:copy@jupyter-kernel) >&2
fi

JAVA="$(command -v "${JAVA_HOME:+$JAVA_HOME/bin/}java")"
SPINDLE_CP="$SPINDLE_JAR:$(cat "$CLASSPATH_FILE")"
SPEC="$DEST/kernels/spindle-java"
mkdir -p "$SPEC"
# The kernel reads java.util.logging's settings from the first logging.properties on its classpath.
# Its own says FINEST, which hands janino's trace calls to the JUL-to-SLF4J bridge Spark installs, and
# formatting them crashes Spark's code generation (StringIndexOutOfBoundsException in janino's
# Descriptor): this one, first on the classpath, keeps JUL at INFO.
cat > "$SPEC/logging.properties" <<'PROPS'
handlers = java.util.logging.ConsoleHandler
.level = INFO
java.util.logging.ConsoleHandler.level = INFO
java.util.logging.ConsoleHandler.formatter = java.util.logging.SimpleFormatter
java.util.logging.SimpleFormatter.format = [%1$tF %1$tT] [%4$-7s] %5$s %n
PROPS
# The launcher (see its comment) is compiled into the spec's directory.
"${JAVA_HOME:+$JAVA_HOME/bin/}javac" -d "$SPEC" -cp "$KERNEL_JAR" "$ROOT/notebooks/kernel/SpindleKernelLauncher.java"
# The spec's directory (logging.properties, the launcher), Spindle, then the kernel's fat jar last: where
# both carry a library (commons-codec), Spark's version wins. The JVM flags are bin/spindle's: Spark on
# Java 17 needs these opens, and the Vector API module runs COAT's SIMD codec.
/usr/bin/python3 - "$SPEC" "$JAVA" "$SPINDLE_CP" "$KERNEL_JAR" <<'PY'
import json, sys
spec_dir, java, spindle_cp, kernel_jar = sys.argv[1:]
opens = [f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in (
    "java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
    "java.util.concurrent", "java.util.concurrent.atomic", "jdk.internal.ref", "sun.nio.ch", "sun.nio.cs",
    "sun.security.action", "sun.util.calendar")]
spec = {
    "argv": [java, *opens, "-Djdk.reflect.useDirectMethodHandle=false", "-Dio.netty.tryReflectionSetAccessible=true",
             "--add-modules=jdk.incubator.vector", "-cp", spec_dir + ":" + spindle_cp + ":" + kernel_jar, "SpindleKernelLauncher", "{connection_file}"],
    "display_name": "Spindle (Java 17)",
    "language": "java",
    "interrupt_mode": "message",
    # Cells run in the kernel's own JVM and JShell compiles them against its classpath, so
    # RJK_CLASSPATH stays empty: adding ~250 jars there took the kernel long enough to start that it
    # lost the client's first request (an NPE in its Shell channel).
    "env": {"RJK_CLASSPATH": "", "RJK_COMPILER_OPTIONS": "", "RJK_INIT_SCRIPT": "", "RJK_TIMEOUT_MILLIS": "-1"},
}
with open(spec_dir + "/kernel.json", "w") as f:
    json.dump(spec, f, indent=1)
PY
echo "spindle-java kernelspec written to $DEST/kernels/spindle-java (use JUPYTER_PATH=$DEST)"
