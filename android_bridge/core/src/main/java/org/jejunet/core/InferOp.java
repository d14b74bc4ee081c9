package org.jejunet.core;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.json.JSONException;

/** tflite_infer: preprocess, the model call (behind ModelRunner), decode to labels and probabilities. */
final class InferOp extends Operator {
    private final ModelSpec spec;
    private final ModelRunner runner;
    private final ByteBuffer output;

    InferOp(NodeSpec node, Bundle bundle, ModelRunner.Factory models) throws JSONException, BundleException {
        super(node);
        if (node.model == null) {
            throw new BundleException("node '" + node.id + "': tflite_infer without a model section");
        }
        if (models == null) {
            throw new BundleException("node '" + node.id + "': this build has no model runtime (LiteRT)");
        }
        spec = node.model;
        runner = models.open(bundle.file(spec.file), spec, node.params.getInt("num_threads"),
                node.params.getString("delegate"));
        output = ModelIO.outputBuffer(spec);
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        ByteBuffer input = ModelIO.preprocess((Image) inputs.get("image"), spec);
        output.rewind();
        runner.run(input, output);
        Object[] decoded = ModelIO.decode(output, spec);
        Map<String, Object> out = new HashMap<String, Object>();
        out.put("labels", decoded[0]);
        if (decoded[1] != null) {
            Probs probs = (Probs) decoded[1];
            out.put("probs", probs);
            out.put("confidence", probs.confidence());
        }
        return out;
    }

    @Override
    public void close() {
        runner.close();
    }
}
