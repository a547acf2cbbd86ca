import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.AbstractChannel;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.channels.LoopThread;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.logging.LogManager;

/**
 * Starts the rapaio Java kernel (3.0.1) as its MainApp does, but repairs two start-up races in it.
 *
 * <p>Its channels' loop threads can end before they start. {@code LoopThread.start()} calls
 * {@code Thread.start()} and only then sets the flag its {@code run()} loops on, so a thread that gets
 * a core before its starter reads the flag still false and returns at once (in a loop of bare
 * LoopThreads on this 2-core machine, 30-40 % of them did). A lost shell loop is a kernel that binds
 * its sockets and never answers; lost heartbeat, shell and control loops together are a kernel whose
 * JVM exits silently when its main thread returns ("Kernel died before replying to kernel_info").
 * Here, once the kernel is connected, each loop gets a second to end (a loop that lost the race ends at
 * once; one that won runs until the kernel shuts down), and a channel whose loop ended while the
 * channel is still open gets a new loop thread with the same body, its flag set before it starts.
 *
 * <p>Its handler map is created only after the loops have started, and a kernel_info_request arriving
 * before it met a null map: the NPE ended the shell loop for good. Here the map exists, empty, from the
 * start, so such a request is logged as unhandled ("SEVERE ... Unhandled message") and dropped, as the
 * kernel itself does between creating and filling its map; the client repeats kernel_info_request
 * until one is answered. (Making the early request
 * wait for the handlers instead deadlocked the kernel's start-up.)
 */
public final class SpindleKernelLauncher {
    /** The channels of {@link Channels} that run a {@link LoopThread}; iopub and stdin have none. */
    private static final List<String> LOOPING_CHANNELS = List.of("heartbeat", "shell", "control");
    /** Far longer than a thread that read its flag false takes to end. */
    private static final long LOOP_GRACE_MILLIS = 1000;

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SpindleKernelLauncher CONNECTION_FILE (Jupyter passes it)");
        }
        try (InputStream logging = SpindleKernelLauncher.class.getClassLoader().getResourceAsStream("logging.properties")) {
            LogManager.getLogManager().readConfiguration(logging);
        }
        ConnectionProperties props = Transform.fromJson(Files.readString(Path.of(args[0])), ConnectionProperties.class);
        Channels channels = new Channels(props);
        field(Channels.class, "handlers").set(channels, new HashMap<>());
        channels.connect(MainApp.kernel);
        long deadline = System.currentTimeMillis() + LOOP_GRACE_MILLIS;
        for (String name : LOOPING_CHANNELS) {
            AbstractChannel channel = (AbstractChannel) field(Channels.class, name).get(channels);
            LoopThread loop = (LoopThread) field(channel.getClass(), "loopThread").get(channel);
            if (loop != null) loop.join(Math.max(1, deadline - System.currentTimeMillis()));
            if (!channels.isMarkedForShutdown()) restartLoopIfItEnded(name, channel);
        }
        channels.joinUntilClose();
    }

    /** On a channel nobody closed, a loop that has ended in its first second can only have lost the race. */
    private static void restartLoopIfItEnded(String name, AbstractChannel channel) throws Exception {
        Field loopField = field(channel.getClass(), "loopThread");
        LoopThread loop = (LoopThread) loopField.get(channel);
        if (loop == null || loop.isAlive() || field(AbstractChannel.class, "closed").getBoolean(channel)) return;
        LoopThread again = new LoopThread(loop.getName(), field(LoopThread.class, "sleep").getLong(loop),
                (Runnable) field(LoopThread.class, "loopBody").get(loop));
        field(LoopThread.class, "running").setBoolean(again, true);
        loopField.set(channel, again);
        again.start();
        System.err.println("SpindleKernelLauncher: the " + name + " channel's loop thread had ended before its first"
                + " turn (rapaio kernel 3.0.1's LoopThread start race); started it again");
    }

    private static Field field(Class<?> owner, String name) throws NoSuchFieldException {
        Field field = owner.getDeclaredField(name);
        field.setAccessible(true);
        return field;
    }
}
