package org.jejunet.core;

import java.nio.ByteBuffer;

/**
 * The network call, kept out of the core: LiteRT's Interpreter on the phone, recorded host
 * outputs in tests. Buffers are direct, in native byte order, sized by the model's tensors.
 */
public interface ModelRunner {
    void run(ByteBuffer input, ByteBuffer output);

    void close();

    /** Makes a runner for a model file of the bundle. */
    interface Factory {
        ModelRunner open(byte[] model, ModelSpec spec, int threads, String delegate) throws BundleException;
    }
}
