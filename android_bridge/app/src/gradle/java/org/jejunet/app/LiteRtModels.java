package org.jejunet.app;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jejunet.core.BundleException;
import org.jejunet.core.ModelRunner;
import org.jejunet.core.ModelSpec;
import org.tensorflow.lite.Interpreter;

/** The model call on the phone: LiteRT's Interpreter (Gradle build only; not compiled on CI). */
public final class LiteRtModels implements ModelRunner.Factory {
    @Override
    public ModelRunner open(byte[] model, ModelSpec spec, int threads, String delegate) throws BundleException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(model.length).order(ByteOrder.nativeOrder());
        buffer.put(model);
        buffer.rewind();
        Interpreter.Options options = new Interpreter.Options().setNumThreads(threads);
        options.setUseXNNPACK(!"builtin".equals(delegate));
        Interpreter interpreter;
        try {
            interpreter = new Interpreter(buffer, options);
        } catch (IllegalArgumentException e) {
            if (!"auto".equals(delegate)) {
                throw new BundleException(spec.file + ": " + e.getMessage(), e);
            }
            // as on the host: XNNPACK refuses the 2018 model's RESIZE_BILINEAR, the built-in kernels run it
            interpreter = new Interpreter(buffer, new Interpreter.Options().setNumThreads(threads).setUseXNNPACK(false));
        }
        final Interpreter ready = interpreter;
        return new ModelRunner() {
            @Override
            public void run(ByteBuffer input, ByteBuffer output) {
                ready.run(input, output);
            }

            @Override
            public void close() {
                ready.close();
            }
        };
    }
}
