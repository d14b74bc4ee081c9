package org.jejunet.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.json.JSONException;
import org.json.JSONObject;

/** One node of graph.json: operator, parameters, incoming edges and produced outputs. */
public final class NodeSpec {
    /** An input fed by `node.port`; `previous` takes last frame's value (a feedback edge). */
    public static final class Edge {
        public final String port;
        public final String node;
        public final String sourcePort;
        public final boolean previous;
        /** Frames back the value is read from (1 for `previous`; a late result's delay above 1). */
        public final int delay;

        Edge(String port, String from, boolean previous, int delay) throws BundleException {
            int dot = from.indexOf('.');
            if (dot <= 0 || dot == from.length() - 1) {
                throw new BundleException("input '" + port + "': expected 'node.port', got '" + from + "'");
            }
            this.port = port;
            this.node = from.substring(0, dot);
            this.sourcePort = from.substring(dot + 1);
            this.previous = previous || delay > 0;
            this.delay = delay > 0 ? delay : (previous ? 1 : 0);
        }
    }

    public final String id;
    public final String op;
    public final JSONObject params;
    public final ModelSpec model;
    public final List<Edge> inputs = new ArrayList<Edge>();
    /** output port → kind, in the order graph.json lists them */
    public final Map<String, String> outputs = new LinkedHashMap<String, String>();

    NodeSpec(JSONObject json) throws JSONException, BundleException {
        id = json.getString("id");
        op = json.getString("op");
        params = json.getJSONObject("params");
        model = json.has("model") ? new ModelSpec(json.getJSONObject("model")) : null;
        JSONObject in = json.getJSONObject("inputs");
        for (Iterator<String> it = sortedKeys(in); it.hasNext();) {
            String port = it.next();
            JSONObject edge = in.getJSONObject(port);
            inputs.add(new Edge(port, edge.getString("from"), edge.optBoolean("previous", false),
                    edge.optInt("delay", 0)));
        }
        JSONObject out = json.getJSONObject("outputs");
        for (Iterator<String> it = sortedKeys(out); it.hasNext();) {
            String port = it.next();
            outputs.put(port, out.getJSONObject(port).getString("kind"));
        }
    }

    @SuppressWarnings("unchecked")
    private static Iterator<String> sortedKeys(JSONObject object) {
        List<String> keys = new ArrayList<String>();
        for (Iterator<String> it = object.keys(); it.hasNext();) {
            keys.add(it.next());
        }
        java.util.Collections.sort(keys);
        return keys.iterator();
    }
}
