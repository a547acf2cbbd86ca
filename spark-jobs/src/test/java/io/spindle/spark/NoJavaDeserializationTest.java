package io.spindle.spark;

import io.spindle.data.shard.TokenShardReader;
import io.spindle.parallel.comm.TcpRingCommunicator;
import io.spindle.parallel.net.SecretHandshake;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing Spindle reads from the network (ring frames, metrics rows, handshakes) or from files is
 * Java-deserialized: no Spindle class refers to ObjectInputStream or XMLDecoder. Checked on the
 * compiled classes, whose constant pools name every class they use, so a new use anywhere fails here.
 */
@Tag("security")
class NoJavaDeserializationTest {
    private static final List<String> FORBIDDEN = List.of("java/io/ObjectInputStream", "java/beans/XMLDecoder");

    @Test
    void noSpindleClassUsesJavaDeserialization() throws Exception {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        for (Class<?> anchor : List.of(SpindleMain.class, TcpRingCommunicator.class, SecretHandshake.class,
                TokenShardReader.class)) {
            collect(Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI()), classes);
        }
        assertTrue(classes.keySet().stream().anyMatch(n -> n.endsWith("io/spindle/parallel/comm/RingLinks.class"))
                && classes.keySet().stream().anyMatch(n -> n.endsWith("io/spindle/spark/train/MetricsServer.class")),
                "the network classes are among those checked");
        List<String> uses = new ArrayList<>();
        classes.forEach((name, bytes) -> {
            String constants = new String(bytes, StandardCharsets.ISO_8859_1);
            for (String f : FORBIDDEN) if (constants.contains(f)) uses.add(name + " uses " + f);
        });
        assertEquals(List.of(), uses);
        // the check can fail: java.io's own ObjectStreamClass refers to ObjectInputStream
        try (InputStream in = Object.class.getResourceAsStream("/java/io/ObjectStreamClass.class")) {
            assertTrue(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(FORBIDDEN.get(0)));
        }
    }

    /** Every io/spindle class under a classes directory or in a jar. */
    private static void collect(Path root, Map<String, byte[]> out) throws IOException, URISyntaxException {
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    String name = root.relativize(p).toString().replace('\\', '/');
                    if (name.startsWith("io/spindle/") && name.endsWith(".class")) out.put(name, Files.readAllBytes(p));
                }
            }
            return;
        }
        try (JarFile jar = new JarFile(root.toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (entry.getName().startsWith("io/spindle/") && entry.getName().endsWith(".class")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        out.put(entry.getName(), in.readAllBytes());
                    }
                }
            }
        }
    }
}
