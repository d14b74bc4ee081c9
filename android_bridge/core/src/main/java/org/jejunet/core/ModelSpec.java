package org.jejunet.core;

import org.json.JSONArray;
import org.json.JSONException;
import org.json.JSONObject;

/** How to feed a model and read it, from the `model` section of a tflite_infer node. */
public final class ModelSpec {
    public final String file;
    public final String labelsFile;
    public final int classes;
    public final int inputHeight;
    public final int inputWidth;
    public final String inputDtype;
    /** float input = (pixel − mean) / std; null: the RGB bytes are fed as they are */
    public final double[] normalization;
    public final double inputScale;
    public final int inputZero;
    public final int[] outputShape;
    public final String outputDtype;
    public final String meaning;
    public final double outputScale;
    public final int outputZero;
    public final int positiveClass;

    public ModelSpec(JSONObject json) throws JSONException {
        file = json.getString("file");
        labelsFile = json.getString("labels_file");
        classes = json.getInt("classes");
        JSONObject in = json.getJSONObject("input");
        inputHeight = in.getInt("height");
        inputWidth = in.getInt("width");
        inputDtype = in.getString("dtype");
        if (in.isNull("normalization")) {
            normalization = null;
        } else {
            JSONArray n = in.getJSONArray("normalization");
            normalization = new double[] {n.getDouble(0), n.getDouble(1)};
        }
        JSONArray iq = in.getJSONArray("quantization");
        inputScale = iq.getDouble(0);
        inputZero = iq.getInt(1);
        JSONObject out = json.getJSONObject("output");
        JSONArray shape = out.getJSONArray("shape");
        outputShape = new int[shape.length()];
        for (int i = 0; i < outputShape.length; i++) {
            outputShape[i] = shape.getInt(i);
        }
        outputDtype = out.getString("dtype");
        meaning = out.getString("meaning");
        JSONArray oq = out.getJSONArray("quantization");
        outputScale = oq.getDouble(0);
        outputZero = oq.getInt(1);
        positiveClass = out.getInt("positive_class");
    }

    public int outputElements() {
        int n = 1;
        for (int v : outputShape) {
            n *= v;
        }
        return n;
    }

    public static int bytesPerElement(String dtype) {
        if ("uint8".equals(dtype) || "int8".equals(dtype)) {
            return 1;
        }
        if ("int64".equals(dtype)) {
            return 8;
        }
        return 4;
    }
}
