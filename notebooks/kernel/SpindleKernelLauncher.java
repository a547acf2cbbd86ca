import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.logging.LogManager;

/**
 * Starts the rapaio Java kernel as its MainApp does, but makes a request that arrives while the
 * kernel is still starting wait instead of killing it. The kernel (3.0.1) binds its sockets first
 * and builds its message handlers only after JShell is up; with Spark's ~250 jars on the classpath
 * that takes seconds, and the client's first kernel_info_request, arriving meanwhile, hits the
 * null handler map and ends the kernel's shell thread for good (the client then times out). Here
 * the map is a stand-in until the kernel installs its own: a lookup blocks until then and is
 * answered from the real map.
 */
public final class SpindleKernelLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SpindleKernelLauncher CONNECTION_FILE (Jupyter passes it)");
        }
        try (InputStream logging = SpindleKernelLauncher.class.getClassLoader().getResourceAsStream("logging.properties")) {
            LogManager.getLogManager().readConfiguration(logging);
        }
        ConnectionProperties props = Transform.fromJson(Files.readString(Path.of(args[0])), ConnectionProperties.class);
        Channels channels = new Channels(props);
        Field handlers = Channels.class.getDeclaredField("handlers");
        handlers.setAccessible(true);
        CountDownLatch started = new CountDownLatch(1);
        handlers.set(channels, new AbstractMap<Object, Object>() {
            @Override
            public Object get(Object type) {
                try {
                    started.await();
                    return ((Map<?, ?>) handlers.get(channels)).get(type);
                } catch (InterruptedException | IllegalAccessException e) {
                    throw new IllegalStateException("the kernel did not finish starting", e);
                }
            }

            @Override
            public Set<Entry<Object, Object>> entrySet() {
                return Set.of();
            }
        });
        channels.connect(MainApp.kernel);
        started.countDown();
        channels.joinUntilClose();
    }
}
