package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and verifying the bundles `jejunet graph compile --target android` wrote. */
class BundleTest {
    static Path bundleDir(String pipeline) {
        return Fixtures.host().resolve("bundles").resolve(pipeline);
    }

    static Bundle load(Path dir) throws BundleException {
        return Bundle.load(new DirectoryFiles(dir.toFile()));
    }

    static ModelSpec modelSpec(String pipeline, String node) {
        try {
            return load(bundleDir(pipeline)).byId.get(node).model;
        } catch (BundleException e) {
            throw new AssertionError(e);
        }
    }

    static List<Path> all() throws IOException {
        List<Path> out = new ArrayList<>();
        try (var s = Files.list(Fixtures.host().resolve("bundles"))) {
            s.sorted().forEach(out::add);
        }
        return out;
    }

    static Path copy(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return to;
    }

    @Test
    void everyCompiledPipelineLoadsAndVerifies() throws Exception {
        List<Path> bundles = all();
        assertTrue(bundles.size() >= 2, "expected the repository's pipelines compiled, got " + bundles);
        for (Path dir : bundles) {
            Bundle bundle = load(dir);
            assertEquals("camera", bundle.nodes.get(0).op);
            assertEquals(dir.getFileName().toString(), bundle.name);
            for (NodeSpec node : bundle.nodes) {
                if (node.model != null) {
                    byte[] model = bundle.file(node.model.file);
                    assertEquals("TFL3", new String(model, 4, 4), node.model.file + " is a TFLite flatbuffer");
                    assertEquals(node.model.classes > 2 ? 21 : 21, bundle.labels(node.model).length);
                }
            }
        }
    }

    @Test
    void aChangedModelByteIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = copy(bundleDir("deeplab_per_frame"), tmp.resolve("b"));
        Path model;
        try (var s = Files.list(dir.resolve("models"))) {
            model = s.findFirst().orElseThrow();
        }
        byte[] data = Files.readAllBytes(model);
        data[data.length / 2] ^= 1;
        Files.write(model, data);
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("sha256 mismatch"), e.getMessage());
    }

    @Test
    void anUnlistedFileIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = copy(bundleDir("deeplab_per_frame"), tmp.resolve("b"));
        Files.writeString(dir.resolve("models/extra.tflite"), "x");
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("not listed in manifest.json"), e.getMessage());
    }

    @Test
    void aMissingFileIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = copy(bundleDir("deeplab_per_frame"), tmp.resolve("b"));
        try (var s = Files.list(dir.resolve("labels"))) {
            Files.delete(s.findFirst().orElseThrow());
        }
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("listed in manifest.json but missing"), e.getMessage());
    }

    @Test
    void aManifestPathOutsideTheBundleIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = copy(bundleDir("deeplab_per_frame"), tmp.resolve("b"));
        JSONObject manifest = new JSONObject(Files.readString(dir.resolve("manifest.json")));
        manifest.getJSONObject("files").put("../evil.txt", new JSONObject().put("sha256", "0").put("size", 1));
        Files.writeString(dir.resolve("manifest.json"), manifest.toString());
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("unsafe path"), e.getMessage());
    }

    /** Rewrites graph.json and its manifest entry, so that only the graph's content is at fault. */
    interface Edit {
        void apply(JSONObject graph) throws Exception;
    }

    static Path withGraph(Path tmp, Edit edit) throws Exception {
        Path dir = copy(bundleDir("deeplab_per_frame"), tmp.resolve("b"));
        JSONObject graph = new JSONObject(Files.readString(dir.resolve("graph.json")));
        edit.apply(graph);
        byte[] data = graph.toString(1).getBytes("UTF-8");
        Files.write(dir.resolve("graph.json"), data);
        JSONObject manifest = new JSONObject(Files.readString(dir.resolve("manifest.json")));
        manifest.getJSONObject("files").put("graph.json",
                new JSONObject().put("sha256", Sha256.hex(data)).put("size", data.length));
        Files.writeString(dir.resolve("manifest.json"), manifest.toString());
        return dir;
    }

    @Test
    void aNewerSchemaVersionIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = withGraph(tmp, g -> g.put("schema_version", 2));
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("schema version 2 is not supported"), e.getMessage());
    }

    @Test
    void anUnknownOperatorIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = withGraph(tmp, g -> g.getJSONArray("nodes").getJSONObject(1).put("op", "label_writer"));
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("op 'label_writer' is not in this runtime"), e.getMessage());
    }

    @Test
    void anOrderThatIsNotTopologicalIsRefused(@TempDir Path tmp) throws Exception {
        Path dir = withGraph(tmp, g -> {
            var order = g.getJSONArray("order");
            Object second = order.get(1);
            order.put(1, order.get(2));
            order.put(2, second);
        });
        BundleException e = assertThrows(BundleException.class, () -> load(dir));
        assertTrue(e.getMessage().contains("order is not topological"), e.getMessage());
    }

    @Test
    void notABundleSaysSo(@TempDir Path tmp) {
        BundleException e = assertThrows(BundleException.class, () -> load(tmp));
        assertTrue(e.getMessage().contains("manifest.json is missing"), e.getMessage());
        assertFalse(e.getMessage().isEmpty());
    }
}
