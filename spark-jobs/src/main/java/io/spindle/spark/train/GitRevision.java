package io.spindle.spark.train;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The code revision recorded in checkpoint manifests, read from {@code spindle-build.properties}
 * that the build writes into the jar. "unknown" when the build had no git checkout.
 */
public final class GitRevision {
    private static final String RESOURCE = "/io/spindle/spark/spindle-build.properties";

    private GitRevision() {}

    public static String current() {
        try (InputStream in = GitRevision.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String rev = p.getProperty("git.revision", "unknown");
            return rev.isBlank() || rev.startsWith("${") ? "unknown" : rev;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
