package org.jejunet.android;

import android.content.res.AssetManager;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jejunet.core.BundleFiles;
import org.jejunet.core.DirectoryFiles;

/** A bundle shipped in the APK's assets under a folder (e.g. "bundle"). */
public final class AssetBundleFiles implements BundleFiles {
    private final AssetManager assets;
    private final String root;

    public AssetBundleFiles(AssetManager assets, String root) {
        this.assets = assets;
        this.root = root;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<String>();
        walk("", out);
        Collections.sort(out);
        return out;
    }

    private void walk(String rel, List<String> out) throws IOException {
        String[] children = assets.list(rel.isEmpty() ? root : root + "/" + rel);
        for (String child : children) {
            String path = rel.isEmpty() ? child : rel + "/" + child;
            String[] grand = assets.list(root + "/" + path);
            if (grand != null && grand.length > 0) {
                walk(path, out);
            } else {
                out.add(path);
            }
        }
    }

    @Override
    public byte[] read(String path) throws IOException {
        InputStream in = assets.open(root + "/" + path, AssetManager.ACCESS_STREAMING);
        try {
            return DirectoryFiles.readAll(in);
        } finally {
            in.close();
        }
    }
}
