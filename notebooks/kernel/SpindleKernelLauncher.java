import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.logging.LogManager;

/**
 * Starts the rapaio Java kernel as its MainApp does, but lets it survive a request that arrives
 * while it is still starting. The kernel (3.0.1) binds its sockets first and creates its message
 * handler map only after JShell is up; with Spark's ~250 jars on the classpath that takes seconds,
 * and the client's first kernel_info_request, arriving meanwhile, met a null map: the NPE ended the
 * kernel's shell thread for good and the client timed out. Here the map exists, empty, from the
 * start, so such a request is logged as unhandled ("SEVERE ... Unhandled message") and dropped, as
 * the kernel itself does between creating and filling its map; the client repeats kernel_info_request
 * until one is answered. (Making the early request wait for the handlers instead deadlocked the
 * kernel's start-up.)
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
        handlers.set(channels, new HashMap<>());
        channels.connect(MainApp.kernel);
        channels.joinUntilClose();
    }
}
