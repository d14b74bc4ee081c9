package org.jejunet.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.json.JSONArray;
import org.json.JSONObject;

/** Golden fixtures recorded by `jejunet graph record`: per frame, every node's outputs. */
final class Fixtures {
    final Path dir;
    final JSONObject index;
    final int frames;

    Fixtures(Path dir) throws Exception {
        this.dir = dir;
        this.index = new JSONObject(Files.readString(dir.resolve("fixtures.json")));
        this.frames = index.getJSONArray("frames").length();
    }

    /** The folder the build script fills (`-Djejunet.host`), or a clear failure. */
    static Path host() {
        String host = System.getProperty("jejunet.host");
        if (host == null) {
            throw new IllegalStateException("run through android_bridge/build.sh (sets -Djejunet.host)");
        }
        return Path.of(host);
    }

    static List<Path> all() throws IOException {
        List<Path> out = new ArrayList<>();
        try (var stream = Files.list(host().resolve("fixtures"))) {
            stream.filter(p -> Files.isRegularFile(p.resolve("fixtures.json"))).sorted().forEach(out::add);
        }
        return out;
    }

    String pipeline() throws Exception {
        return index.getString("pipeline");
    }

    /** Node ids that ran on a frame. */
    List<String> ran(int frame) throws Exception {
        JSONArray ran = index.getJSONArray("frames").getJSONObject(frame).getJSONArray("ran");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ran.length(); i++) {
            out.add(ran.getString(i));
        }
        return out;
    }

    JSONObject node(String id) throws Exception {
        JSONArray nodes = index.getJSONArray("nodes");
        for (int i = 0; i < nodes.length(); i++) {
            if (nodes.getJSONObject(i).getString("id").equals(id)) {
                return nodes.getJSONObject(i);
            }
        }
        throw new IllegalArgumentException("no node " + id);
    }

    List<String> nodesOf(String op) throws Exception {
        List<String> out = new ArrayList<>();
        JSONArray nodes = index.getJSONArray("nodes");
        for (int i = 0; i < nodes.length(); i++) {
            if (nodes.getJSONObject(i).getString("op").equals(op)) {
                out.add(nodes.getJSONObject(i).getString("id"));
            }
        }
        return out;
    }

    /** The source edge ("node.port", previous?) of a node's input port, or null. */
    JSONObject edge(String node, String port) throws Exception {
        JSONObject inputs = node(node).getJSONObject("inputs");
        return inputs.has(port) ? inputs.getJSONObject(port) : null;
    }

    /** Every recorded array of one frame, by "node.port". */
    Map<String, Npy> frame(int frame) throws IOException {
        Map<String, Npy> out = new HashMap<>();
        File file = dir.resolve(String.format("frame_%04d.npz", frame)).toFile();
        try (ZipFile zip = new ZipFile(file)) {
            for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                String name = entry.getName().replaceAll("\\.npy$", "");
                out.put(name, Npy.parse(zip.getInputStream(entry).readAllBytes()));
            }
        }
        return out;
    }

    /** The value that fed `node.port` on `frame` (a feedback edge reads the frame before), or null if SKIPPED. */
    Npy input(String node, String port, int frame, Map<String, Npy> current, Map<String, Npy> before) throws Exception {
        JSONObject edge = edge(node, port);
        if (edge == null) {
            return null;
        }
        Map<String, Npy> values = edge.getBoolean("previous") ? before : current;
        return values == null ? null : values.get(edge.getString("from"));
    }

    /** A recorded probs value (data + class ids) of "node.port", or null. */
    static Probs probs(Map<String, Npy> values, String key) throws Exception {
        Npy data = values.get(key + ".data");
        if (data == null) {
            return null;
        }
        int[] ids = values.get(key + ".class_ids").ints();
        int[] s = data.shape();
        return new Probs(s[1], s[0], s[2], data.floats(), ids);
    }
}
