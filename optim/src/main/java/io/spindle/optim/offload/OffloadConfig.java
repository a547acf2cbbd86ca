package io.spindle.optim.offload;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Fuyou-style SSD offload of optimizer state and fp32 master weights (config {@code optim.offload.*}).
 *
 * @param enabled      whether state and master weights live in files instead of memory
 * @param memoryBudget bytes of the in-memory window the files are processed through
 *                     ({@code optim.offload.memoryBudget}, e.g. {@code 256m}); split into
 *                     {@link OffloadWindow#FRAMES} equal frames, one chunk of whole tensors each
 * @param dir          where the files go ({@code optim.offload.dir}); empty means {@code java.io.tmpdir}
 * @param directIo     move chunks with direct I/O (O_DIRECT), bypassing the page cache, so the
 *                     state really streams from the SSD ({@code optim.offload.directIo}); where the
 *                     file system refuses it (tmpfs) the files fall back to buffered I/O with a warning
 */
public record OffloadConfig(boolean enabled, long memoryBudget, String dir, boolean directIo) {
    /** The smallest budget accepted: one direct-I/O block per frame, plus the window's reserve. */
    public static final long MIN_BUDGET = 4L * OffloadFile.ALIGNMENT;

    public static final OffloadConfig DISABLED = new OffloadConfig(false, 256L << 20, "", true);

    public OffloadConfig {
        if (memoryBudget < MIN_BUDGET) {
            throw new IllegalArgumentException("optim.offload.memoryBudget=" + memoryBudget + " bytes is below the minimum "
                    + MIN_BUDGET + "; give a size such as 256m");
        }
        if (dir == null) dir = "";
    }

    /** An enabled offload with {@code memoryBudget} bytes, files under {@code dir} (empty: java.io.tmpdir), direct I/O. */
    public static OffloadConfig of(long memoryBudget, String dir) {
        return new OffloadConfig(true, memoryBudget, dir, true);
    }

    /** The directory the files go to. */
    public Path directory() {
        return Path.of(dir.isBlank() ? System.getProperty("java.io.tmpdir") : dir);
    }

    /** A byte count spelled the way the docs show it: 256m, 1g, 64k, or plain bytes. */
    public static long parseBytes(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            return Math.multiplyExact(Long.parseLong(digits), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(key + "=\"" + text + "\" is not a size; write e.g. 256m, 1g or 65536");
        }
    }

    @Override
    public String toString() {
        return enabled ? "offload(" + memoryBudget + " bytes, " + directory() + (directIo ? ", direct I/O)" : ")")
                : "offload(off)";
    }
}
