package org.jejunet.core;

import java.util.Map;

/** A node's work on one frame: inputs by port name in, outputs by port name out. */
public abstract class Operator {
    protected final NodeSpec node;

    protected Operator(NodeSpec node) {
        this.node = node;
    }

    /** Called even when an input carries SKIPPED (otherwise the runner skips the node). */
    public boolean acceptsSkipped() {
        return false;
    }

    /** Called even when this input carries SKIPPED (the host's Port.skippable); default: acceptsSkipped(). */
    public boolean acceptsSkipped(String port) {
        return acceptsSkipped();
    }

    public abstract Map<String, Object> process(FrameInfo info, Map<String, Object> inputs);

    /** End of stream: release what the operator holds. */
    public void close() {
    }
}
