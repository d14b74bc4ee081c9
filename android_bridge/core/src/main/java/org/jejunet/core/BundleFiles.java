package org.jejunet.core;

import java.io.IOException;
import java.util.List;

/** Where a bundle's files live: a folder on the host, the APK's assets on the phone. */
public interface BundleFiles {
    /** Every file, as a relative path with '/' separators. */
    List<String> list() throws IOException;

    /** The whole content of one file. */
    byte[] read(String path) throws IOException;
}
