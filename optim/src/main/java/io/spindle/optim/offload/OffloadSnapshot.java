package io.spindle.optim.offload;

import io.spindle.optim.state.StateStore;
import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;

/**
 * An {@link OffloadStateStore}'s state in the in-memory store's checkpoint form ({@code step}, the
 * format's header, then each parameter's tensors in file order), read as the consumer reaches it:
 * each parameter's record is read into the window's idle frame ({@link OffloadWindow#idle}) and its
 * tensors are handed over as views of it (COAT's codes and k as small copies), so a checkpoint of
 * the state holds one record of it, inside the window's memory. Names, types and shapes come from
 * the records, so a checkpoint writer knows them before reading any value.
 */
final class OffloadSnapshot implements TensorSource {
    private final OffloadFormat format;
    private final List<StateRecord> records;
    private final OffloadFile file;
    private final OffloadWindow window;
    private final Runnable stillValid;
    private final Map<String, INDArray> head = new LinkedHashMap<>();
    private final List<TensorSpec> specs;

    /** @param stillValid throws when the store's file no longer holds the state this snapshot was taken of */
    OffloadSnapshot(long step, OffloadFormat format, List<StateRecord> records, OffloadFile file, OffloadWindow window,
                    Runnable stillValid) {
        this.format = format;
        this.records = records;
        this.file = file;
        this.window = window;
        this.stillValid = stillValid;
        head.put(StateStore.STEP, Nd4j.scalar(DataType.INT64, step));
        head.putAll(format.header());
        List<TensorSpec> all = new ArrayList<>();
        head.forEach((name, t) -> all.add(TensorSpec.of(name, t)));
        for (StateRecord r : records) all.addAll(format.specs(r));
        this.specs = List.copyOf(all);
    }

    @Override
    public List<TensorSpec> specs() {
        return specs;
    }

    @Override
    public void produce(Predicate<String> wanted, Sink sink) throws IOException {
        stillValid.run();
        TensorSource.of(head).produce(wanted, sink);
        for (StateRecord r : records) {
            if (format.specs(r).stream().noneMatch(t -> wanted.test(t.name()))) continue;
            OffloadWindow.Frame frame = window.idle();
            List<OffloadFile.Extent> whole = List.of(new OffloadFile.Extent(r.fileOffset(), 0, Math.toIntExact(r.bytes())));
            try {
                window.read(frame, null, bytes -> file.read(whole, bytes)).join();
            } catch (CompletionException e) {
                Throwable cause = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
                throw new IOException("cannot read the offloaded state of " + r.name() + " for a checkpoint: " + cause, cause);
            }
            format.produce(r, frame, wanted, sink);
        }
    }
}
