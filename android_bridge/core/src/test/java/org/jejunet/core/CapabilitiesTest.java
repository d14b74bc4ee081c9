package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;

/** The host's capability list (jejunet/android/capabilities.py) and this runtime agree. */
class CapabilitiesTest {
    @Test
    void everyOperatorAndParameterTheCompilerAllowsIsImplementedHere() throws Exception {
        JSONObject caps = new JSONObject(Files.readString(Fixtures.host().resolve("capabilities.json")));
        assertEquals(Bundle.CAPABILITIES_VERSION, caps.getInt("version"), "capabilities version");
        JSONObject ops = caps.getJSONObject("operators");
        Set<String> androidOps = new HashSet<>();
        for (String hostOp : keys(ops)) {
            JSONObject op = ops.getJSONObject(hostOp);
            String name = op.getString("android_op");
            androidOps.add(name);
            assertTrue(Operators.NAMES.contains(name), "the compiler allows '" + name + "', the runtime lacks it");
            JSONObject params = op.getJSONObject("params");
            Set<String> allowed = new HashSet<>();
            for (String p : keys(params)) {
                if (params.getJSONObject(p).isNull("host_only")) {
                    allowed.add(p);
                }
            }
            assertEquals(new HashSet<>(Operators.params(name)), allowed, "parameters of " + name);
        }
        assertEquals(Operators.NAMES, androidOps, "operators of the runtime the compiler never emits");
    }

    static Set<String> keys(JSONObject o) {
        Set<String> out = new HashSet<>();
        for (var it = o.keys(); it.hasNext();) {
            out.add((String) it.next());
        }
        return out;
    }
}
