package io.spindle.parallel.checkpoint;

import io.spindle.optim.state.TensorSource;
import io.spindle.optim.state.TensorSpec;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * One group of a checkpoint's tensors, read from its shard files only when produced: each tensor's
 * bytes are read, checked against its CRC32C again (the file may have changed since {@link
 * CheckpointCatalog#load} verified it), decoded, handed on and freed, so a group larger than memory
 * (offloaded optimizer state) is restored holding one tensor of it at a time. Consecutive tensors of
 * a file are read through one open stream.
 */
final class ShardTensors implements TensorSource {
    private final CheckpointStorage storage;
    private final String dir;
    private final List<TensorEntry> entries;
    private final List<TensorSpec> specs;

    /** {@code entries}: the group's tensors as the manifest lists them, already checked against their files. */
    ShardTensors(CheckpointStorage storage, String dir, List<TensorEntry> entries) {
        this.storage = storage;
        this.dir = dir;
        this.entries = List.copyOf(entries);
        this.specs = this.entries.stream()
                .map(t -> new TensorSpec(t.name(), TensorCodec.dataType(t.dtype()), t.shape())).toList();
    }

    @Override
    public List<TensorSpec> specs() {
        return specs;
    }

    @Override
    public void produce(Predicate<String> wanted, Sink sink) throws IOException {
        InputStream in = null;
        String openFile = null;
        long position = 0;
        try {
            for (int i = 0; i < entries.size(); i++) {
                TensorEntry t = entries.get(i);
                if (!wanted.test(t.name())) continue;
                if (in == null || !t.file().equals(openFile) || t.offset() < position) {
                    if (in != null) in.close();
                    in = storage.open(dir + "/" + t.file());
                    openFile = t.file();
                    position = 0;
                }
                in.skipNBytes(t.offset() - position);
                byte[] bytes = in.readNBytes(Math.toIntExact(t.bytes()));
                position = t.offset() + bytes.length;
                String where = "tensor " + t.name() + " in " + storage.describe(dir + "/" + t.file());
                if (bytes.length != t.bytes()) {
                    throw new CorruptCheckpointException(where + " ends early: the file was truncated after it was verified");
                }
                CRC32C crc = new CRC32C();
                crc.update(bytes);
                if (crc.getValue() != t.crc32c()) {
                    throw new CorruptCheckpointException(where + " fails its CRC32C check (changed after it was verified)");
                }
                INDArray tensor = TensorCodec.fromBytes(bytes, t.dtype(), t.shape());
                try {
                    sink.accept(specs.get(i), tensor);
                } finally {
                    if (tensor.closeable()) tensor.close();
                }
            }
        } finally {
            if (in != null) in.close();
        }
    }
}
