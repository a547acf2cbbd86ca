package io.spindle.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * Every regular file under a directory with its size, modification time and CRC32C, to prove that
 * a command changed or deleted nothing that was there before it ran.
 */
final class FileTreeSnapshot {
    private final Path root;
    private final Map<String, String> files;

    private FileTreeSnapshot(Path root, Map<String, String> files) {
        this.root = root;
        this.files = files;
    }

    static FileTreeSnapshot of(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                files.put(root.relativize(p).toString(), fingerprint(p));
            }
        }
        return new FileTreeSnapshot(root, files);
    }

    private static String fingerprint(Path p) {
        CRC32C crc = new CRC32C();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) crc.update(buffer, 0, n);
            return Files.size(p) + "/" + Files.getLastModifiedTime(p).toMillis() + "/" + Long.toHexString(crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Files of this snapshot that are now changed or gone, as "changed x" / "deleted x". */
    List<String> changesSince() throws IOException {
        FileTreeSnapshot now = of(root);
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, String> e : files.entrySet()) {
            String current = now.files.get(e.getKey());
            if (current == null) changes.add("deleted " + e.getKey());
            else if (!current.equals(e.getValue())) changes.add("changed " + e.getKey());
        }
        return changes;
    }

    /** Files that exist now but did not, outside {@code allowedPrefix} (null: none allowed). */
    List<String> createdSince(String allowedPrefix) throws IOException {
        FileTreeSnapshot now = of(root);
        List<String> created = new ArrayList<>();
        for (String name : now.files.keySet()) {
            if (!files.containsKey(name) && (allowedPrefix == null || !name.startsWith(allowedPrefix))) {
                created.add(name);
            }
        }
        return created;
    }
}
