package org.jejunet.core;

/** What the platform lends the runtime: the model call, the optical flow and the screen. */
public final class Environment {
    public final ModelRunner.Factory models;
    public final OpticalFlow.Factory flow;
    public final FrameSink sink;

    public Environment(ModelRunner.Factory models, OpticalFlow.Factory flow, FrameSink sink) {
        this.models = models;
        this.flow = flow;
        this.sink = sink;
    }
}
