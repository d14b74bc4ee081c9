package org.jejunet.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A bundle in a folder (tests; an unpacked download on the phone). Symbolic links are refused. */
public final class DirectoryFiles implements BundleFiles {
    private final File root;

    public DirectoryFiles(File root) {
        this.root = root;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<String>();
        walk(root, "", out);
        Collections.sort(out);
        return out;
    }

    private void walk(File dir, String prefix, List<String> out) throws IOException {
        File[] children = dir.listFiles();
        if (children == null) {
            throw new IOException(dir + ": not a readable folder");
        }
        for (File child : children) {
            String rel = prefix + child.getName();
            if (!child.getCanonicalFile().equals(child.getAbsoluteFile().getCanonicalFile())
                    || !child.getCanonicalPath().startsWith(root.getCanonicalPath() + File.separator)) {
                throw new IOException(rel + ": points outside the bundle folder");
            }
            if (child.isDirectory()) {
                walk(child, rel + "/", out);
            } else {
                out.add(rel);
            }
        }
    }

    @Override
    public byte[] read(String path) throws IOException {
        File file = new File(root, path);
        if (!file.getCanonicalPath().startsWith(root.getCanonicalPath() + File.separator)) {
            throw new IOException(path + ": points outside the bundle folder");
        }
        InputStream in = new FileInputStream(file);
        try {
            return readAll(in);
        } finally {
            in.close();
        }
    }

    /** Every byte of a stream (Java 7 has no InputStream.readAllBytes). */
    public static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[1 << 16];
        int n;
        while ((n = in.read(chunk)) > 0) {
            buffer.write(chunk, 0, n);
        }
        return buffer.toByteArray();
    }
}
