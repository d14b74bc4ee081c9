package org.jejunet.core;

import java.io.IOException;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/**
 * A verified bundle: every file listed in manifest.json with its sha256 and size, nothing else
 * present, and a graph.json this runtime can run (schema version, operators, edges, order).
 */
public final class Bundle {
    public static final int SCHEMA_VERSION = 1;
    public static final int CAPABILITIES_VERSION = 4;
    private static final Pattern SAFE_PATH = Pattern.compile("^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$");
    private static final Charset UTF8 = Charset.forName("UTF-8");

    public final String name;
    public final String mode;
    public final List<NodeSpec> nodes;
    public final Map<String, NodeSpec> byId;
    private final Map<String, byte[]> files;

    private Bundle(String name, String mode, List<NodeSpec> nodes, Map<String, byte[]> files) {
        this.name = name;
        this.mode = mode;
        this.nodes = Collections.unmodifiableList(nodes);
        Map<String, NodeSpec> index = new HashMap<String, NodeSpec>();
        for (NodeSpec node : nodes) {
            index.put(node.id, node);
        }
        this.byId = Collections.unmodifiableMap(index);
        this.files = files;
    }

    /** The verified content of a bundle file (a model, its labels). */
    public byte[] file(String path) throws BundleException {
        byte[] data = files.get(path);
        if (data == null) {
            throw new BundleException("bundle has no file '" + path + "'");
        }
        return data;
    }

    /** The class names of a model's labels file, one per line. */
    public String[] labels(ModelSpec model) throws BundleException {
        String text = new String(file(model.labelsFile), UTF8);
        return text.split("\n");
    }

    /** Reads, verifies and parses a bundle; any problem is a BundleException naming the file. */
    public static Bundle load(BundleFiles source) throws BundleException {
        Map<String, byte[]> files = verify(source);
        try {
            JSONObject graph = new JSONObject(new String(files.get("graph.json"), UTF8));
            return parse(graph, files);
        } catch (JSONException e) {
            throw new BundleException("graph.json: " + e.getMessage(), e);
        }
    }

    static Map<String, byte[]> verify(BundleFiles source) throws BundleException {
        List<String> present;
        JSONObject manifest;
        try {
            present = source.list();
            if (!present.contains("manifest.json")) {
                throw new BundleException("not a bundle: manifest.json is missing");
            }
            manifest = new JSONObject(new String(source.read("manifest.json"), UTF8));
        } catch (IOException e) {
            throw new BundleException("cannot read the bundle: " + e.getMessage(), e);
        } catch (JSONException e) {
            throw new BundleException("manifest.json: " + e.getMessage(), e);
        }
        Map<String, byte[]> out = new HashMap<String, byte[]>();
        try {
            if (manifest.getInt("manifest_version") != 1) {
                throw new BundleException("manifest.json: version " + manifest.getInt("manifest_version")
                        + " is not supported (this runtime reads 1)");
            }
            JSONObject listed = manifest.getJSONObject("files");
            for (Iterator<?> it = listed.keys(); it.hasNext();) {
                String path = (String) it.next();
                if (!SAFE_PATH.matcher(path).matches() || path.contains("..")) {
                    throw new BundleException("manifest.json lists an unsafe path '" + path + "'");
                }
                if (!present.contains(path)) {
                    throw new BundleException(path + ": listed in manifest.json but missing");
                }
                JSONObject entry = listed.getJSONObject(path);
                byte[] data = source.read(path);
                if (data.length != entry.getLong("size")) {
                    throw new BundleException(path + ": size " + data.length + ", manifest says " + entry.getLong("size"));
                }
                String actual = Sha256.hex(data);
                if (!actual.equals(entry.getString("sha256"))) {
                    throw new BundleException(path + ": sha256 mismatch (manifest " + entry.getString("sha256")
                            + ", file " + actual + ")");
                }
                out.put(path, data);
            }
        } catch (JSONException e) {
            throw new BundleException("manifest.json: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BundleException("cannot read the bundle: " + e.getMessage(), e);
        }
        for (String path : present) {
            if (!path.equals("manifest.json") && !out.containsKey(path)) {
                throw new BundleException(path + ": not listed in manifest.json (unverified file)");
            }
        }
        if (!out.containsKey("graph.json")) {
            throw new BundleException("manifest.json does not list graph.json");
        }
        return out;
    }

    static Bundle parse(JSONObject graph, Map<String, byte[]> files) throws JSONException, BundleException {
        int version = graph.getInt("schema_version");
        if (version != SCHEMA_VERSION) {
            throw new BundleException("graph.json: schema version " + version + " is not supported (this runtime reads "
                    + SCHEMA_VERSION + "); recompile the pipeline or update the app");
        }
        int caps = graph.getInt("capabilities_version");
        if (caps > CAPABILITIES_VERSION) {
            throw new BundleException("graph.json: needs runtime capabilities " + caps + ", this runtime has "
                    + CAPABILITIES_VERSION + "; update the app");
        }
        JSONArray nodeArray = graph.getJSONArray("nodes");
        Map<String, NodeSpec> byId = new HashMap<String, NodeSpec>();
        for (int i = 0; i < nodeArray.length(); i++) {
            NodeSpec node = new NodeSpec(nodeArray.getJSONObject(i));
            if (byId.put(node.id, node) != null) {
                throw new BundleException("graph.json: duplicate node '" + node.id + "'");
            }
            if (!Operators.NAMES.contains(node.op)) {
                throw new BundleException("graph.json: node '" + node.id + "': op '" + node.op
                        + "' is not in this runtime (known: " + Operators.NAMES + ")");
            }
            if (node.model != null) {
                if (!files.containsKey(node.model.file) || !files.containsKey(node.model.labelsFile)) {
                    throw new BundleException("graph.json: node '" + node.id + "': model or labels file missing");
                }
            }
        }
        JSONArray orderArray = graph.getJSONArray("order");
        List<NodeSpec> ordered = new ArrayList<NodeSpec>();
        Set<String> seen = new HashSet<String>();
        int sources = 0;
        for (int i = 0; i < orderArray.length(); i++) {
            NodeSpec node = byId.get(orderArray.getString(i));
            if (node == null || !seen.add(node.id)) {
                throw new BundleException("graph.json: order names '" + orderArray.getString(i)
                        + "', which is not a node or is listed twice");
            }
            for (NodeSpec.Edge edge : node.inputs) {
                NodeSpec from = byId.get(edge.node);
                if (from == null || !from.outputs.containsKey(edge.sourcePort)) {
                    throw new BundleException("graph.json: node '" + node.id + "' input '" + edge.port
                            + "' comes from '" + edge.node + "." + edge.sourcePort + "', which does not exist");
                }
                if (!edge.previous && !seen.contains(edge.node)) {
                    throw new BundleException("graph.json: node '" + node.id + "' runs before its input '"
                            + edge.node + "' (order is not topological)");
                }
            }
            if ("camera".equals(node.op)) {
                sources++;
            }
            ordered.add(node);
        }
        if (ordered.size() != byId.size()) {
            throw new BundleException("graph.json: order lists " + ordered.size() + " of " + byId.size() + " nodes");
        }
        if (sources != 1 || !"camera".equals(ordered.get(0).op)) {
            throw new BundleException("graph.json: needs exactly one camera source, first in order");
        }
        return new Bundle(graph.getString("name"), graph.getString("mode"), ordered, files);
    }
}
