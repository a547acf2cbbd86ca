package io.spindle.bench;

import io.spindle.layers.core.Buffers;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The DL4J layer implementation of {@link ModuleLayerConf}: {@code activate} and
 * {@code backpropGradient} call the module's hand-written forward and backward.
 *
 * <p>DL4J owns the parameters (a view of the graph's flat vector, updated by its updater) and the
 * module reads its own ParameterSet, so each forward copies DL4J's view into the module and each
 * backward copies the module's gradients into DL4J's gradient view (two memcpys of the layer's
 * parameters per step, counted in (b)'s time). The module runs outside DL4J's workspaces because
 * its buffers live across iterations.
 */
final class ModuleLayer extends AbstractLayer<ModuleLayerConf> {
    private final HandWrittenModule module;
    private INDArray paramsView;
    private INDArray gradientView;
    private INDArray x;
    private INDArray dy;

    ModuleLayer(NeuralNetConfiguration conf, DataType dataType, HandWrittenModule module) {
        super(conf, dataType);
        this.module = module;
    }

    HandWrittenModule module() { return module; }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        int seq = layerConf().seq();
        int batch = (int) (input.size(0) / seq);
        INDArray out;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            module.parameters().values().assign(paramsView);
            x = Buffers.reuse(x, input.shape());
            x.assign(input);
            out = module.forward(x, batch, seq);
        }
        return workspaceMgr.dup(ArrayType.ACTIVATIONS, out);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        INDArray dx;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            dy = Buffers.reuse(dy, epsilon.shape());
            dy.assign(epsilon);
            module.parameters().zeroGrads();
            dx = module.backward(dy);
            gradientView.assign(module.parameters().grads());
        }
        Gradient g = new DefaultGradient(gradientView);
        g.setGradientFor(ModuleLayerConf.FlatParamInitializer.KEY, gradientView);
        return new Pair<>(g, workspaceMgr.dup(ArrayType.ACTIVATION_GRAD, dx));
    }

    @Override
    public boolean isPretrainLayer() { return false; }

    @Override
    public void clearNoiseWeightParams() {}

    @Override
    public long numParams() { return paramsView == null ? 0 : paramsView.length(); }

    @Override
    public INDArray params() { return paramsView; }

    @Override
    public void setParams(INDArray params) { paramsView.assign(params); }

    @Override
    public void setParamsViewArray(INDArray params) { this.paramsView = params; }

    @Override
    public INDArray getGradientsViewArray() { return gradientView; }

    @Override
    public void setBackpropGradientsViewArray(INDArray gradients) { this.gradientView = gradients; }

    @Override
    public INDArray getParam(String key) {
        requireKey(key);
        return paramsView;
    }

    @Override
    public void setParam(String key, INDArray value) {
        requireKey(key);
        paramsView.assign(value);
    }

    @Override
    public Map<String, INDArray> paramTable() { return paramTable(false); }

    @Override
    public Map<String, INDArray> paramTable(boolean backpropOnly) {
        Map<String, INDArray> table = new LinkedHashMap<>();
        table.put(ModuleLayerConf.FlatParamInitializer.KEY, paramsView);
        return table;
    }

    @Override
    public void setParamTable(Map<String, INDArray> table) {
        for (Map.Entry<String, INDArray> e : table.entrySet()) setParam(e.getKey(), e.getValue());
    }

    private static void requireKey(String key) {
        if (!ModuleLayerConf.FlatParamInitializer.KEY.equals(key)) {
            throw new IllegalArgumentException("unknown parameter " + key + "; this layer has only "
                    + ModuleLayerConf.FlatParamInitializer.KEY);
        }
    }
}
