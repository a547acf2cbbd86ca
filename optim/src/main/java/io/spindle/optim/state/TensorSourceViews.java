package io.spindle.optim.state;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/** The {@link TensorSource}s that adapt a map or rename, select and join other sources. */
final class TensorSourceViews {
    private TensorSourceViews() {}

    /** A map's tensors, handed out as they are. */
    record InMemory(Map<String, INDArray> tensors) implements TensorSource {
        InMemory {
            Objects.requireNonNull(tensors, "tensors");
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }

        @Override
        public List<TensorSpec> specs() {
            List<TensorSpec> out = new ArrayList<>(tensors.size());
            tensors.forEach((name, t) -> out.add(TensorSpec.of(name, t)));
            return out;
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                if (wanted.test(e.getKey())) sink.accept(TensorSpec.of(e.getKey(), e.getValue()), e.getValue());
            }
        }

        @Override
        public boolean contains(String name) {
            return tensors.containsKey(name);
        }

        @Override
        public Map<String, INDArray> toMap() {
            return tensors;
        }
    }

    record Prefixed(TensorSource inner, String prefix) implements TensorSource {
        @Override
        public List<TensorSpec> specs() {
            return inner.specs().stream().map(s -> s.renamed(prefix + s.name())).toList();
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            inner.produce(name -> wanted.test(prefix + name),
                    (spec, t) -> sink.accept(spec.renamed(prefix + spec.name()), t));
        }
    }

    record Under(TensorSource inner, String prefix) implements TensorSource {
        @Override
        public List<TensorSpec> specs() {
            return inner.specs().stream().filter(s -> s.name().startsWith(prefix))
                    .map(s -> s.renamed(s.name().substring(prefix.length()))).toList();
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            inner.produce(name -> name.startsWith(prefix) && wanted.test(name.substring(prefix.length())),
                    (spec, t) -> sink.accept(spec.renamed(spec.name().substring(prefix.length())), t));
        }
    }

    record Concat(List<TensorSource> parts) implements TensorSource {
        @Override
        public List<TensorSpec> specs() {
            List<TensorSpec> out = new ArrayList<>();
            for (TensorSource p : parts) out.addAll(p.specs());
            return out;
        }

        @Override
        public void produce(Predicate<String> wanted, Sink sink) throws IOException {
            for (TensorSource p : parts) p.produce(wanted, sink);
        }
    }
}
